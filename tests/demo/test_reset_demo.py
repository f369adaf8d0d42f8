"""`make reset-demo` (`flask reset-demo`): everything deleted, the schema made anew, the
demo loaded; it asks first and is refused in production. On both databases."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.support import ROOT

FLASK = str(ROOT / ".venv" / "bin" / "flask")


@pytest.fixture
def scratch(tmp_path, settings):
    """A database of its own (SQLite file, or a new PostgreSQL database) and its environment."""
    env = {**os.environ, "DIALOG_CONFIG": "testing", "INSTANCE_PATH": str(tmp_path)}
    url = make_url(settings["DATABASE_URL"])
    if url.get_backend_name() != "postgresql":
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite'}"
        yield env
        return
    name = f"{url.database}_reset_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = url.set(database=name).render_as_string(hide_password=False)
    yield env
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _flask(env, *args, answer: str | None = None):
    return subprocess.run(
        [FLASK, "--app", "dialog", *args],
        cwd=ROOT,
        env=env,
        input=answer,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _emails(env) -> set[str]:
    engine = sa.create_engine(env["DATABASE_URL"])
    with engine.connect() as connection:
        found = set(connection.scalars(sa.text("SELECT email FROM user_account")))
    engine.dispose()
    return found


def test_reset_demo_starts_again_from_the_demo_only(scratch):
    assert _flask(scratch, "db", "upgrade").returncode == 0
    made = _flask(
        {**scratch, "DIALOG_USER_PASSWORD": "ett-langt-losenord-123"},
        "create-user",
        "kvar@example.org",
        "--role",
        "admin",
    )
    assert made.returncode == 0, made.stderr
    assert "kvar@example.org" in _emails(scratch)

    refused = _flask(scratch, "reset-demo", answer="n\n")
    assert refused.returncode == 1 and "Aborted" in refused.stderr
    assert "kvar@example.org" in _emails(scratch)  # nothing happened

    reset = _flask(scratch, "reset-demo", "--yes")
    assert reset.returncode == 0, reset.stderr
    emails = _emails(scratch)
    assert "kvar@example.org" not in emails
    assert {"resident@example.org", "planner@example.org", "admin@example.org"} <= emails


def test_reset_demo_is_refused_in_production(scratch):
    production = {**scratch, "DIALOG_CONFIG": "production"}
    from tests.support import PRODUCTION

    production.update({k: v for k, v in PRODUCTION.items() if k != "DATABASE_URL"})
    answer = _flask(production, "reset-demo", "--yes")
    assert answer.returncode == 1
    assert "reset-demo is refused in production" in answer.stderr


def test_make_reset_demo_runs_the_command():
    commands = subprocess.run(
        ["make", "-n", "--always-make", "reset-demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "flask --app dialog reset-demo --yes" in commands
