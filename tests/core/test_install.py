"""The wheel is the app: built from the repository's files, installed into a fresh
virtualenv and run from a folder outside the checkout, it migrates a new database and
serves Swedish pages through gunicorn with the gunicorn.conf.py it carries.

On the embedded defaults it runs as `make run`'s development config does (SQLite, the
SQLite broker); with DATABASE_URL and REDIS_URL set, as the README's production steps
say, on a PostgreSQL database of its own.

The virtualenv gets the project's dependencies by a .pth file naming the site-packages
of the environment the tests run in (installing them again would take minutes); the
checkout itself is on no path of the installed app.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib.util import find_spec
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.support import ROOT, free_port

pytestmark = pytest.mark.install

START_DEADLINE_SECONDS = 30


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The python of a fresh virtualenv with only the wheel installed in it."""
    assert find_spec("setuptools.command.bdist_wheel"), (
        "setuptools>=70.1 (test extras): make install"
    )
    work = tmp_path_factory.mktemp("install")
    source = _copy_repository_files(work / "source")
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        + ["--quiet", "--wheel-dir", work / "dist", source],
        cwd=work,
    )
    [wheel] = (work / "dist").glob("medborgardialog-*.whl")
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=work)
    python = venv / "bin" / "python"
    site_packages = Path(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], work)
    )
    (site_packages / "dependencies.pth").write_text("\n".join(_dependency_paths()) + "\n")
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", wheel], work)
    return python


def _copy_repository_files(target: Path) -> Path:
    # What a fresh clone holds (and new files not yet committed): nothing built or
    # compiled in this checkout can slip into the wheel.
    listed = _run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], ROOT)
    for name in listed.splitlines():
        path = ROOT / name
        if path.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / name)
    return target


def _dependency_paths() -> list[str]:
    # The tests' site-packages (in CI inside the checkout, as .venv): not the checkout.
    return [path for path in sys.path if path.endswith("site-packages")]


def _run(command: list, cwd: Path, env: dict | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env or _clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout.strip()


def _clean_environment(**settings: str) -> dict[str, str]:
    """No PYTHONPATH, no settings of the test session: only what the operator sets."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    return {name: os.environ[name] for name in keep if name in os.environ} | {
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_ROOT_USER_ACTION": "ignore",
        **settings,
    }


@pytest.fixture
def operator_settings(tmp_path) -> dict[str, str]:
    """The environment an operator writes: production on PostgreSQL and Redis when the
    suite has them, otherwise the embedded defaults."""
    database, redis = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not (database and database.startswith("postgres") and redis):
        yield {}
        return
    url = _fresh_postgres_database(database)
    yield {
        "DIALOG_CONFIG": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": url,
        "REDIS_URL": redis,
        "PUBLIC_URL": "https://dialog.kommun.example",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_SECURITY": "starttls",
        "MAIL_DEFAULT_SENDER": "Kommunen <dialog@kommun.example>",
        "ACCESSIBILITY_FEEDBACK_EMAIL": "tillganglighet@kommun.example",
        "INSTANCE_PATH": str(tmp_path / "state"),
    }
    _drop_postgres_database(url)


def _fresh_postgres_database(url: str) -> str:
    base = make_url(url).set(drivername="postgresql+psycopg")
    name = f"{base.database}_install_{os.getpid()}"
    _administer(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    target = make_url(url)
    _administer(target.set(database="postgres"), f'DROP DATABASE "{target.database}" WITH (FORCE)')


def _administer(url, *statements: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def test_the_installed_app_comes_from_the_wheel_and_mails_in_swedish(installed, tmp_path):
    # The worker renders mail as this does: with the catalogues compiled into the wheel.
    script = """
import config, dialog
from dialog.core import mail
payload = {"to": "ada@example.org", "template": "password_changed", "locale": "sv",
           "context": {"name": "Ada", "reset_url": "https://x.se/r"}}
from email.header import decode_header, make_header
with dialog.create_app().app_context():
    subject = str(make_header(decode_header(mail.render(payload)["Subject"])))
print(config.DATA_DIR, dialog.__file__, subject, sep="\\n")
"""
    data_dir, package, subject = _run([installed, "-c", script], tmp_path).splitlines()[-3:]
    site_packages = installed.parent.parent / "lib"
    for path in (data_dir, package):
        assert Path(path).is_relative_to(site_packages) and not Path(path).is_relative_to(ROOT)
    assert subject == "Ditt lösenord har ändrats"


def test_the_wheel_migrates_and_serves_swedish_pages_outside_the_checkout(
    installed, operator_settings, tmp_path
):
    run_here = tmp_path / "run"
    run_here.mkdir()
    env = _clean_environment(**operator_settings)
    _run([installed, "-m", "flask", "--app", "dialog", "db", "upgrade"], run_here, env)

    port = free_port()
    env |= {"GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1"}
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [installed, "-m", "gunicorn", "--config", "python:dialog.gunicorn_conf"],
            cwd=run_here,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/healthz", server, log)
        login = _get(f"http://127.0.0.1:{port}/login")
        stylesheet = _get(f"http://127.0.0.1:{port}/static/css/main.css")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    assert json.loads(health) == {"status": "ok", "database": "ok", "broker": "ok"}
    assert '<html lang="sv"' in login and "Logga in" in login
    assert stylesheet.startswith(":root")
    # The access log, with the id the app answered with (its own lines carry the same).
    assert re.search(r'"GET /login HTTP/1.1" 200 .* request_id=[0-9a-f]{32}\b', log.read_text())
    assert server.returncode == 0, log.read_text()
    if not operator_settings:
        # The embedded default keeps its files where it was started, not in site-packages.
        assert (run_here / "instance" / "dialog.sqlite").is_file()


def _wait_for(url: str, server: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            return _get(url)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError(
        f"gunicorn did not answer within {START_DEADLINE_SECONDS} s\n{log.read_text()}"
    )


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()
