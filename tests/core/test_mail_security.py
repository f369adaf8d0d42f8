"""MAIL_SECURITY decides how the worker talks to the relay, and never quietly less.

The relay here (aiosmtpd on loopback) offers neither STARTTLS nor implicit TLS: asked
for either, the mail is not sent in clear but stays pending with the reason.
"""

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from dialog.core import mail
from dialog.core.models import OutboxDelivery, OutboxEvent, OutboxStatus
from tests.core.test_smtp import Inbox
from tests.support import free_port


@pytest.fixture
def plain_relay(app, monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    monkeypatch.setitem(app.config, "MAIL_USERNAME", None)
    yield inbox
    controller.stop()


def _send(db, mailbox, key: str) -> OutboxDelivery:
    mail.queue(
        to="ada@example.org",
        template="password_changed",
        locale="sv",
        key=key,
        name="Ada",
        reset_url="https://dialog.example/r",
    )
    db.session.commit()
    mailbox.deliver()
    delivery = db.session.scalars(
        select(OutboxDelivery).join(OutboxEvent).where(OutboxEvent.key.like(f"email:{key}:%"))
    ).one()
    db.session.refresh(delivery)
    return delivery


def test_none_sends_to_a_plain_relay(app, ctx, db, mailbox, plain_relay, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SECURITY", "none")
    delivery = _send(db, mailbox, "security-none")
    assert delivery.status is OutboxStatus.delivered
    [(_sender, recipients, _message)] = plain_relay.messages
    assert recipients == ["ada@example.org"]


@pytest.mark.parametrize(
    ("security", "error"), [("starttls", "SMTPNotSupportedError"), ("ssl", "SSL")]
)
def test_tls_asked_for_is_never_given_up(
    app, ctx, db, mailbox, plain_relay, monkeypatch, security, error
):
    monkeypatch.setitem(app.config, "MAIL_SECURITY", security)
    delivery = _send(db, mailbox, f"security-{security}")
    assert plain_relay.messages == []
    assert delivery.status is OutboxStatus.pending
    assert error in delivery.last_error
