"""The helper catches what it is there to catch: a payload let through unescaped fails,
the same payload escaped passes. Without these the corpus checks could pass vacuously."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from markupsafe import escape

from dialog.core.markdown import render as render_markdown
from dialog.core.text import strip_controls
from tests.security.injection import (
    assert_harmless,
    csv_problems,
    email_problems,
    html_problems,
    json_problems,
)
from tests.security.injection_corpus import BY_NAME, PAYLOADS

PAGE = "<!doctype html><html><body><main><p>{}</p></main></body></html>"
# Payloads that become markup when a page pastes them in without escaping.
ACTIVE_WHEN_RAW = [
    "script",
    "img-onerror",
    "svg-onload",
    "svg-script",
    "textarea-breakout",
    "title-breakout",
    "json-breakout",
    "html-iframe",
    "html-style",
    "md-raw-html",
    "md-autolink",
    "bidi-override",
    "bidi-isolate",
    "nul",
    "c0-controls",
]


@pytest.mark.parametrize("name", ACTIVE_WHEN_RAW)
def test_a_payload_pasted_into_a_page_unescaped_is_caught(name):
    payload = BY_NAME[name]
    assert html_problems(PAGE.format(payload.text), payload), name


@pytest.mark.parametrize("payload", [pytest.param(p, id=p.name) for p in PAYLOADS])
def test_a_payload_escaped_and_cleaned_as_the_templates_do_is_harmless(payload):
    assert_harmless(PAGE.format(strip_controls(str(escape(payload.text)))), payload)


@pytest.mark.parametrize("payload", [pytest.param(p, id=p.name) for p in PAYLOADS])
def test_our_markdown_makes_every_payload_harmless(payload):
    assert_harmless(PAGE.format(strip_controls(render_markdown(payload.text))), payload)


@pytest.mark.parametrize(
    "html, name",
    [
        ("<a href=\"javascript:alert('inj14')\">klicka här</a>", "md-javascript-link"),
        ('<a href=" JaVaScRiPt:alert(1)">x</a>', "md-spaced-javascript"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">öppna</a>', "md-data-link"),
        ('<img src="https://evil.example/inj19.png" alt="bild">', "md-image"),
        ("<p title='' onmouseover='alert(\"inj03\")' x=''>", "single-quote-breakout"),
    ],
)
def test_links_images_and_handlers_a_renderer_let_through_are_caught(html, name):
    assert html_problems(PAGE.format(html), BY_NAME[name])


def test_an_email_with_a_smuggled_header_is_caught():
    payload = BY_NAME["crlf"]
    message = EmailMessage()
    message["Subject"] = "Hej"
    message["To"] = "ada@example.org"
    message["Bcc"] = "evil@example.org"
    message.set_content("Hej")
    assert email_problems(message, payload)
    del message["Bcc"]
    assert not email_problems(message, payload)


def test_a_spreadsheet_formula_in_a_csv_cell_is_caught_and_a_quoted_one_is_not():
    payload = BY_NAME["formula-hyperlink"]
    assert csv_problems(f'id,title\n1,"{payload.text.replace(chr(34), chr(34) * 2)}"\n', payload)
    quoted = "'" + payload.text
    assert not csv_problems(f'id,title\n1,"{quoted.replace(chr(34), chr(34) * 2)}"\n', payload)


def test_a_template_the_output_evaluated_is_caught_wherever_it_shows():
    """{{7*7}} must stay literal: rendered by Jinja (or formatted by str.format) it is not."""
    from jinja2 import Template

    payload = BY_NAME["template-syntax"]
    rendered = Template(payload.text).render()
    assert rendered.startswith("49 ")
    for output, kind in (
        (PAGE.format(escape(rendered)), "html"),
        (f'{{"title": "{rendered}"}}', "json"),
        (f"reference,title\r\nSTK-0001,{rendered}\r\n", "csv"),
        # as str.format leaves it: the braces halved
        (PAGE.format(escape(payload.text.replace("{{7*7}}", "{7*7}"))), "html"),
    ):
        with pytest.raises(AssertionError, match="template-syntax"):
            assert_harmless(output, payload, kind)
    message = EmailMessage()
    message["Subject"] = "Nytt förslag"
    message.set_content(f"Rubrik: {rendered}")
    with pytest.raises(AssertionError, match="evaluated"):
        assert_harmless(message, payload, "email")
    assert_harmless(PAGE.format(escape(payload.text)), payload, "html")


def test_json_that_does_not_parse_is_caught():
    payload = BY_NAME["json-breakout"]
    assert json_problems('{"title": "' + payload.text + '"}', payload)
    assert not json_problems('{"title": "x"}', payload)
