"""Text people typed, shown harmlessly: control characters never reach a page or an email.

Every `{{ ... }}` of every template (pages and email bodies alike) passes through
`strip_controls`, so a name, a title or a search term cannot carry terminal escapes, bell
or backspace characters, or the bidi overrides that make "txt.exe" read as "exe.txt"
(U+202A–U+202E, U+2066–U+2069). Tab and line breaks stay; zero-width characters are text
and stay too (the accounts domain decides what a pseudonym may contain). NUL never gets
this far: core/security.py refuses it in the request.
"""

from __future__ import annotations

import re

from flask import Flask

CONTROL_CHARACTERS = dict.fromkeys(
    [
        *range(0x00, 0x09),
        0x0B,
        0x0C,
        *range(0x0E, 0x20),
        0x7F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
)


def strip_controls(value):
    """The value without control characters; Markup stays Markup (removing a character
    cannot make a tag)."""
    if isinstance(value, str):
        return value.translate(CONTROL_CHARACTERS)
    return value


# Markdown's marks, so an excerpt reads as words: links keep their text, images go.
MARKDOWN_MARKS = [
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"^\s{0,3}(?:#{1,6}|>|[-*+]|\d+[.)])\s+", re.MULTILINE), ""),
    (re.compile(r"(\*\*|__|\*|_|~~|`)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
]
EXCERPT_LENGTH = 180


def excerpt(text: str | None, length: int = EXCERPT_LENGTH) -> str:
    """The start of a Markdown text as plain words, cut at a word with "…"."""
    plain = text or ""
    for pattern, replacement in MARKDOWN_MARKS:
        plain = pattern.sub(replacement, plain)
    plain = " ".join(plain.split())
    if len(plain) <= length:
        return plain
    cut = plain[:length].rsplit(" ", 1)[0].rstrip(",.;:–-")
    return f"{cut}…"


def init_app(app: Flask) -> None:
    app.jinja_env.finalize = strip_controls
    app.add_template_filter(excerpt, "excerpt")
