"""Email through a real SMTP server (aiosmtpd on loopback)."""

import re
from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from dialog.core import mail
from tests.support import free_port


class Inbox:
    def __init__(self):
        self.messages = []
        self.answer: str | None = None  # a refusal to give every message instead of 250

    async def handle_DATA(self, server, session, envelope):
        if self.answer:
            return self.answer
        self.messages.append(
            (
                envelope.mail_from,
                envelope.rcpt_tos,
                message_from_bytes(envelope.content, policy=policy.default),
            )
        )
        return "250 Message accepted for delivery"


def _authenticator(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"dialog",
        b"smtp-secret",
    ):
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=_authenticator,
        auth_require_tls=False,
    )
    controller.start()
    yield controller, inbox
    controller.stop()


def _send_through(app, monkeypatch, controller, **settings) -> None:
    """The app's mail goes to the test server, logged in as dialog."""
    configured = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_SECURITY": "none",
        "MAIL_USERNAME": "dialog",
        "MAIL_PASSWORD": "smtp-secret",
    }
    for name, value in (configured | settings).items():
        monkeypatch.setitem(app.config, name, value)


def test_mail_goes_through_smtp_when_a_server_is_configured(
    app, ctx, db, mailbox, smtp_server, monkeypatch, settings
):
    controller, inbox = smtp_server
    _send_through(
        app, monkeypatch, controller, MAIL_DEFAULT_SENDER="Södertälje kommun <dialog@sodertalje.se>"
    )
    mail.queue(
        to="ada@example.org",
        template="reset_password",
        locale="en",
        key="smtp-1",
        name="Ada",
        reset_url="https://dialog.example/reset/abc",
        hours=3,
    )
    db.session.commit()
    assert mailbox.deliver() == 1
    [(sender, recipients, message)] = inbox.messages
    assert sender == "dialog@sodertalje.se" and recipients == ["ada@example.org"]
    assert message["Subject"] == "Choose a new password"
    assert "https://dialog.example/reset/abc" in message.get_body(("plain",)).get_content()
    assert "https://dialog.example/reset/abc" in message.get_body(("html",)).get_content()
    assert message["Message-ID"].endswith("@sodertalje.se>")


def test_a_refused_smtp_login_leaves_the_email_pending_for_a_retry(
    app, ctx, db, mailbox, smtp_server, monkeypatch
):
    from sqlalchemy import select

    from dialog.core.models import OutboxDelivery, OutboxEvent, OutboxStatus

    controller, inbox = smtp_server
    _send_through(app, monkeypatch, controller, MAIL_PASSWORD="wrong")
    mail.queue(
        to="bo@example.org",
        template="password_changed",
        locale="sv",
        key="smtp-2",
        name="Bo",
        reset_url="https://dialog.example/r",
    )
    db.session.commit()
    mailbox.deliver()
    delivery = db.session.scalars(
        select(OutboxDelivery).join(OutboxEvent).where(OutboxEvent.key.like("email:smtp-2:%"))
    ).one()
    db.session.refresh(delivery)
    assert inbox.messages == []
    assert delivery.status is OutboxStatus.pending
    assert "SMTPAuthenticationError" in delivery.last_error


def test_swedish_names_subjects_and_domains_arrive_as_written(
    app, ctx, db, mailbox, smtp_server, monkeypatch
):
    controller, inbox = smtp_server
    _send_through(
        app, monkeypatch, controller, MAIL_DEFAULT_SENDER="Östra Göinge kommun <dialog@goinge.se>"
    )
    mail.queue(
        to="asa@åre.se",
        template="password_changed",
        locale="sv",
        key="smtp-3",
        name="Åsa",
        reset_url="https://dialog.example/r",
    )
    db.session.commit()
    assert mailbox.deliver() == 1
    [(sender, recipients, message)] = inbox.messages
    assert recipients == ["asa@xn--re-xia.se"]  # åre.se as DNS knows it
    assert message["From"].addresses[0].display_name == "Östra Göinge kommun"
    assert message["From"].addresses[0].addr_spec == sender == "dialog@goinge.se"
    assert message["Subject"] == "Ditt lösenord har ändrats"
    assert message["Auto-Submitted"] == "auto-generated"  # account mail is automatic too
    assert "Åsa" in message.get_body(("plain",)).get_content()


