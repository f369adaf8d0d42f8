"""An administrator schedules phases in the browser; a resident sees the timeline."""

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from dialog.dialogues import schedule, services
from dialog.dialogues.models import Dialogue, DialogueState, PhaseKind
from tests.e2e.conftest import assert_accessible, log_in


@pytest.fixture
def draft_dialogue(committed_db, make_dialogue):
    return make_dialogue(
        "ny-park", title="Ny park i Hovsjö", summary="En ny park.", state=DialogueState.draft
    ).id


def test_an_admin_schedules_phases_and_a_resident_sees_the_timeline(
    app, page, draft_dialogue, make_user
):
    admin = make_user(role="admin")
    log_in(page, admin.email)
    page.get_by_role("link", name="Hantera dialoger").click()
    assert_accessible(page)
    page.get_by_role("link", name="Faser Ny park i Hovsjö").click()
    assert_accessible(page)

    page.get_by_label("Typ av fas").select_option("proposals")
    page.get_by_label("Rubrik").fill("Lämna förslag")
    page.get_by_label("Börjar").fill("2020-01-01T09:00")
    page.get_by_label("Slutar (frivilligt)").fill("2020-02-01T09:00")
    page.get_by_role("button", name="Spara fasen").click()
    # Dates in the past are kept as typed and saved only after an explicit yes.
    expect(page.locator("#past-warning")).to_contain_text("Hela fasen ligger bakåt i tiden")
    expect(page.get_by_label("Rubrik")).to_have_value("Lämna förslag")
    assert_accessible(page)
    page.get_by_label("Ja, planera in fasen med de här datumen").check()
    page.get_by_role("button", name="Spara fasen").click()
    expect(page.get_by_text("Fasen är inplanerad.")).to_be_visible()

    # A time in the spring gap is explained inline, and what was typed stays.
    page.get_by_label("Typ av fas").select_option("voting")
    page.get_by_label("Rubrik").fill("Rösta")
    page.get_by_label("Börjar").fill("2030-03-31T02:30")
    page.get_by_label("Slutar (frivilligt)").fill("2030-04-15T09:00")
    page.get_by_role("button", name="Spara fasen").click()
    expect(page.locator("#starts_at-error")).to_contain_text("finns inte i svensk tid")
    expect(page.get_by_label("Rubrik")).to_have_value("Rösta")
    assert_accessible(page)

    # Preview first, then save.
    page.get_by_label("Börjar").fill("2030-03-31T09:00")
    page.get_by_role("button", name="Förhandsgranska tidslinjen").click()
    expect(page.get_by_role("heading", name=re.compile("Förhandsgranskning"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Spara fasen").click()
    expect(page.get_by_text("Fasen är inplanerad.")).to_be_visible()

    # Open the voting phase now, with a reason.
    page.get_by_role("link", name="Öppna nu Rösta").click()
    expect(page.locator(".consequences")).to_contain_text("”Rösta” öppnar nu i stället för")
    assert_accessible(page)
    page.get_by_label("Anledning").fill("Nämnden beslutade att börja tidigare")
    page.get_by_role("button", name="Öppna nu").click()
    expect(page.get_by_text("Fasen ”Rösta” är öppnad nu.")).to_be_visible()

    page.get_by_role("link", name="Hantera dialoger").click()
    page.get_by_role("button", name="Publicera Ny park i Hovsjö").click()
    expect(page.get_by_text("”Ny park i Hovsjö” är nu publicerad.")).to_be_visible()
    page.get_by_role("button", name="Logga ut").click()

    resident = make_user()
    log_in(page, resident.email)
    page.goto("/")
    page.get_by_role("link", name="Ny park i Hovsjö").click()
    timeline = page.locator("ol.timeline")
    expect(timeline.locator("li")).to_have_count(2)
    expect(timeline.locator("li[aria-current=step]")).to_contain_text("Rösta")
    expect(timeline.locator("li").first).to_contain_text("Avslutad")
    expect(page.locator(".actions-now")).to_contain_text(
        "Lämna förslag: Det går inte att lämna förslag nu."
    )
    assert_accessible(page)
    page.get_by_role("button", name="Följ dialogen").click()
    expect(page.get_by_role("button", name="Sluta följa")).to_be_visible()


def test_admin_dialogue_forms_are_accessible_in_both_languages(
    app, page, draft_dialogue, make_user
):
    admin = make_user(role="admin")
    planner = make_user(role="planner")
    log_in(page, admin.email)
    with app.app_context():
        from dialog.extensions import db

        dialogue = db.session.get(Dialogue, draft_dialogue)
        schedule.add_phase(
            dialogue,
            schedule.PhasePlan(
                kind=PhaseKind.information,
                title="Info",
                starts_at=schedule.local_to_utc(datetime(2020, 1, 1, 9), "starts_at"),
                ends_at=None,
            ),
            by=None,
        )
        services.assign_planner(dialogue, db.session.get(type(admin), planner.id), by=None)
        db.session.commit()
        phase_id = dialogue.phases[0].id
    for lang in ("sv", "en"):
        page.goto(f"/admin/dialogues?lang={lang}")
        for path in (
            "/admin/dialogues/new",
            f"/admin/dialogues/{draft_dialogue}/edit",
            f"/admin/dialogues/{draft_dialogue}/phases",
            f"/admin/phases/{phase_id}/edit",
            f"/admin/phases/{phase_id}/close-now",
            f"/admin/dialogues/{draft_dialogue}/planners",
            "/d/ny-park/invitations",
            "/d/ny-park",
        ):
            page.goto(path)
            assert page.locator("html").get_attribute("lang") == lang
            assert_accessible(page)
        page.goto("/admin/dialogues/new")
        page.locator("form.stack button[type=submit]").click()
        expect(page.locator(".error-summary")).to_be_visible()
        assert_accessible(page)
