"""The example systemd units and environment file in deploy/ are sound: systemd itself
reads the units, and the environment file, filled in, is a production configuration
the app accepts."""

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import config
from dialog.core import queues
from tests.support import ROOT

DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
VENV_BIN = "/opt/medborgardialog/venv/bin"


def _unit(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(DEPLOY / "systemd" / f"medborgardialog-{name}.service")
    assert parser.has_section("Service"), name
    return parser["Service"]


def _environment_file() -> dict[str, str]:
    """deploy/medborgardialog.env read as systemd reads an EnvironmentFile."""
    values = {}
    for line in (DEPLOY / "medborgardialog.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip().removeprefix('"').removesuffix('"')
    return values


def test_there_is_a_unit_for_web_worker_and_beat():
    assert [unit.name for unit in UNITS] == [
        "medborgardialog-beat.service",
        "medborgardialog-web.service",
        "medborgardialog-worker@.service",
    ]


@pytest.mark.parametrize("name", ["web", "worker@", "beat"])
def test_each_unit_runs_as_its_own_user_with_the_environment_file(name):
    service = _unit(name)
    assert service["User"] == service["Group"] == "medborgardialog"
    assert service["EnvironmentFile"] == "/etc/medborgardialog/env"
    assert service["ExecStart"].startswith(VENV_BIN + "/")
    # A refused setting (exit 78) is not restarted over and over.
    assert service["RestartPreventExitStatus"] == str(config.EXIT_CONFIGURATION)
    assert service["KillMode"] == "mixed"


def test_the_web_unit_runs_the_wheels_gunicorn_settings_and_lets_requests_finish():
    service = _unit("web")
    assert service["ExecStart"] == f"{VENV_BIN}/gunicorn --config python:dialog.gunicorn_conf"
    assert service["Type"] == "notify"
    graceful = config.WebServerConfig().GUNICORN_GRACEFUL_TIMEOUT
    assert int(service["TimeoutStopSec"]) > graceful


def test_the_worker_unit_takes_the_queue_it_is_named_for_and_stops_warm_within_a_deadline():
    service = _unit("worker@")
    assert service["ExecStart"] == (
        f"{VENV_BIN}/celery -A worker.app worker --loglevel=INFO --queues=%i --hostname=%i@%%h"
    )
    assert int(service["TimeoutStopSec"]) >= 60


def test_the_readme_enables_a_worker_for_every_queue():
    readme = (ROOT / "README.md").read_text()
    enabled = {f"medborgardialog-worker@{queue}" for queue in queues.ALL}
    assert all(unit in readme for unit in enabled), enabled


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not installed")
def test_systemd_reads_the_units_without_a_complaint(tmp_path):
    # A root of their own, where the programs they start exist (the venv's are dummies).
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    for program in (f"{VENV_BIN}/gunicorn", f"{VENV_BIN}/celery", "/bin/kill"):
        target = root / program.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("#!/bin/sh\n")
        target.chmod(0o755)
    (root / "etc/systemd/system").mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(unit, root / "etc/systemd/system" / unit.name)
    # A template is read through an instance of it: one per queue.
    names = [unit.name for unit in UNITS if "@." not in unit.name]
    names += [f"medborgardialog-worker@{queue}.service" for queue in queues.ALL]
    result = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}"]
        + [f"/etc/systemd/system/{name}" for name in names],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_environment_file_filled_in_is_a_configuration_production_accepts(monkeypatch):
    example = _environment_file()
    assert set(config.ProductionConfig.REQUIRED) <= set(example)
    for name, value in example.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(config.ConfigurationError, match="set SECRET_KEY"):
        config.load("production")  # the one value left for the operator to make
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    settings = config.load("production")
    assert settings.MAIL_DEFAULT_SENDER == "Kommunen <dialog@kommun.se>"
    assert Path(settings.INSTANCE_PATH) == Path("/var/lib/medborgardialog")


def _gunicorn_settings(**env: str) -> dict[str, str]:
    """gunicorn's own reading of gunicorn.conf.py (`--print-config`), name to value."""
    result = subprocess.run(
        [
            Path(sys.executable).parent / "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "--print-config",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = (line.partition(" = ") for line in result.stdout.splitlines() if " = " in line)
    return {name.strip(): value.strip() for name, _, value in lines}


def test_gunicorn_conf_serves_on_loopback_with_deadlines_and_a_worker_per_core():
    defaults = {name: "" for name in vars(config.WebServerConfig())}  # empty is unset
    settings = _gunicorn_settings(**defaults, PORT="9999")
    assert settings["bind"] == "['127.0.0.1:8000']"  # never 0.0.0.0, even with PORT set
    assert settings["workers"] == str(2 * len(os.sched_getaffinity(0)) + 1)
    assert settings["timeout"] == settings["graceful_timeout"] == "30"
    assert (settings["max_requests"], settings["max_requests_jitter"]) == ("1000", "100")
    assert settings["accesslog"] == "-"
    assert "request_id=%({x-request-id}o)s" in settings["access_log_format"]
    assert settings["forwarded_allow_ips"] == "['127.0.0.1', '::1']"
    assert settings["wsgi_app"] == "dialog:create_app()"
    assert settings["preload_app"] == "False"


def test_gunicorn_conf_takes_its_settings_from_the_environment():
    settings = _gunicorn_settings(
        PORT="9999",
        GUNICORN_BIND="127.0.0.1:8123",
        GUNICORN_WORKERS="3",
        GUNICORN_TIMEOUT="45",
        GUNICORN_GRACEFUL_TIMEOUT="25",
        GUNICORN_MAX_REQUESTS="500",
        GUNICORN_ACCESS_LOG="/var/log/dialog-access.log",
        FORWARDED_ALLOW_IPS="10.0.0.5",
    )
    assert settings["bind"] == "['127.0.0.1:8123']"
    assert (settings["workers"], settings["timeout"], settings["graceful_timeout"]) == (
        "3",
        "45",
        "25",
    )
    assert (settings["max_requests"], settings["max_requests_jitter"]) == ("500", "50")
    assert settings["accesslog"] == "/var/log/dialog-access.log"
    assert settings["forwarded_allow_ips"] == "['10.0.0.5']"
