"""A resident makes a proposal; another votes on it. axe on each page."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dialog.core.db import utcnow
from dialog.dialogues import services
from dialog.dialogues.models import PhaseKind
from tests.e2e.conftest import assert_accessible, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def open_dialogue(make_dialogue):
    """Stadskärnan, with a phase of `kind` open since an hour and for a day more."""

    def build(kind, **overrides):
        now = utcnow()
        make_dialogue(
            "stadskarna",
            title="Stadskärnan",
            summary="S",
            themes=["Stadslivet"],
            focus_areas=["Trygghet"],
            reference_prefix="STK",
            named_places=["Marenplan"],
            phases=[
                (
                    kind,
                    now - timedelta(hours=1),
                    now + timedelta(days=1),
                    {"title": "Nu", "capability_overrides": overrides},
                )
            ],
        )

    return build


def test_a_resident_makes_a_proposal(app, page, committed_db, make_user, open_dialogue):
    open_dialogue(PhaseKind.proposals)
    log_in(page, make_user().email)
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
    page.get_by_label("Plats (frivilligt)").select_option("Marenplan")
    page.get_by_role("button", name="Publicera förslaget").click()
    expect(page.get_by_text("Tack! Ditt förslag STK-0001 är publicerat.")).to_be_visible()
    expect(page.get_by_role("heading", name="Varmare ljus på Marenplan")).to_be_visible()

    # A second, similar proposal goes through the similar-proposals step first.
    page.goto("/d/stadskarna/proposals/new")
    page.get_by_label("Rubrik").fill("Mer ljus på Marenplan")
    page.get_by_label("Ditt förslag").fill("Ljuset behövs på vintern.")
    page.get_by_role("button", name="Publicera förslaget").click()
    expect(page.get_by_role("heading", name="Andra har föreslagit något liknande")).to_be_visible()
    expect(page.get_by_role("link", name="Varmare ljus på Marenplan")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Publicera mitt förslag ändå").click()
    expect(page.get_by_text("Tack! Ditt förslag STK-0002 är publicerat.")).to_be_visible()
    assert_accessible(page)


def test_a_resident_votes_and_changes_the_vote(app, page, committed_db, make_user, open_dialogue):
    open_dialogue(PhaseKind.voting)
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
    log_in(page, make_user().email)
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


def test_a_resident_comments_and_a_planner_answers(
    app, page, new_page, committed_db, make_user, open_dialogue
):
    # An administrator opened this proposals phase for official answers too.
    open_dialogue(PhaseKind.proposals, answer=True)
    planner = make_user(role="planner")
    with app.app_context():
        from dialog.accounts.models import User
        from dialog.dialogues import queries
        from dialog.proposals import services as proposals

        dialogue = queries.dialogue_by_slug("stadskarna")
        services.assign_planner(dialogue, committed_db.session.get(User, planner.id), by=None)
        proposal = proposals.create_proposal(
            dialogue, author=None, title="Fler bänkar", body="Vid kanalen."
        )
        committed_db.session.commit()
        path = f"/p/{proposal.id}"
    log_in(page, make_user().email)
    page.goto(path)
    page.get_by_label("Din kommentar").fill("Gärna med ryggstöd.")
    page.get_by_label("För").check()
    page.get_by_role("button", name="Publicera kommentaren").click()
    expect(page.get_by_text("Din kommentar är publicerad.")).to_be_visible()
    expect(page.get_by_text("Gärna med ryggstöd.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Svara (kommentar").click()
    assert_accessible(page)

    staff = new_page()
    log_in(staff, planner.email)
    staff.goto(path)
    staff.get_by_role("link", name="Svara officiellt").click()
    assert_accessible(staff)
    staff.get_by_label("Status").select_option("accepted")
    staff.get_by_label("Kommunens svar").fill("Bänkarna ställs ut i maj.")
    staff.get_by_role("button", name="Publicera svaret").click()
    expect(staff.get_by_text("Svaret är publicerat.")).to_be_visible()

    page.goto(path)
    expect(page.get_by_role("heading", name="Kommunens svar: Genomförs")).to_be_visible()
    assert_accessible(page)


def test_the_map_shows_markers_with_javascript_and_a_list_without(
    app, page, page_without_js, committed_db, live_server, monkeypatch, open_dialogue
):
    open_dialogue(PhaseKind.proposals)
    with app.app_context():
        from dialog.dialogues import queries
        from dialog.proposals import services as proposals

        proposals.create_proposal(
            queries.dialogue_by_slug("stadskarna"),
            author=None,
            title="Ljus på kajen",
            body="B",
            place_name="Marenplan",
            place_lat=59.1955,
            place_lon=17.6253,
        )
        committed_db.session.commit()
    # Tiles from the app itself: no outside network, and the CSP allows the origin.
    monkeypatch.setitem(app.config, "MAP_TILE_URL", f"{live_server}/robots.txt?{{z}}/{{x}}/{{y}}")
    page.goto("/d/stadskarna/proposals/map")
    expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
    assert_accessible(page)
    page_without_js.goto("/d/stadskarna/proposals/map")
    # The drawn map links the point, and the list of places names it.
    expect(page_without_js.locator("#proposal-map svg a")).to_have_count(1)
    places = page_without_js.locator(".places")
    expect(places.get_by_role("link", name="Ljus på kajen")).to_be_visible()
