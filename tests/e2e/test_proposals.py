"""A resident makes a proposal; another votes on it. axe on each page."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dialog.core.db import utcnow
from dialog.dialogues import services
from dialog.dialogues.models import DialogueState, PhaseKind
from tests.e2e.conftest import assert_accessible
from tests.support import PASSWORD, UserFactory

pytestmark = pytest.mark.e2e


def _log_in(page, user):
    page.goto("/login")
    page.get_by_label("E-postadress").fill(user.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("button", name="Logga ut")).to_be_visible()


def _dialogue(app, db, kind):
    with app.app_context():
        dialogue = services.create_dialogue(
            slug="stadskarna",
            title="Stadskärnan",
            summary="S",
            state=DialogueState.published,
            themes=["Stadslivet"],
            focus_areas=["Trygghet"],
            reference_prefix="STK",
        )
        now = utcnow()
        services.add_phase(
            dialogue,
            services.PhasePlan(
                kind=kind,
                title="Nu",
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=1),
            ),
            by=None,
        )
        db.session.commit()


def test_a_resident_makes_a_proposal(app, page, committed_db):
    _dialogue(app, committed_db, PhaseKind.proposals)
    _log_in(page, UserFactory(app)())
    page.goto("/d/stadskarna")
    page.get_by_role("link", name="Se förslagen").click()
    assert_accessible(page)
    page.get_by_role("link", name="Lämna ett förslag").click()
    assert_accessible(page)
    page.get_by_role("button", name="Publicera förslaget").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Rubrik").fill("Varmare ljus på Marenplan")
    page.get_by_label("Ditt förslag").fill("Belys kajen med **varmt** ljus.")
    page.get_by_label("Tema").select_option("Stadslivet")
    page.get_by_label("Social").check()
    page.get_by_label("Plats (frivilligt)").fill("Marenplan")
    page.get_by_role("button", name="Publicera förslaget").click()
    expect(page.get_by_text("Tack! Ditt förslag STK-0001 är publicerat.")).to_be_visible()
    expect(page.get_by_role("heading", name="Varmare ljus på Marenplan")).to_be_visible()
    assert_accessible(page)


def test_a_resident_votes_and_changes_the_vote(app, page, committed_db):
    _dialogue(app, committed_db, PhaseKind.voting)
    with app.app_context():
        from dialog.dialogues import queries
        from dialog.proposals import services as proposals

        proposals.create_proposal(
            queries.dialogue_by_slug("stadskarna"),
            author=None,
            title="Fler träd",
            body="Plantera träd.",
        )
        committed_db.session.commit()
    _log_in(page, UserFactory(app)())
    page.goto("/d/stadskarna/proposals")
    expect(page.get_by_label("Sortera efter")).to_have_value("random")
    page.get_by_role("link", name="Fler träd").click()
    page.get_by_role("button", name="Rösta för").click()
    expect(page.get_by_text("Du röstade: För")).to_be_visible()
    expect(page.get_by_text("För 1 · Emot 0 · Avstår 0")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Rösta emot").click()
    expect(page.get_by_text("För 0 · Emot 1 · Avstår 0")).to_be_visible()
    page.get_by_role("button", name="Ta tillbaka min röst").click()
    expect(page.get_by_text("För 0 · Emot 0 · Avstår 0")).to_be_visible()
