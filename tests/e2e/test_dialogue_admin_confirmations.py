"""An administrator is asked before hiding, archiving, removing or cutting a phase short
(issue 14): with the keyboard, without JavaScript, and accessible in both languages on a
phone's width. Residents then see the dialogue's real state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dialog.core.db import utcnow
from dialog.core.timezone import to_local
from dialog.dialogues.models import Dialogue, DialogueState, Phase
from tests.e2e.conftest import assert_accessible, log_in
from tests.factories import LIVE

PHONE = {"width": 375, "height": 800}


@pytest.fixture
def live_dialogue(committed_db, make_dialogue, make_proposal):
    dialogue = make_dialogue(
        "ny-park",
        title="Ny park i Hovsjö",
        phases=(
            ("information", -72, -1, {"title": "Information"}),
            ("proposals", -1, 24, {"title": "Lämna förslag"}),
            ("voting", 24, 48, {"title": "Rösta"}),
            ("review", 48, 72, {"title": "Kommunen svarar"}),
        ),
    )
    make_proposal(dialogue, title="Fler bänkar")
    return dialogue.id


def _state(app, dialogue_id):
    from dialog.extensions import db

    with app.app_context():
        return db.session.get(Dialogue, dialogue_id).state


def _phase_ids(app, dialogue_id):
    from dialog.extensions import db

    with app.app_context():
        return [p.id for p in db.session.get(Dialogue, dialogue_id).phases]


def _press(page, locator) -> None:
    """Activate a control with the keyboard: focus it, then Enter."""
    locator.focus()
    expect(locator).to_be_focused()
    page.keyboard.press("Enter")


def test_archiving_asks_first_and_works_with_the_keyboard(app, page, live_dialogue, make_user):
    log_in(page, make_user(role="admin").email)
    page.goto("/admin/dialogues")
    _press(page, page.get_by_role("button", name="Arkivera Ny park i Hovsjö"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Arkivera ”Ny park i Hovsjö”?")
    expect(page.locator(".consequences")).to_contain_text("dess 1 förslag")
    expect(page.locator(".consequences")).to_contain_text("Fasen ”Lämna förslag” är öppen nu")
    assert_accessible(page)
    # Cancel changes nothing.
    _press(page, page.get_by_role("link", name="Nej, tillbaka till dialogerna"))
    expect(page).to_have_url("/admin/dialogues")
    assert _state(app, live_dialogue) is DialogueState.published

    _press(page, page.get_by_role("button", name="Arkivera Ny park i Hovsjö"))
    _press(page, page.get_by_role("button", name="Ja, arkivera dialogen"))
    expect(page.get_by_text("”Ny park i Hovsjö” är nu arkiverad.")).to_be_visible()
    assert _state(app, live_dialogue) is DialogueState.archived

    # Residents read its real state: no phase that invites action.
    page.goto("/")
    card = page.locator(".card", has_text="Ny park i Hovsjö")
    expect(card).to_contain_text("Arkiverad")
    expect(card).not_to_contain_text("Nu:")
    page.goto("/d/ny-park")
    expect(page.locator(".notice")).to_contain_text("Arkiverad.")
    expect(page.locator("li[aria-current=step]")).to_have_count(0)
    expect(page.locator("ol.timeline")).not_to_contain_text("Du kan:")
    assert_accessible(page)


def test_the_confirmations_work_without_javascript(app, page_without_js, live_dialogue, make_user):
    page = page_without_js
    log_in(page, make_user(role="admin").email)

    # Opening the voting phase now: the consequence first, nothing changes until confirmed.
    page.goto(f"/admin/dialogues/{live_dialogue}/phases")
    page.get_by_role("link", name="Öppna nu Rösta").click()
    consequences = page.locator(".consequences")
    expect(consequences).to_contain_text("”Lämna förslag” stängs i förtid: den skulle ha slutat")
    expect(consequences).to_contain_text("Invånarna kan då inte längre: lämna förslag")
    page.get_by_label("Anledning").fill("Nämnden beslutade att börja tidigare")
    page.get_by_role("button", name="Öppna nu").click()
    expect(page.get_by_text("Fasen ”Rösta” är öppnad nu.")).to_be_visible()

    # Removing a phase asks first.
    page.get_by_role("button", name="Ta bort Kommunen svarar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ta bort fasen ”Kommunen svarar”?")
    assert len(_phase_ids(app, live_dialogue)) == 4
    page.get_by_role("button", name="Ja, ta bort fasen").click()
    expect(page.get_by_text("Fasen är borttagen.")).to_be_visible()
    assert len(_phase_ids(app, live_dialogue)) == 3

    # A phase in the past: warned, what was typed kept, saved after the explicit yes.
    start = to_local(utcnow() - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    end = to_local(utcnow() - timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Typ av fas").select_option("information")
    page.get_by_label("Rubrik").fill("Förstudie")
    page.get_by_label("Börjar").fill(start)
    page.get_by_label("Slutar (frivilligt)").fill(end)
    page.get_by_role("button", name="Spara fasen").click()
    expect(page.locator("#past-warning")).to_contain_text("Hela fasen ligger bakåt i tiden")
    expect(page.get_by_label("Rubrik")).to_have_value("Förstudie")
    expect(page.get_by_label("Börjar")).to_have_value(start)
    assert len(_phase_ids(app, live_dialogue)) == 3
    page.get_by_label("Ja, planera in fasen med de här datumen").check()
    page.get_by_role("button", name="Spara fasen").click()
    expect(page.get_by_text("Fasen är inplanerad.")).to_be_visible()
    assert len(_phase_ids(app, live_dialogue)) == 4

    # Back to draft asks first too.
    page.goto("/admin/dialogues")
    page.get_by_role("button", name="Gör till utkast Ny park i Hovsjö").click()
    expect(page.locator(".consequences")).to_contain_text(
        "Invånarna kommer inte längre att se dialogen och dess 1 förslag."
    )
    assert _state(app, live_dialogue) is DialogueState.published
    page.get_by_role("button", name="Ja, gör den till utkast").click()
    expect(page.get_by_text("”Ny park i Hovsjö” är nu utkast.")).to_be_visible()
    assert _state(app, live_dialogue) is DialogueState.draft


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_the_confirmation_pages_are_accessible_in_both_languages(
    app, new_page, live_dialogue, make_user, viewport, make_dialogue
):
    make_dialogue("arkiv", title="Arkivet", phases=LIVE, state=DialogueState.archived)
    admin = make_user(role="admin")
    page = new_page(**({"viewport": viewport} if viewport else {}))
    log_in(page, admin.email)
    information, current, voting, review = _phase_ids(app, live_dialogue)
    for lang in ("sv", "en"):
        page.goto(f"/admin/dialogues?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        for path in (
            f"/admin/phases/{voting}/open-now",
            f"/admin/phases/{current}/close-now",
            f"/admin/phases/{review}/open-now",  # refused: the voting phase lies between
            "/",
            "/d/arkiv",
            "/d/ny-park",
        ):
            page.goto(path)
            assert_accessible(page)
        # The pages a POST without confirmation answers with.
        page.goto("/admin/dialogues")
        page.locator(
            f"form[action='/admin/dialogues/{live_dialogue}/state/archived'] button"
        ).click()
        expect(page.locator(".consequences")).to_be_visible()
        assert_accessible(page)
        page.goto("/admin/dialogues")
        page.locator(f"form[action='/admin/dialogues/{live_dialogue}/state/draft'] button").click()
        expect(page.locator(".consequences")).to_be_visible()
        assert_accessible(page)
        page.goto(f"/admin/dialogues/{live_dialogue}/phases")
        page.locator(f"form[action='/admin/phases/{review}/remove'] button").click()
        expect(page.locator(".consequences")).to_be_visible()
        assert_accessible(page)
        # The past-dates warning, with its checkbox.
        page.goto(f"/admin/dialogues/{live_dialogue}/phases")
        page.locator("#kind").select_option("information")
        page.locator("#title").fill("Förr")
        page.locator("#starts_at").fill("2020-01-01T09:00")
        page.locator("#ends_at").fill("2020-01-02T09:00")
        page.locator("#save").click()
        expect(page.locator("#past-warning")).to_be_visible()
        assert_accessible(page)
    assert _state(app, live_dialogue) is DialogueState.published
    from dialog.extensions import db

    with app.app_context():
        assert db.session.get(Phase, review) is not None
