from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.support import free_port


class Inbox:
    """An SMTP server's mailbox; `answers` (e.g. ["421 ...", "250 ..."]) are given to the
    DATA commands in turn, then 250. `on_message(message)` runs for each message taken,
    before its 250 is sent."""

    def __init__(self):
        self.messages = []
        self.answers: list[str] = []
        self.on_message = None

    async def handle_DATA(self, server, session, envelope):
        answer = self.answers.pop(0) if self.answers else "250 OK"
        if answer.startswith("250"):
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            if self.on_message:
                self.on_message(self.messages[-1])
        return answer


@pytest.fixture(scope="module")
def _smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def smtp(app, monkeypatch, _smtp_server):
    """A real SMTP server on loopback the app sends to; its mailbox, empty."""
    inbox, port = _smtp_server
    inbox.messages.clear()
    inbox.answers.clear()
    inbox.on_message = None
    for name, value in {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_SECURITY": "none",
        "MAIL_USERNAME": None,
    }.items():
        monkeypatch.setitem(app.config, name, value)
    return inbox
