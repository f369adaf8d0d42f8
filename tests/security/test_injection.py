"""Every payload of the corpus through every text input there is, and out again harmless.

Each (input, payload) pair runs in a savepoint of the seeded world (world.py): the
payload is sent through the form as the person who may use it; when it is taken, every
page, API answer and email that shows it is checked with `assert_harmless`; when it is
refused, the refusal must be an inline message on the form (never a 500) that keeps what
was typed.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from urllib.parse import quote, urlsplit

import pytest
from aiosmtpd.controller import Controller

from tests.security.injection import assert_harmless, assert_json_response
from tests.security.injection_corpus import PAYLOADS, Payload
from tests.security.world import png
from tests.support import PASSWORD, Mailbox, free_port


@dataclass
class TextInput:
    """A form that takes text, who fills it in, and where what they wrote shows up."""

    name: str
    who: str
    path: str
    data: dict  # "{p}" is the payload, other placeholders come from the world's ids
    pages: list[tuple[str, str]] = field(
        default_factory=list
    )  # (who, path); "{new}" is where the answer redirected
    api: list[str] = field(default_factory=list)
    mail_to: str | None = None  # the address of an email that quotes it
    then: tuple[str, str, dict] | None = None  # a second step (who, path, data) that uses it
    shows_text: bool = True  # False where Markdown may rightly drop a hostile link
    # Downloads that carry it: (who, method, path, kind), kind "csv" or "json".
    files: list[tuple[str, str, str, str]] = field(default_factory=list)
    my_data: str | None = None  # whose "download all my data" copy carries it
    keeps_typed: bool = True  # False for a password: a refusal never shows it again
    upload: tuple[str, str] | None = None  # (field, file name): an image sent under that name


PROPOSAL = {"title": "Förslag", "body": "Text.", "confirmed": "1"}
# The disclosure export of a dialogue's records, as its planner downloads it.
RECORDS = [
    ("planner", "POST", "/admin/dialogues/{dialogue_id}/records.csv", "csv"),
    ("planner", "POST", "/admin/dialogues/{dialogue_id}/records.json", "json"),
]
# The audit log, on its page and as the CSV administrators export.
AUDIT_PAGE = ("admin", "/admin/audit/")
AUDIT_CSV = [("admin", "POST", "/admin/audit/export", "csv")]
MODERATION_HISTORY = ("admin", "/admin/audit/?area=moderation")
DIALOGUE = {
    "title": "{p}",
    "summary": "{p}",
    "background": "{p}",
    "place_name": "{p}",
    "named_places": "{p}",
    "themes": "{p}",
    "focus_areas": "{p}",
    "visibility": "public",
    "vote_mode": "for_against",
    "vote_counts": "live",
}

INPUTS = [
    TextInput(
        "registration name",
        "anonymous",
        "/register",
        {
            "email": "reg-{mark}@example.org",
            "display_name": "{p}",
            "password": "ett långt lösenord för test",
            "confirm": "ett långt lösenord för test",
            "accept_terms": "y",
        },
        pages=[("admin", "/admin/users?q=reg-{mark}")],
        mail_to="reg-{mark}@example.org",
    ),
    TextInput(
        "profile name",
        "author",
        "/profile",
        {
            "display_name": "{p}",
            "show_name_publicly": "yes",
            "pseudonym": "Deltagare",
            "locale": "sv",
        },
        pages=[
            ("anonymous", "/p/{proposal}"),
            ("anonymous", "/c/{comment}"),
            ("author", "/profile"),
        ],
        api=["/api/v1/proposals/{proposal}"],
        files=RECORDS,
        my_data="author",
    ),
    TextInput(
        "profile pseudonym",
        "author",
        "/profile",
        {"display_name": "Ada", "show_name_publicly": "no", "pseudonym": "{p}", "locale": "sv"},
        pages=[("anonymous", "/p/{proposal}"), ("anonymous", "/c/{comment}")],
        api=["/api/v1/proposals/{proposal}"],
    ),
    TextInput(
        "proposal title",
        "resident",
        "/d/{slug}/proposals/new",
        {**PROPOSAL, "title": "{p}"},
        pages=[("anonymous", "{new}"), ("anonymous", "/d/{slug}/proposals")],
        api=["/api/v1/dialogues/{slug}/proposals"],
        files=RECORDS,
        my_data="resident",
    ),
    TextInput(
        "proposal body",
        "resident",
        "/d/{slug}/proposals/new",
        {**PROPOSAL, "body": "{p}"},
        pages=[("anonymous", "{new}")],
        api=["/api/v1/dialogues/{slug}/proposals"],
        files=RECORDS,
    ),
    TextInput(
        "proposal entered on someone's behalf",
        "planner",
        "/d/{slug}/proposals/enter",
        {"source": "letter", "received_on": "2026-11-30", "title": "{p}", "body": "{p}"},
        pages=[("anonymous", "{new}")],
        shows_text=False,  # the body is Markdown; the title is checked by "proposal title"
    ),
    TextInput(
        "sender of input entered on someone's behalf",
        "planner",
        "/d/{slug}/proposals/enter",
        {
            "source": "phone",
            "received_on": "2026-11-30",
            "sender_name": "{p}",
            "title": "Samtal om bänkar",
            "body": "Fler bänkar.",
        },
        pages=[("planner", "{new}")],
    ),
    TextInput(
        "proposal edited",
        "author",
        "/p/{fresh_proposal}/edit",
        {"title": "{p}", "body": "Text."},
        pages=[
            ("anonymous", "{new}"),
            ("author", "/p/{fresh_proposal}/edit"),
            ("author", "/me/proposals"),
            ("planner", "/moderation/items/p{fresh_proposal}"),
        ],
    ),
    TextInput(
        "dialogue fields (admin)",
        "admin",
        "/admin/dialogues/{dialogue_id}/edit",
        DIALOGUE,
        pages=[
            ("anonymous", "/"),
            ("anonymous", "/d/{slug}"),
            ("anonymous", "/d/{slug}/proposals"),
            ("resident", "/d/{slug}/proposals/new"),
            ("admin", "/admin/dialogues"),
        ],
        api=["/api/v1/dialogues", "/api/v1/dialogues/{slug}"],
        # The planner invites someone: the email names the dialogue by its title.
        then=("planner", "/d/{slug}/invitations", {"emails": "guest-{mark}@example.org"}),
        mail_to="guest-{mark}@example.org",
    ),
    TextInput(
        "proposal place (a named place)",
        "admin",
        "/admin/dialogues/{dialogue_id}/edit",
        {**DIALOGUE, "title": "Alfa", "summary": "Om Alfa", "background": ""},
        then=("resident", "/d/{slug}/proposals/new", {**PROPOSAL, "place_name": "{first_line}"}),
        pages=[("anonymous", "{new}"), ("anonymous", "/d/{slug}/proposals")],
        api=["/api/v1/dialogues/{slug}/proposals"],
    ),
    TextInput(
        "comment",
        "resident",
        "/p/{proposal}/comments",
        {"body": "{p}", "stance": "for"},
        pages=[("anonymous", "/p/{proposal}")],
        api=["/api/v1/proposals/{proposal}"],
        files=RECORDS,
        my_data="resident",
    ),
    TextInput(
        "reply",
        "resident",
        "/c/{comment}/reply",
        {"body": "{p}", "stance": "against"},
        # Replies show under their comment, and come in place from the fragment route.
        pages=[
            ("anonymous", "/c/{comment}"),
            ("anonymous", "/p/{proposal}"),
            ("anonymous", "/c/{comment}/replies"),
        ],
    ),
    TextInput(
        "comment edited",
        "author",
        "/c/{comment}/edit",
        {"body": "{p}", "stance": "neutral"},
        pages=[
            ("anonymous", "/c/{comment}"),
            ("author", "/c/{comment}/edit"),
            ("author", "/c/{comment}/delete"),  # the confirmation quotes it
            ("author", "/me/comments"),
            ("planner", "/moderation/items/c{comment}"),
        ],
    ),
    TextInput(
        "official answer",
        "planner",
        "/p/{proposal}/answer",
        {"status": "accepted", "body": "{p}", "publish": "1"},
        pages=[("anonymous", "/p/{proposal}"), ("planner", "/p/{proposal}/answer")],
        api=["/api/v1/proposals/{proposal}"],
        shows_text=False,  # Markdown
    ),
    TextInput(
        "report to a moderator",
        "resident",
        "/c/{comment}/flag",
        {"reason": "other", "text": "{p}"},
        pages=[("planner", "/moderation/"), ("planner", "/moderation/items/c{comment}")],
        my_data="resident",
    ),
    TextInput(
        "moderator's reason for hiding",
        "planner",
        "/moderation/items/p{proposal}/hide",
        {"hide-reason": "{p}"},
        pages=[
            ("anonymous", "/p/{proposal}"),
            ("planner", "/moderation/items/p{proposal}"),
            ("author", "/me/proposals"),
            MODERATION_HISTORY,
        ],
        files=AUDIT_CSV,
        my_data="author",
    ),
    TextInput(
        "redaction",
        "planner",
        "/moderation/items/p{proposal}/redact",
        {"redact-title": "{p}", "redact-body": "{p}", "redact-reason": "{p}"},
        pages=[("anonymous", "/p/{proposal}"), MODERATION_HISTORY],
        api=["/api/v1/proposals/{proposal}"],
        files=AUDIT_CSV,
    ),
    TextInput(
        "reason for a block",
        "planner",
        "/moderation/items/p{proposal}/block",
        {"block-days": "3", "block-reason": "{p}"},
        pages=[MODERATION_HISTORY],
        files=AUDIT_CSV,
    ),
    TextInput(
        "reason for hiding in bulk",
        "planner",
        "/moderation/bulk",
        {"items": "p{proposal}", "action": "hide", "reason": "{p}"},
        pages=[("anonymous", "/p/{proposal}")],
    ),
    TextInput(
        "request for a review",
        "author",
        "/moderation/decisions/{decision}/review",
        {"reason": "{p}"},
        pages=[("planner", "/moderation/items/c{unreviewed_comment}"), MODERATION_HISTORY],
        files=AUDIT_CSV,
        my_data="author",
    ),
    TextInput(
        "reason for a review's outcome",
        "planner",
        "/moderation/items/c{hidden_comment}/review",
        {"review-outcome": "stand", "review-reason": "{p}"},
        pages=[MODERATION_HISTORY],
        files=AUDIT_CSV,
    ),
    TextInput(
        "screened word (admin)",
        "admin",
        "/admin/moderation/words",
        {"word": "{p}"},
        pages=[("admin", "/admin/moderation/words")],
    ),
    TextInput(
        "withdrawal reason",
        "author",
        "/p/{proposal}/withdraw",
        {"reason": "{p}"},
        pages=[("anonymous", "/p/{proposal}"), AUDIT_PAGE],
        files=AUDIT_CSV,
    ),
    TextInput(
        "phase title and description (admin)",
        "admin",
        "/admin/dialogues/{dialogue_id}/phases",
        {
            "kind": "result",
            "title": "{p}",
            "description": "{p}",
            "starts_at": "{later_start}",
            "ends_at": "{later_end}",
            "save": "1",
        },
        pages=[("anonymous", "/d/{slug}"), ("admin", "/admin/dialogues/{dialogue_id}/phases")],
        api=["/api/v1/dialogues/{slug}"],
    ),
    TextInput(
        "phase edited (admin)",
        "admin",
        "/admin/phases/{future_phase}/edit",
        {
            "kind": "dialogue",
            "title": "{p}",
            "description": "{p}",
            "starts_at": "{future_start}",
            "ends_at": "{future_end}",
            "save": "1",
        },
        pages=[("anonymous", "/d/{slug}"), ("admin", "/admin/phases/{future_phase}/edit")],
    ),
    TextInput(
        "invitation addresses",
        "planner",
        "/d/{slug}/invitations",
        {"emails": "{p}"},
        pages=[("planner", "/d/{slug}/invitations")],
    ),
    TextInput(
        "new email address",
        "resident",
        "/profile/email",
        {"email": "{p}", "current_password": PASSWORD},
    ),
    TextInput("login address", "anonymous", "/login", {"email": "{p}", "password": PASSWORD}),
    TextInput(
        "role change reason (admin)",
        "admin",
        "/admin/users/{user}/role",
        {"role": "planner", "reason": "{p}"},
        pages=[AUDIT_PAGE],
        files=AUDIT_CSV,
    ),
    TextInput(
        "two-step login reset reason (admin)",
        "admin",
        "/admin/users/{user}/two-factor/reset",
        {"reset-reason": "{p}"},
        pages=[AUDIT_PAGE],
        files=AUDIT_CSV,
    ),
    TextInput(
        "phase closed now, the reason (admin)",
        "admin",
        "/admin/phases/{phase}/close-now",
        # With the confirmation the close-now page carries (the phase it closes).
        {"reason": "{p}", "confirmed": "{phase}"},
        pages=[AUDIT_PAGE],
        files=AUDIT_CSV,
    ),
    TextInput(
        "account deletion, the password that confirms it",
        "author",
        "/profile/delete",
        {"current_password": "{p}", "understood": "y"},
        keeps_typed=False,
    ),
]

# pages (wt-legal): the barrier report anyone may send (mailed to ACCESSIBILITY_FEEDBACK_EMAIL,
# by default MAIL_DEFAULT_SENDER), and the administrators' text of a legal page (Markdown).
INPUTS += [
    TextInput(
        "accessibility report",
        "anonymous",
        "/accessibility",
        {"description": "{p}", "page_address": "{p}", "email": ""},
        pages=[("admin", "/admin/pages/feedback")],
        mail_to="Medborgardialog <noreply@localhost>",
    ),
    TextInput(
        "accessibility report's address for an answer",
        "anonymous",
        "/accessibility",
        {"description": "Knappen syns inte", "page_address": "", "email": "{p}"},
        pages=[("admin", "/admin/pages/feedback")],
    ),
    TextInput(
        "legal page text (admin)",
        "admin",
        "/admin/pages/terms/sv",
        {"body": "{p}", "save": "1"},
        pages=[("anonymous", "/terms"), ("admin", "/admin/pages/terms/sv")],
    ),
]

# Inputs that take an address, a code or a name of a file: a new dialogue's address and
# reference prefix, a planner's address, where a reset link goes, the codes of two-step
# login (the anonymous visitor is half-way through logging in, the planner has it on,
# the other planner is setting it up) and the name of an uploaded image.
NEW_DIALOGUE = {
    "slug": "ny-{mark}",
    "title": "Ny dialog",
    "summary": "Om torget.",
    "visibility": "public",
    "vote_mode": "for_against",
    "vote_counts": "live",
}
INPUTS += [
    TextInput(
        "dialogue address (admin, new dialogue)",
        "admin",
        "/admin/dialogues/new",
        {**NEW_DIALOGUE, "slug": "{p}"},
        pages=[("admin", "/admin/dialogues")],
    ),
    TextInput(
        "reference prefix (admin, new dialogue)",
        "admin",
        "/admin/dialogues/new",
        {**NEW_DIALOGUE, "reference_prefix": "{p}"},
        pages=[("admin", "/admin/dialogues")],
    ),
    TextInput(
        "planner's address (admin)",
        "admin",
        "/admin/dialogues/{dialogue_id}/planners",
        {"email": "{p}"},
        pages=[("admin", "/admin/dialogues/{dialogue_id}/planners")],
    ),
    TextInput("forgotten password's address", "anonymous", "/password/forgot", {"email": "{p}"}),
    TextInput("two-step login code", "anonymous", "/login/code", {"code": "{p}"}),
    TextInput("two-step setup code", "other_planner", "/profile/two-factor/setup", {"code": "{p}"}),
    TextInput(
        "two-step turn-off code",
        "planner",
        "/profile/two-factor/disable",
        {"off-current_password": PASSWORD, "off-code": "{p}"},
    ),
    TextInput(
        "uploaded image's file name",
        "resident",
        "/d/{slug}/proposals/new",
        PROPOSAL,
        upload=("image", "{p}.png"),
        my_data="resident",
    ),
    TextInput(
        "background image's title and description (admin)",
        "admin",
        "/admin/dialogues/{dialogue_id}/attachments",
        {"title": "{p}", "alt_text": "{p}"},
        pages=[("anonymous", "/d/{slug}"), ("admin", "{new}")],
        upload=("file", "karta.png"),
    ),
    TextInput(
        "background image's file name (admin)",
        "admin",
        "/admin/dialogues/{dialogue_id}/attachments",
        {"title": "Planprogram", "alt_text": "Karta"},
        pages=[("anonymous", "/d/{slug}"), ("admin", "{new}")],
        upload=("file", "{p}.png"),
        shows_text=False,  # the file name is kept, not shown: its link shows the title
    ),
]

SEARCHES = [
    ("anonymous", "/d/{slug}/proposals?q={q}"),
    ("anonymous", "/d/{slug}/proposals?q=x&theme={q}&place={q}&sort={q}"),
    ("admin", "/admin/users?q={q}"),
    ("admin", "/admin/audit/?actor={q}&object_id={q}"),
    ("admin", "/admin/audit/?action={q}&object_type={q}&since={q}&until={q}"),
    ("admin", "/admin/audit/?area={q}"),
    ("planner", "/moderation/?dialogue={q}&state={q}&reason={q}"),
]
# The audit export takes the same filters as its page; what it answers must be harmless.
AUDIT_EXPORTS = [
    "/admin/audit/export?actor={q}&object_id={q}",
    "/admin/audit/export?action={q}&since={q}",
]
API_QUERIES = [
    "/api/v1/dialogues/{slug}/proposals?q={q}",
    "/api/v1/dialogues/{slug}/proposals?sort={q}",
    "/api/v1/dialogues/{slug}/proposals?theme={q}&place={q}",
    "/api/v1/dialogues?page={q}&per_page={q}",
]


# The real SMTP server -----------------------------------------------------------------


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def smtp(world, settings):
    """Mail from the checks goes through a real SMTP server on loopback."""
    from pathlib import Path

    app = world.app
    # The world's own invitations are sent first (to files), so a check sends only its own.
    Mailbox(app, Path(settings["MAIL_DIR"])).deliver()
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    saved = {
        name: app.config[name]
        for name in ("MAIL_SERVER", "MAIL_PORT", "MAIL_SECURITY", "MAIL_USERNAME")
    }
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_SECURITY="none",
        MAIL_USERNAME=None,
    )
    yield inbox, Mailbox(app, Path(settings["MAIL_DIR"]))
    app.config.update(saved)
    controller.stop()


# Helpers ------------------------------------------------------------------------------


def _fill(template: str, payload: Payload, ids: dict) -> str:
    values = {
        **ids,
        "mark": payload.mark,
        "first_line": (payload.text.splitlines() or [""])[0].strip(),
    }
    # The payload goes in last: its own braces must not be read as placeholders.
    return (
        template.replace("{p}", "\0PAYLOAD\0").format(**values).replace("\0PAYLOAD\0", payload.text)
    )


def _as_a_browser_names_it(filename: str) -> str:
    """A file name as a browser writes it into a form's body (the HTML standard's
    multipart encoding): quotes and line breaks escaped, everything else as it is."""
    return filename.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _post(world, who, path, data):
    client = world.client(who)
    return client.post(path, data={**data, "csrf_token": world.csrf(who)})


def _page(world, who, path, payload, *, where):
    response = world.client(who).get(path)
    assert response.status_code == 200, (
        f"{where}: GET {path} as {who} answered {response.status_code}"
    )
    html = response.get_data(as_text=True)
    assert_harmless(html, payload, "html", where=f"{where}: {path}")
    return html


def _download(world, who, method, path, payload, kind, where) -> str:
    """A CSV or JSON download: served as an attachment nobody caches, and harmless."""
    client = world.client(who)
    where = f"{where}: {method} {path}"
    # The audit export is a POST: exporting the log is itself logged.
    form = {"csrf_token": world.csrf(who)}
    response = client.get(path) if method == "GET" else client.post(path, data=form)
    assert response.status_code == 200, f"{where} answered {response.status_code}"
    assert "attachment" in response.headers["Content-Disposition"], where
    assert "no-store" in response.headers["Cache-Control"], where
    if kind == "json":
        assert_json_response(response, payload, where=where)
        return "\n".join(_strings(json.loads(response.get_data())))
    assert response.mimetype == "text/csv", where
    body = response.get_data(as_text=True)
    assert_harmless(body, payload, "csv", where=where)
    return body


DOWNLOAD_LINK = re.compile(r"https?://\S+(/profile/my-data/download/[\w.\-]+)")


def _my_data(world, who, inbox, mailbox, payload, *, where) -> str:
    """The person's copy of their data, asked for, built by the worker and downloaded
    through the emailed link, the way a person gets it."""
    inbox.messages.clear()
    response = _post(world, who, "/profile/my-data/export", {})
    assert 300 <= response.status_code < 400, f"{where}: asking for a copy: {response.status_code}"
    for _step in ("the job that builds it", "the mail with its link"):
        mailbox.deliver()
    to = world.users[who].email
    [message] = [m for m in inbox.messages if m["To"] == to]
    link = DOWNLOAD_LINK.search(message.get_body(preferencelist=("plain",)).get_content())
    download = world.client(who).get(link.group(1))
    where = f"{where}: my data"
    assert download.status_code == 200, f"{where}: {download.status_code}"
    assert_json_response(download, payload, where=where)
    return "\n".join(_strings(json.loads(download.get_data())))


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _assert_refused_inline(response, payload, *, where, keeps_typed=True):
    """A refused input: the form again with the reason beside the field, the text kept
    (a password never: it is not sent back to the browser)."""
    assert response.status_code in (200, 400), f"{where}: refused with {response.status_code}"
    html = response.get_data(as_text=True)
    assert 'class="error"' in html and 'aria-invalid="true"' in html, f"{where}: no inline message"
    if keeps_typed:
        assert payload.mark in html, f"{where}: what was typed is not kept in the form"
    else:
        assert payload.mark not in html, f"{where}: the password is sent back to the browser"
    assert_harmless(html, payload, "html", where=f"{where}: the refusal")


def _assert_nul_refused(response, *, where):
    """NUL is refused for the whole request, before any form, with a message that names it
    (dialog/core/security.py): PostgreSQL cannot store it."""
    assert response.status_code == 400, f"{where}: NUL answered {response.status_code}"
    assert "(NUL)" in response.get_data(as_text=True), f"{where}: the refusal does not say why"


def _cases():
    for text_input in INPUTS:
        for payload in PAYLOADS:
            yield pytest.param(text_input, payload, id=f"{text_input.name}: {payload.name}")


# The checks ---------------------------------------------------------------------------


@pytest.mark.parametrize("text_input, payload", list(_cases()))
def test_a_payload_through_a_text_input_comes_out_harmless(world, smtp, text_input, payload):
    inbox, mailbox = smtp
    ids = world.ids["a"]
    where = f"{text_input.name} <- {payload.name}"
    with world.check():
        inbox.messages.clear()
        data = {name: _fill(value, payload, ids) for name, value in text_input.data.items()}
        sent = list(data.values())
        if text_input.upload:
            field_name, filename = text_input.upload
            sent.append(filename := _fill(filename, payload, ids))
            data[field_name] = (io.BytesIO(png()), _as_a_browser_names_it(filename))
        response = _post(world, text_input.who, _fill(text_input.path, payload, ids), data)
        assert response.status_code < 500, f"{where}: {response.status_code}"
        if any("\x00" in value for value in sent):
            _assert_nul_refused(response, where=where)
            return
        if not 300 <= response.status_code < 400:
            _assert_refused_inline(
                response, payload, where=where, keeps_typed=text_input.keeps_typed
            )
            return
        new = urlsplit(response.location).path
        if text_input.then:
            who, path, then_data = text_input.then
            then_data = {name: _fill(value, payload, ids) for name, value in then_data.items()}
            step = _post(world, who, _fill(path, payload, ids), then_data)
            assert 300 <= step.status_code < 400, (
                f"{where}: the second step answered {step.status_code}"
            )
            new = urlsplit(step.location).path
        # Each output that carries the text must show it: one that left it out would
        # pass every check of harmlessness without proving anything.
        must_show = text_input.shows_text and payload.kind != "markdown"

        def shows(output: str, what: str) -> None:
            if must_show:
                assert payload.mark in output, f"{where}: {what} does not show the text"

        for who, path in text_input.pages:
            path = _fill(path, payload, {**ids, "new": new})
            shows(_page(world, who, path, payload, where=where), f"GET {path} as {who}")
        for path in text_input.api:
            path = _fill(path, payload, ids)
            api = world.client("anonymous").get(path)
            assert_json_response(api, payload, where=f"{where}: {path}")
            shows("\n".join(_strings(json.loads(api.get_data()))), f"the API's {path}")
        for who, method, path, kind in text_input.files:
            path = _fill(path, payload, ids)
            body = _download(world, who, method, path, payload, kind, where)
            shows(body, f"the download {path}")
        if text_input.my_data:
            copy = _my_data(world, text_input.my_data, inbox, mailbox, payload, where=where)
            shows(copy, "the copy of one's data")
        if text_input.mail_to:
            mailbox.deliver()
            to = _fill(text_input.mail_to, payload, ids)
            mails = [m for m in inbox.messages if m["To"] == to]
            assert mails, f"{where}: no email to {to}"
            for message in mails:
                assert_harmless(message, payload, "email", where=f"{where}: the email")


@pytest.mark.parametrize("payload", [pytest.param(p, id=p.name) for p in PAYLOADS])
def test_a_payload_in_a_search_or_an_api_query_comes_out_harmless(world, payload):
    ids = world.ids["a"]
    q = quote(payload.text, safe="")
    with world.check():
        for who, path in SEARCHES:
            response = world.client(who).get(path.format(q=q, **ids))
            assert response.status_code in (200, 400), f"{path}: {response.status_code}"
            if "\x00" in payload.text:
                _assert_nul_refused(response, where=path)
            assert_harmless(response.get_data(as_text=True), payload, "html", where=path)
        for path in API_QUERIES:
            response = world.client("anonymous").get(path.format(q=q, **ids))
            assert_json_response(response, payload, where=path)
        for path in AUDIT_EXPORTS:
            path = path.format(q=q)
            response = _post(world, "admin", path, {})
            assert response.status_code in (200, 400), f"{path}: {response.status_code}"
            if response.mimetype == "text/csv":
                assert_harmless(response.get_data(as_text=True), payload, "csv", where=path)
            else:
                assert_harmless(response.get_data(as_text=True), payload, "html", where=path)


def test_the_corpus_has_every_kind_of_payload():
    kinds = {payload.kind for payload in PAYLOADS}
    assert kinds == {"xss", "html", "markdown", "unicode", "formula"}
    assert len({payload.mark for payload in PAYLOADS}) == len(PAYLOADS)