def test_a_message_refuses_a_line_break_in_a_header_and_a_mailbox_beyond_ascii(ctx):
    parts = {"subject": "Hej", "text": "t", "html": "<p>h</p>", "locale": "sv"}
    with pytest.raises(ValueError, match="line break in the To header"):
        mail.build(to="a@example.org\r\nBcc: b@example.org", message_id="<1@x>", **parts)
    with pytest.raises(ValueError, match="SMTPUTF8"):
        mail.build(to="åsa@example.org", message_id="<2@x>", **parts)
    built = mail.build(to="a@example.org", message_id="<3@x>", **parts)
    assert built["To"] == "a@example.org"


def test_header_lines_keep_to_the_line_limits(ctx, monkeypatch, app):
    name = "Samhällsbyggnadsförvaltningen i Åre kommun – enheten för översiktlig planering"
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", f"{name} <dialog@åre.se>")
    subject = "Fasen ”Lämna förslag” i dialogen Södertälje centrum – förnyelse av torget slutar"
    link = "<https://dialog.example/unsubscribe/" + "x" * 120 + ">"
    built = mail.build(
        to="a@example.org",
        subject=subject,
        text="t",
        html="<p>h</p>",
        locale="sv",
        message_id="<1@x>",
        headers={"List-Unsubscribe": link},
    )
    raw = built.as_bytes()
    head = raw.split(b"\n\n", 1)[0].decode("ascii")
    long_lines = [line for line in head.splitlines() if len(line) > 78]
    # Only a value with nowhere to fold (the link) may be longer, on its own header line.
    assert long_lines == [f"List-Unsubscribe: {link}"]
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == subject
    assert parsed["List-Unsubscribe"] == link
    assert parsed["From"].addresses[0].domain == "xn--re-xia.se"
    # Decoded as RFC 2047 says, the space between two encoded words ignored (Python's
    # newer address parser keeps it).
    decoded = str(make_header(decode_header(message_from_bytes(raw)["From"])))
    assert decoded == f"{name} <dialog@xn--re-xia.se>"
    words = re.findall(r"=\?utf-8\?[bq]\?[^?]*\?=", head, flags=re.IGNORECASE)
    assert len(words) > 2 and max(map(len, words)) <= 75  # RFC 2047's limit per word
    assert mail.new_message_id().endswith("@xn--re-xia.se>")


def test_account_mail_to_a_mailbox_beyond_ascii_is_given_up_at_once_with_the_reason(
    app, ctx, db, mailbox
):
    from dialog.core.models import OutboxStatus

    delivery = _account_mail_delivered(db, mailbox, to="åsa@example.org", key="smtputf8")
    assert (delivery.status, delivery.attempts) == (OutboxStatus.failed, 1)
    assert "SMTPUTF8" in delivery.last_error


def test_account_mail_refused_for_good_after_its_data_is_given_up_at_once(
    app, ctx, db, mailbox, smtp_server, monkeypatch
):
    from dialog.core.models import OutboxStatus

    controller, inbox = smtp_server
    _send_through(app, monkeypatch, controller)
    inbox.answer = "554 5.7.1 Message rejected as spam"
    delivery = _account_mail_delivered(db, mailbox, to="ada@example.org", key="spam")
    assert (delivery.status, delivery.attempts) == (OutboxStatus.failed, 1)
    assert "554" in delivery.last_error


def _account_mail_delivered(db, mailbox, *, to: str, key: str):
    """Queue a password-changed mail to `to`, run its outbox delivery once, return it."""
    from sqlalchemy import select

    from dialog.core.models import OutboxDelivery, OutboxEvent

    mail.queue(
        to=to,
        template="password_changed",
        locale="sv",
        key=key,
        name="Åsa",
        reset_url="https://dialog.example/r",
    )
    db.session.commit()
    mailbox.deliver()
    delivery = db.session.scalars(
        select(OutboxDelivery).join(OutboxEvent).where(OutboxEvent.key.like(f"email:{key}:%"))
    ).one()
    db.session.refresh(delivery)
    return delivery
