"""A resident searches the proposals: the first part of a word finds it ("torg" finds
"torget"), and a reference code leads straight to its proposal. axe on each page, in both
languages and on a phone; the search box is a plain form, so it works without JavaScript."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dialog.core.db import utcnow
from tests.e2e.conftest import assert_accessible, log_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 740}
PROPOSALS = (
    ("Fler bänkar på torget", "Sittplatser i skuggan."),
    ("Marknad på torget varje lördag", "Lokala odlare."),
    ("Säkra cykelplatser vid stationen", "Med tak."),
)
LABELS = {"sv": ("Sök", "Visa"), "en": ("Search", "Show")}


@pytest.fixture
def references(make_dialogue, make_proposal):
    """Stadskärnan's proposals (STK-0001 to STK-0003) as {reference: page path}."""
    now = utcnow()
    dialogue = make_dialogue(
        "stadskarna",
        title="Stadskärnan",
        summary="S",
        reference_prefix="STK",
        phases=[("proposals", now - timedelta(hours=1), now + timedelta(days=1))],
    )
    made = [make_proposal(dialogue, title=title, body=body) for title, body in PROPOSALS]
    return {f"STK-{n:04d}": f"/p/{p.id}" for n, p in enumerate(made, start=1)}


def _search(page, language: str, words: str) -> None:
    label, button = LABELS[language]
    page.get_by_label(label, exact=True).fill(words)
    page.get_by_role("button", name=button, exact=True).click()


@pytest.mark.parametrize(
    ("language", "options"),
    [("sv", {}), ("en", {}), ("sv", {"viewport": PHONE}), ("sv", {"java_script_enabled": False})],
    ids=["sv", "en", "sv-375px", "sv-without-js"],
)
def test_a_resident_finds_proposals_by_the_start_of_a_word_and_by_reference(
    new_page, make_user, references, language, options
):
    page = new_page(**options)
    # axe runs in the page, so only where scripts run; the page is the same without.
    check = assert_accessible if options.get("java_script_enabled", True) else lambda page: None
    log_in(page, make_user().email)
    page.goto("/d/stadskarna/proposals" + ("?lang=en" if language == "en" else ""))

    _search(page, language, "torg")
    expect(page.get_by_role("link", name="Fler bänkar på torget")).to_be_visible()
    expect(page.get_by_role("link", name="Marknad på torget varje lördag")).to_be_visible()
    expect(page.get_by_role("link", name="Säkra cykelplatser vid stationen")).to_have_count(0)
    expect(page.get_by_label(LABELS[language][0], exact=True)).to_have_value("torg")
    check(page)

    _search(page, language, "stk 3")
    expect(page).to_have_url(re.compile(re.escape(references["STK-0003"]) + "$"))
    expect(page.get_by_role("heading", name="Säkra cykelplatser vid stationen")).to_be_visible()
    check(page)
