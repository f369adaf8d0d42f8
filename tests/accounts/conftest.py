"""Account tests read real mail: a real SMTP server (aiosmtpd on loopback) takes it."""

from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.support import free_port


class SmtpInbox:
    """What the SMTP server received, newest last."""

    def __init__(self, mailbox):
        self.mailbox = mailbox
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        self.mailbox.deliver()  # runs the outbox deliveries: the real task code sends
        return [m for m in self.received if m["To"] == address]

    def last(self, address: str):
        messages = self.to(address)
        assert messages, f"no email to {address}"
        return messages[-1]


@pytest.fixture
def smtp_inbox(app, mailbox, monkeypatch):
    inbox = SmtpInbox(mailbox)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    for name, value in {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_SECURITY": "none",
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
    }.items():
        monkeypatch.setitem(app.config, name, value)
    yield inbox
    controller.stop()
