"""What a newcomer sees first, on a phone and a desktop, in both languages: the start page
with its figures, proposal cards with excerpt, picture, answer badge and counts, and the
municipality's own name, logo and colour. axe on every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dialog.core.branding import Brand, darken
from tests.e2e.conftest import assert_accessible

SCREENS = {"phone": {"width": 375, "height": 800}, "desktop": {"width": 1280, "height": 900}}
TEXT = {
    "sv": {"figures": "Dialogerna i siffror", "open": "pågår nu", "unanswered": "Inget svar än"},
    "en": {
        "figures": "The dialogues in figures",
        "open": "open now",
        "unanswered": "No answer yet",
    },
}
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 80 32">'
    '<rect width="80" height="32" fill="#ffffff"/></svg>'
)


@pytest.fixture
def demo(app, committed_db):
    from dialog.demo import services as demo

    with app.app_context():
        demo.seed()
        committed_db.session.commit()
        committed_db.session.remove()


@pytest.fixture
def municipal(app, monkeypatch, tmp_path):
    logo = tmp_path / "logo.svg"
    logo.write_text(LOGO)
    brand = Brand("Tyck till", "Södertälje kommun", "#6b1d5c", str(logo), "")
    monkeypatch.setitem(app.extensions, "brand", brand)
    return brand


def _rgb(colour: str) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("screen", SCREENS)
def test_start_page_and_cards_read_well_on_every_screen(new_page, demo, lang, screen):
    page = new_page(viewport=SCREENS[screen])
    page.goto("/?lang=en" if lang == "en" else "/")
    figures = page.get_by_role("list", name=TEXT[lang]["figures"])
    expect(figures.get_by_role("listitem")).to_have_count(3)
    expect(figures).to_contain_text(TEXT[lang]["open"])
    assert_accessible(page)

    page.goto("/d/framtidens-stadskarna/proposals")
    cards = page.locator(".proposal-card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 8
    first = cards.first
    expect(first.locator(".card-excerpt")).not_to_be_empty()
    expect(first.locator(".card-status .badge")).to_have_text(TEXT[lang]["unanswered"])
    # Nothing spills sideways on a phone: the page is no wider than the screen.
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= SCREENS[screen]["width"]
    assert_accessible(page)

    page.goto("/d/trygga-strak-hovsjo/proposals")
    expect(page.locator(".card-status .badge").first).to_be_visible()
    answered = page.locator(".card-status .badge:not(.status-none)")
    assert answered.count() >= 5  # the reviewed dialogue's answers show as badges
    assert_accessible(page)


def test_the_municipalitys_name_logo_and_colour(new_page, demo, municipal):
    page = new_page(viewport=SCREENS["phone"])
    page.goto("/")
    expect(page).to_have_title("Dialoger – Tyck till")
    logo = page.get_by_role("img", name="Södertälje kommun")
    expect(logo).to_be_visible()
    header = page.locator(".site-header")
    expect(header).to_have_css("background-color", _rgb(darken(municipal.colour)))
    page.goto("/login")
    expect(page.locator("main .button").first).to_have_css(
        "background-color", _rgb(municipal.colour)
    )
    assert page.locator("[style]").count() == 0  # no inline styles anywhere
    assert_accessible(page)
