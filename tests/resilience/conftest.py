"""Taking the app's dependencies away: private Redis servers, proxies that refuse or hang,
an SMTP server, apps built from an operator's environment, and the measured figures
(printed at the end of the run, under "resilience figures")."""

from __future__ import annotations

import logging
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.support import RedisServer, TcpProxy, free_port

# Deadlines of the apps built here: low, so a hung dependency is found out fast.
FAST_DEADLINES = {
    "REDIS_SOCKET_TIMEOUT": "0.5",
    "REDIS_CONNECT_TIMEOUT": "0.5",
    "OUTBOX_PUBLISH_TIMEOUT": "0.5",
    "MAIL_TIMEOUT": "0.5",
    "DATABASE_CONNECT_TIMEOUT": "2",
    "DATABASE_STATEMENT_TIMEOUT": "1",
}

_figures: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    if _figures:
        terminalreporter.section("resilience figures")
        for line in _figures:
            terminalreporter.write_line(line)


@pytest.fixture
def figure():
    """figure("...") keeps one measured line for the end of the run."""
    return _figures.append


@pytest.fixture
def logs(caplog, monkeypatch):
    """caplog at INFO for the loggers that tell of outages. The suite's migration run
    (Alembic's fileConfig) disabled every logger that existed by then; these count here."""
    for name in ("dialog.core.outages", "flask-limiter"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    caplog.set_level(logging.INFO)
    return caplog


@pytest.fixture
def redis_server():
    if not RedisServer.available():
        pytest.skip("redis-server is not installed")
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def proxy():
    """proxy(port): a TcpProxy in front of a server on that port, closed afterwards."""
    opened = []

    def open_proxy(target_port: int) -> TcpProxy:
        opened.append(TcpProxy(target_port).start())
        return opened[-1]

    yield open_proxy
    for each in opened:
        each.close()


@pytest.fixture
def build_site(app, monkeypatch):
    """build_site(**environment): create_app() as an operator's environment configures it
    (with FAST_DEADLINES), beside the suite's app."""
    from dialog import create_app

    def build(**environment):
        for name, value in {**FAST_DEADLINES, **environment}.items():
            monkeypatch.setenv(name, str(value))
        return create_app()

    yield build
    # Flask-Limiter and Celery's default app are one object per process: the suite's app
    # gets its own store back, out of any fallback that a stopped store left behind.
    from dialog.extensions import limiter

    limiter.init_app(app)
    limiter._storage_dead = False
    app.extensions["celery"].set_default()


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [message for message in self.messages if message["To"] == address]


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd): its controller and what it received."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()
