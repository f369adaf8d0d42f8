"""`assert_harmless(output, payload, kind)`: did a payload of the corpus get through?

    kind="html"   a page or an HTML email body: parsed as a browser would, it must hold no
                  script, frame, embedded image, style or event handler carrying the
                  payload's marker, no link or source with a javascript:, data: or
                  vbscript: target, and none of the control characters a page should
                  never carry (NUL, C0 controls, bidi overrides and embeddings).
    kind="email"  an email.message.EmailMessage: no header smuggled in by CR/LF (only
                  the headers we write, the subject on one line), the HTML part as "html",
                  the text part free of NUL and C0 controls.
    kind="json"   a JSON response body (str/bytes): it parses, and the payload comes back
                  as data; served as application/json with nosniff (checked by the caller
                  through `assert_json_response`).
    kind="csv"    a CSV export: no cell starts with =, +, -, @, tab or CR unless it is
                  quoted as text (prefixed with an apostrophe, OWASP's advice).

Whatever the kind, a payload with a `literal` part ("{{7*7}}") that shows at all shows
that part as typed, never what a template engine makes of it ("49").

Every check names the payload, so a failure says what got through and where.
"""

from __future__ import annotations

import csv
import html as html_entities
import io
import json
import re
from email.message import EmailMessage
from html.parser import HTMLParser
from urllib.parse import unquote_plus

from tests.security.injection_corpus import Payload

# Elements that run, load or restyle something: the payload's marker must never reach one.
ACTIVE_TAGS = {
    "script",
    "iframe",
    "frame",
    "object",
    "embed",
    "svg",
    "math",
    "img",
    "image",
    "video",
    "audio",
    "source",
    "style",
    "link",
    "meta",
    "base",
    "form",
}
# Elements whose text a browser runs or renders as markup, not as text.
RAW_TEXT_TAGS = {"script", "style", "svg", "math", "iframe", "object", "template", "noembed"}
# Attributes a browser only shows or reads out as text (a proposal's title in its image's
# alt text, say): holding the payload's words there, escaped, runs nothing.
TEXT_ATTRIBUTES = {"alt", "title", "aria-label"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcset"}
DANGEROUS_SCHEME = re.compile(r"^\s*(javascript|data|vbscript):", re.IGNORECASE)
# NUL and the C0 controls but tab, LF and CR; the bidi embeddings, overrides and isolates.
FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
HEADERS_WE_WRITE = {
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "content-language",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
    # Notification email (RFC 3834, RFC 2369 and RFC 8058)
    "auto-submitted",
    "list-unsubscribe",
    "list-unsubscribe-post",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Parsed(HTMLParser):
    """Elements with their attributes, and the text inside each active element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.open_active: list[str] = []
        self.active_text: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        if tag in RAW_TEXT_TAGS:
            self.open_active.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag in self.open_active:
            self.open_active.remove(tag)

    def handle_data(self, data):
        if self.open_active:
            self.active_text.append((self.open_active[-1], data))


def html_problems(html: str, payload: Payload) -> list[str]:
    """What in `html` shows the payload got through; empty when it is harmless."""
    parsed = _Parsed()
    parsed.feed(html)
    parsed.close()
    mark = payload.mark
    problems = []
    for tag, attrs in parsed.tags:
        for name, value in attrs:
            value = value or ""
            if mark in name:
                problems.append(f"the payload made an attribute <{tag} {name}>")
            if name.startswith("on") and mark in value:
                problems.append(f"event handler <{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and DANGEROUS_SCHEME.match(value):
                problems.append(f"<{tag} {name}={value!r}>")
            if name in {"style", "srcdoc"} and mark in value:
                problems.append(f"<{tag} {name}={value!r}>")
            if tag in ACTIVE_TAGS and name not in TEXT_ATTRIBUTES and mark in value:
                problems.append(f"<{tag} {name}={value!r}> carries the payload")
        if mark in tag:
            problems.append(f"the payload made an element <{tag}>")
    for tag, text in parsed.active_text:
        if mark in text:
            problems.append(f"<{tag}> holds the payload: {text.strip()[:80]!r}")
    if found := FORBIDDEN_CHARACTERS.findall(html):
        problems.append(f"control characters in the page: {sorted(set(found))!r}")
    return problems


def email_problems(message: EmailMessage, payload: Payload) -> list[str]:
    problems = []
    unexpected = {name.lower() for name in message} - HEADERS_WE_WRITE
    if unexpected:
        problems.append(f"headers smuggled into the email: {sorted(unexpected)}")
    for name in ("Subject", "To", "From"):
        value = str(message.get(name, ""))
        if "\r" in value or "\n" in value or FORBIDDEN_CHARACTERS.search(value):
            problems.append(f"{name} header carries control characters: {value!r}")
    text = message.get_body(preferencelist=("plain",))
    if text is not None and FORBIDDEN_CHARACTERS.search(text.get_content()):
        problems.append("control characters in the text part")
    html = message.get_body(preferencelist=("html",))
    if html is not None:
        problems += [f"HTML part: {p}" for p in html_problems(html.get_content(), payload)]
    return problems


def json_problems(body: str | bytes, payload: Payload) -> list[str]:
    try:
        json.loads(body)
    except ValueError as error:
        return [f"the JSON does not parse: {error}"]
    return []


def csv_problems(body: str, payload: Payload) -> list[str]:
    problems = []
    for number, row in enumerate(csv.reader(io.StringIO(body)), start=1):
        for cell in row:
            if cell.startswith(FORMULA_START) and payload.mark in cell:
                problems.append(f"row {number}: a cell a spreadsheet runs: {cell[:60]!r}")
    return problems


def _readable_text(output, kind: str) -> str:
    """What a reader of the output sees, entities and JSON escapes undone."""
    if kind == "email":
        parts = [message.get_content() for message in output.walk() if not message.is_multipart()]
        return "\n".join([str(output.get("Subject", "")), *parts])
    if isinstance(output, bytes):
        output = output.decode("utf-8", "replace")
    if kind == "json":
        try:
            return json.dumps(json.loads(output), ensure_ascii=False)
        except ValueError:
            return output
    return html_entities.unescape(output) if kind == "html" else output


def literal_problems(output, payload: Payload, kind: str) -> list[str]:
    if not payload.literal:
        return []
    # A link that carries the text (a search's next page) carries it percent-encoded.
    text = unquote_plus(_readable_text(output, kind))
    if payload.mark not in text:
        return []
    problems = []
    if payload.literal not in text:
        problems.append(f"{payload.literal!r} does not show as typed")
    evaluated = re.compile(rf"{re.escape(payload.evaluated)}\s+(\{{%|{payload.mark})")
    if evaluated.search(text):
        problems.append(f"{payload.literal!r} was evaluated to {payload.evaluated!r}")
    return problems


CHECKS = {
    "html": html_problems,
    "email": email_problems,
    "json": json_problems,
    "csv": csv_problems,
}


def assert_harmless(output, payload: Payload, kind: str = "html", *, where: str = "") -> None:
    problems = CHECKS[kind](output, payload) + literal_problems(output, payload, kind)
    assert not problems, (
        f"payload {payload.name!r} ({payload.text!r}) got through{' in ' + where if where else ''}:\n  "
        + "\n  ".join(problems)
    )


def assert_json_response(response, payload: Payload, *, where: str = "") -> None:
    assert response.mimetype == "application/json", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.status_code < 500, f"{where}: {response.status_code}"
    assert_harmless(response.get_data(), payload, "json", where=where)
