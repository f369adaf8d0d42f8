"""The one path every email takes: queued in the outbox, rendered and sent by the worker.

Without `MAIL_SERVER` the message is written to `MAIL_DIR` as an .eml file. The delivery's
log line names the event and the mail's Message-ID, never its address or its text.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from dialog.core import outbox, queues
from dialog.core.db import utcnow

_links: dict[str, Callable[..., str | None]] = {}


def link(name: str):
    """Register `build(**args)`: the address of a link that carries a token, made when the
    mail is sent, so no token waits in the outbox, or in a backup of it. It returns None
    when the mail is no longer owed (the invitation was withdrawn meanwhile)."""

    def register(build: Callable[..., str | None]):
        if name in _links:
            raise ValueError(f"mail link {name!r} is registered twice")
        _links[name] = build
        return build

    return register


def queue(
    *,
    to: str,
    template: str,
    locale: str,
    key: str,
    links: dict[str, tuple[str, dict[str, Any]]] | None = None,
    **context: Any,
) -> None:
    """Queue `emails/<template>.txt|.html` for `to`, rendered later in `locale`.

    `key` deduplicates: the same key never sends twice. Context values must be JSON.
    `links` names, per context variable, a registered `link` and its arguments.
    """
    outbox.record(
        "email",
        f"email:{key}:{to}",
        {
            "to": to,
            "template": template,
            "locale": locale,
            "context": context,
            "links": links or {},
            "message_id": new_message_id(),
        },
    )


def new_message_id() -> str:
    """Chosen once, when the mail is queued, and kept in its outbox event: every attempt to
    send it (a retry after a timeout, or again after a restore from a backup made before it
    was delivered) carries the same Message-ID, so receivers see one mail. Not derived
    from row ids: a restore hands the ids of events recorded after the backup out again."""
    return make_msgid(domain=sender_domain())


@outbox.subscriber("email", name="core.send_email", queue=queues.MAIL)
def send_queued(payload: dict[str, Any]) -> str:
    message = render(payload)
    if message is None:
        return "not sent: no longer owed"
    with Transport() as transport:
        try:
            return transport.send(message)
        except smtplib.SMTPException as error:
            if refused_for_good(error):
                raise outbox.GiveUp(f"refused for good: {error_text(error)}") from error
            raise


# Answers that are about the mail server or our own account with it, not the recipient:
# a wrong password or a refused sender must not mark every address as bouncing.
_SERVER_FAULTS = (
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPNotSupportedError,
)
# What a receiving server says of a mailbox that does not exist or takes no mail:
# RFC 5321's 550, 551 and 553, at RCPT (refused recipients) or after DATA.
_MAILBOX_REFUSED = {550, 551, 553}


def smtp_code(error: BaseException) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return codes[0] if codes else None
    return getattr(error, "smtp_code", None)


def refused_for_good(error: BaseException) -> bool:
    """The receiving side refused this recipient permanently (a hard bounce): sending
    again cannot help until the address changes or its owner confirms it again."""
    if isinstance(error, _SERVER_FAULTS):
        return False
    code = smtp_code(error)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return code is not None and 500 <= code < 600
    return code in _MAILBOX_REFUSED


def server_fault(error: BaseException) -> bool:
    """The mail server (or our account with it) failed, whatever the recipient: the rest
    of a batch would fail the same way."""
    if isinstance(error, (*_SERVER_FAULTS, smtplib.SMTPServerDisconnected)):
        return True
    # A socket error (refused, timed out, reset); every SMTP answer is an OSError too.
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def error_text(error: BaseException) -> str:
    """The server's answer in words (bytes decoded), as administrators read it."""
    code = smtp_code(error)
    answer = getattr(error, "smtp_error", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answer = next(iter(error.recipients.values()), (None, b""))[1]
    if isinstance(answer, bytes):
        answer = answer.decode(errors="replace")
    if code:
        return f"{type(error).__name__}: {code} {answer}"
    return f"{type(error).__name__}: {error}"


def render(payload: dict[str, Any]) -> EmailMessage | None:
    template = payload["template"]
    links = _built_links(payload.get("links", {}))
    if None in links.values():
        return None
    context = {**payload["context"], **links}
    with force_locale(payload["locale"]):
        text = render_template(f"emails/{template}.txt", **context)
        html = render_template(f"emails/{template}.html", **context)
        subject = render_template(f"emails/{template}.subject.txt", **context)
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = payload["to"]
    message["Date"] = format_datetime(utcnow())
    # Events queued before Message-IDs were kept have none: they get a fresh one.
    message["Message-ID"] = payload.get("message_id") or new_message_id()
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    # After the body: setting content replaces every Content-* header.
    message["Content-Language"] = payload["locale"]
    return message


def _built_links(links: dict[str, list]) -> dict[str, str | None]:
    return {name: _links[builder](**args) for name, (builder, args) in links.items()}


def sender_domain() -> str:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    return sender.rsplit("@", 1)[-1].strip(" >") or "localhost"


class Transport:
    """One connection to the mail server (or the mail folder), for one or many messages.

    `send` returns once the server has accepted the message. What goes wrong after that
    (the QUIT answered late, a connection cut while closing) is not a failure to send:
    the mail was accepted, and sending it again would deliver it twice.
    """

    def __init__(self):
        self.config = current_app.config
        self.client: smtplib.SMTP | None = None

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def send(self, message: EmailMessage) -> str:
        """Send and return where it went: the Message-ID, and the file in the mail folder."""
        if not self.config["MAIL_SERVER"]:
            return f"Message-ID {message['Message-ID']} written to {_write_to_folder(message)}"
        if self.client is None:
            self.client = self._connect()
        try:
            self.client.send_message(message)
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, OSError):
            self._drop()  # the connection is in an unknown state: the next send starts afresh
            raise
        return f"Message-ID {message['Message-ID']}"

    def _connect(self) -> smtplib.SMTP:
        config, timeout = self.config, self.config["MAIL_TIMEOUT"]
        if config["MAIL_SECURITY"] == "ssl":
            client = smtplib.SMTP_SSL(
                config["MAIL_SERVER"],
                config["MAIL_PORT"],
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
        try:
            if config["MAIL_SECURITY"] == "starttls":
                client.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                client.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        except BaseException:
            client.close()
            raise
        return client

    def close(self) -> None:
        if self.client is None:
            return
        # Every message sent on it was accepted already.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self.client.quit()
        self._drop()

    def _drop(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


def _write_to_folder(message: EmailMessage) -> Path:
    folder = Path(current_app.config["MAIL_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"{stamp}-{message['Message-ID'].strip('<>').split('@')[0]}.eml"
    path.write_bytes(message.as_bytes())
    return path
