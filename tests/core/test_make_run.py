"""`make run` writes links (in mail, in the API) for the port it serves on, and serves
with the gunicorn.conf.py that production uses."""

import os
import shutil
import subprocess

import pytest

from tests.support import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _run_commands(**env) -> str:
    """What `make run` would do, printed by `make -n` without running any of it."""
    environment = {k: v for k, v in os.environ.items() if k != "PUBLIC_URL"} | env
    result = subprocess.run(
        ["make", "-n", "--always-make", "run"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_make_run_links_to_the_port_it_serves_on():
    commands = _run_commands(PORT="5123")
    assert "export PUBLIC_URL='http://127.0.0.1:5123'" in commands
    assert "GUNICORN_BIND='127.0.0.1:5123'" in commands
    assert "gunicorn --config gunicorn.conf.py" in commands


def test_make_run_keeps_a_public_url_it_is_given():
    commands = _run_commands(PORT="5123", PUBLIC_URL="https://dialog.kommun.se")
    assert "export PUBLIC_URL='https://dialog.kommun.se'" in commands
    assert "PUBLIC_URL='http://127.0.0.1" not in commands
