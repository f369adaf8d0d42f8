"""The one path every email takes: queued in the outbox, rendered and sent by the worker.

Without `MAIL_SERVER` the message is written to `MAIL_DIR` as an .eml file. The delivery's
log line names the event and the mail's Message-ID, never its address or its text.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
import smtplib
import ssl
from collections.abc import Callable
from email import charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
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
    try:
        message = render(payload)
    except Unsendable as error:
        raise outbox.GiveUp(str(error)) from error
    if message is None:
        return "not sent: no longer owed"
    with Transport() as transport:
        try:
            return transport.send(message)
        except smtplib.SMTPException as error:
            if refused_for_good(error) or refused_permanently(error):
                raise outbox.GiveUp(f"refused for good: {error_text(error)}") from error
            raise


def refused_permanently(error: BaseException) -> bool:
    """A 5xx about this message (spam, policy, size), not about our account with the
    server: sending the same message again gets the same answer."""
    code = smtp_code(error)
    return code is not None and 500 <= code < 600 and not server_fault(error)


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


def render(payload: dict[str, Any]) -> Message | None:
    template = payload["template"]
    links = _built_links(payload.get("links", {}))
    if None in links.values():
        return None
    context = {**payload["context"], **links}
    with force_locale(payload["locale"]):
        text = render_template(f"emails/{template}.txt", **context)
        html = render_template(f"emails/{template}.html", **context)
        subject = render_template(f"emails/{template}.subject.txt", **context)
    return build(
        to=payload["to"],
        subject=subject,
        text=text,
        html=html,
        locale=payload["locale"],
        # Events queued before Message-IDs were kept have none: they get a fresh one.
        message_id=payload.get("message_id") or new_message_id(),
    )


# Quoted-printable rather than base64: Swedish text stays mostly readable on the wire.
_UTF8 = charset.Charset("utf-8")
_UTF8.body_encoding = charset.QP


def build(
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    locale: str,
    message_id: str,
    headers: dict[str, str] | None = None,
) -> Message:
    """Every email we send: a plain and an HTML part, from MAIL_DEFAULT_SENDER.

    Made with the classic email API (compat32): `EmailMessage` parses and refolds each
    header through its header registry, which costs three times as much per message,
    and that counts when an event is mailed to a hundred thousand followers. The
    classic API does not check what it is given, so this does: no header value may
    carry a line break (header injection), and non-ASCII goes into encoded words."""
    fields = {
        "Subject": " ".join(subject.split()),
        "From": _sender(),
        "To": _ascii_address(to),
        "Date": format_datetime(utcnow()),
        "Message-ID": message_id,
        # Every mail here is sent by the platform, none by a person (RFC 3834): out-of-office
        # replies and other automatic answers are not sent back to it.
        "Auto-Submitted": "auto-generated",
        **(headers or {}),
        "Content-Language": locale,
    }
    # A boundary of our own: left to it, the generator compiles a regular expression
    # for every message to check that its random one is not in the text. "=_" cannot
    # be: in quoted-printable text "=" is always followed by hex digits or a line end.
    message = MIMEMultipart("alternative", boundary=f"=_{secrets.token_hex(12)}", policy=_POLICY)
    for name, value in fields.items():
        if "\r" in value or "\n" in value:
            raise ValueError(f"a line break in the {name} header")
        message[name] = value if value.isascii() else _encoded_words(value, name)
    message.attach(MIMEText(text, "plain", _UTF8, policy=_POLICY))
    message.attach(MIMEText(html, "html", _UTF8, policy=_POLICY))
    return message


class _Policy(type(compat32)):
    """compat32, writing an ASCII value on its name's line as it is when it fits there or
    has no space to fold at. The classic folding runs every header through `Header`
    (most of the cost of a message), and moves a long unbreakable value (the link in
    List-Unsubscribe) onto a line of its own, which readers then find starting with a
    space."""

    def _fold(self, name, value, sanitize):
        if isinstance(value, str) and value.isascii() and _needs_no_folding(name, value):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


def _needs_no_folding(name: str, value: str) -> bool:
    length = len(name) + 2 + len(value)
    return length <= _FOLD_AT or (length <= _LINE_LIMIT and not any(c in value for c in " \t"))


_FOLD_AT = 78
_LINE_LIMIT = 998  # RFC 5322's hard limit
_POLICY = _Policy()
_SMTP_POLICY = _POLICY.clone(linesep="\r\n")  # SMTP's line ends; smtplib adds none to bytes


class Unsendable(ValueError):
    """A mail that no retry can send: it fails for good at once."""


def _ascii_address(address: str) -> str:
    """The address as SMTP without extensions carries it: a Swedish domain (åre.se) in
    its IDNA form. A mailbox name beyond ASCII would need SMTPUTF8 at every hop; the
    forms refuse such addresses, and a mail to one fails here rather than garbled."""
    if address.isascii():
        return address
    mailbox, _, domain = address.rpartition("@")
    if not mailbox.isascii():
        raise Unsendable("the mailbox name needs SMTPUTF8, which this platform does not use")
    return f"{mailbox}@{domain.encode('idna').decode('ascii')}"


def _sender() -> str:
    return _sender_header(current_app.config["MAIL_DEFAULT_SENDER"])


# Worked out once per setting, not for every message of a batch.
@functools.lru_cache(maxsize=4)
def _sender_header(configured: str) -> str:
    """MAIL_DEFAULT_SENDER with its name (Södertälje kommun) in encoded words."""
    name, address = parseaddr(configured)
    address = _ascii_address(address)
    if name.isascii():
        return formataddr((name, address))
    # formataddr would put a long name into one encoded word, longer than RFC 2047 allows.
    return f"{_encoded_words(name, 'From')} <{address}>"


@functools.lru_cache(maxsize=4)
def _sender_address(configured: str) -> str:
    return _ascii_address(parseaddr(configured)[1])


def _encoded_words(text: str, name: str) -> str:
    """Text beyond ASCII as RFC 2047 encoded words on one line, separated by spaces, where
    the policy folds it. Each word at most 75 characters, as the RFC requires: Header's
    own folding at the policy's 78-character lines makes them a character or two longer,
    and readers may then show them undecoded."""
    return Header(text, "utf-8", header_name=name, maxlinelen=_ENCODED_WORD).encode(linesep="")


_ENCODED_WORD = 75


def _built_links(links: dict[str, list]) -> dict[str, str | None]:
    return {name: _links[builder](**args) for name, (builder, args) in links.items()}


def sender_domain() -> str:
    address = _sender_address(current_app.config["MAIL_DEFAULT_SENDER"])
    return address.rpartition("@")[2] or "localhost"


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

    def send(self, message: Message) -> str:
        """Send and return where it went: the Message-ID, and the file in the mail folder."""
        if not self.config["MAIL_SERVER"]:
            return f"Message-ID {message['Message-ID']} written to {_write_to_folder(message)}"
        if self.client is None:
            self.client = self._connect()
        try:
            # The envelope as build() made it: send_message would parse the addresses
            # back out of the headers, and flatten the message much as this does.
            self.client.sendmail(
                _sender_address(self.config["MAIL_DEFAULT_SENDER"]),
                [message["To"]],
                message.as_bytes(policy=_SMTP_POLICY),
            )
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


def _write_to_folder(message: Message) -> Path:
    folder = Path(current_app.config["MAIL_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"{stamp}-{str(message['Message-ID']).strip('<>').split('@')[0]}.eml"
    path.write_bytes(message.as_bytes())
    return path
