"""A planner asks for a report in the browser and watches the worker compile it: the
progress bar follows by itself with JavaScript, a refresh shows it without; the finished
report shows the opinion groups of a dialogue with two camps; published, residents read
it as "Det här har vi hört". axe on every state (axe runs in the page, so only where
JavaScript is on)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from dialog.accounts.models import User
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.proposals.models import VoteValue
from dialog.reports.models import Report
from tests.e2e.conftest import assert_accessible, log_in
from tests.support import wait_for

pytestmark = pytest.mark.e2e

VOTING = (("proposals", -48, -1), ("voting", -1, 24))
CAMP_SIZE = 8
PROPOSALS = 6


@pytest.fixture
def two_camps(app, make_dialogue, make_user, make_proposal, cast_vote):
    """Sixteen residents in two camps of eight over six proposals: each camp for its
    three and against the other's."""
    dialogue = make_dialogue("tva-lager", phases=VOTING, title="Hamnen")
    proposals = [make_proposal(dialogue, title=f"Förslag {n + 1}") for n in range(PROPOSALS)]
    for camp in (0, 1):
        for _ in range(CAMP_SIZE):
            person = make_user()
            for n, proposal in enumerate(proposals):
                ours = (n < PROPOSALS // 2) == (camp == 0)
                cast_vote(proposal, person, VoteValue.for_ if ours else VoteValue.against)
    planner = make_user(role="planner", email="pia@example.org", display_name="Pia Planerare")
    with app.app_context():
        dialogue_services.assign_planner(
            db.session.get(Dialogue, dialogue.id), db.session.get(User, planner.id), by=None
        )
        db.session.commit()
    return planner


def test_asking_for_a_report_and_watching_it_until_it_is_ready(page, worker, two_camps):
    log_in(page, two_camps.email)
    page.goto("/d/tva-lager/reports")
    expect(page.get_by_text("Ingen rapport har tagits fram ännu.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Ta fram en ny rapport").click()
    expect(page.get_by_role("heading", name="Rapport om ”Hamnen”, version 1")).to_be_visible()
    assert_accessible(page)  # the progress bar, or the report if the worker was quick

    # The page reloads by itself once the worker is done.
    expect(page.get_by_role("heading", name="Åsiktsgrupper")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Rösterna visar 2 grupper.")).to_be_visible()
    expect(page.get_by_role("heading", name="Grupp 1: 8 personer")).to_be_visible()
    expect(page.get_by_role("heading", name="Grupp 2: 8 personer")).to_be_visible()
    expect(page.get_by_role("img", name="Åsiktskarta")).to_be_visible()
    expect(page.get_by_text("16 personer deltog")).to_be_visible()
    assert_accessible(page)

    page.goto("/d/tva-lager/reports/1")
    page.get_by_role("button", name="Publicera för invånarna").click()
    expect(
        page.get_by_role("heading", name="Det här har vi hört: Hamnen", exact=True)
    ).to_be_visible()
    expect(page.get_by_text("Rösterna visar 2 grupper.")).to_be_visible()
    assert_accessible(page)

    page.goto("/d/tva-lager/reports")
    expect(page.get_by_role("cell", name="Klar (publicerad)")).to_be_visible()
    assert_accessible(page)
    page.goto("/d/tva-lager/overview")
    expect(page.get_by_role("heading", name="Förslag utan svar")).to_be_visible()
    assert_accessible(page)

    page.context.clear_cookies()  # a resident who is not logged in finds it on the dialogue
    page.goto("/d/tva-lager")
    page.get_by_role(
        "link", name="Det här har vi hört: kommunens sammanfattning av dialogen"
    ).click()
    expect(page.get_by_role("heading", name="Åsiktsgrupper")).to_be_visible()
    expect(page.get_by_text("Pia Planerare")).to_have_count(0)
    assert_accessible(page)


def test_without_javascript_a_refresh_shows_how_far_it_has_come(
    app, page_without_js, worker, two_camps
):
    page = page_without_js
    log_in(page, two_camps.email)
    page.goto("/d/tva-lager/reports")
    page.get_by_role("button", name="Ta fram en ny rapport").click()
    expect(page.get_by_role("heading", name="Rapport om ”Hamnen”, version 1")).to_be_visible()
    refresh = page.get_by_role("link", name="Ladda om sidan för att se hur långt den har kommit")
    if refresh.count():  # the worker may have been done before the page was
        wait_for(lambda: _finished(app), timeout=60)
        refresh.click()
    expect(page.get_by_role("heading", name="Åsiktsgrupper")).to_be_visible()


def _finished(app) -> bool:
    with app.app_context():
        done = db.session.scalar(select(Report.finished_at)) is not None
        db.session.rollback()
        return done


@pytest.fixture
def running(app, two_camps):
    """Version 1 as a worker that took it a moment ago has it, a quarter done. No task is
    queued for it (a worker of an earlier test may still be listening): the test moves
    it on, so each state is seen whatever the machine's speed."""
    from dialog.core.db import utcnow
    from dialog.reports.models import ReportStatus

    with app.app_context():
        report = Report(
            dialogue_id=db.session.scalar(select(Dialogue.id).where(Dialogue.slug == "tva-lager")),
            version=1,
            requested_by_id=two_camps.id,
            parameters={},
            status=ReportStatus.running,
            stage="proposals",
            percent=25,
            requested_at=utcnow(),
            started_at=utcnow(),
        )
        db.session.add(report)
        db.session.commit()
        return two_camps, report.id


def _progress(app, report_id: int, stage: str, percent: int) -> None:
    from dialog.reports import services

    with app.app_context():
        services.record_progress(report_id, stage, percent)


def _finish(app, report_id: int) -> None:
    from dialog.reports import services
    from dialog.reports.compiling import compile_report, without_people

    with app.app_context():
        report = db.session.get(Report, report_id)
        services.finish(report, without_people(compile_report(report.dialogue)))
        db.session.commit()


def test_the_progress_bar_follows_the_worker_and_the_page_reloads_when_it_is_done(
    app, page, running
):
    planner, report_id = running
    log_in(page, planner.email)
    page.goto("/d/tva-lager/reports/1")
    bar = page.locator("#report-progress")
    expect(bar).to_have_attribute("value", "25")
    assert_accessible(page)

    _progress(app, report_id, "opinion", 45)
    expect(bar).to_have_attribute("value", "45", timeout=10_000)  # by itself
    expect(page.get_by_role("status")).to_contain_text("åsiktsgrupper")

    _finish(app, report_id)
    expect(page.get_by_role("heading", name="Åsiktsgrupper")).to_be_visible(timeout=10_000)


def test_without_javascript_the_page_says_how_far_it_had_come_and_a_refresh_shows_more(
    app, page_without_js, running
):
    page = page_without_js
    planner, report_id = running
    log_in(page, planner.email)
    page.goto("/d/tva-lager/reports/1")
    expect(page.locator("#report-progress")).to_have_attribute("value", "25")
    refresh = page.get_by_role("link", name="Ladda om sidan för att se hur långt den har kommit")

    _progress(app, report_id, "opinion", 45)
    refresh.click()
    expect(page.locator("#report-progress")).to_have_attribute("value", "45")
    _finish(app, report_id)
    page.get_by_role("link", name="Ladda om sidan för att se hur långt den har kommit").click()
    expect(page.get_by_role("heading", name="Åsiktsgrupper")).to_be_visible()
