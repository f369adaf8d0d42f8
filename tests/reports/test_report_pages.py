"""The staff's report pages: asking for a version, its progress (with and without
JavaScript), what it found, a failure with its reason and the retry; nobody else sees
them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from dialog.extensions import db
from dialog.reports import services
from dialog.reports.models import Report, ReportStatus
from tests.support import log_in, post_form, run_task

VOTING = (("proposals", -48, -1), ("voting", -1, 24))


@pytest.fixture
def dialogue(app, committed_db, make_dialogue, make_user, make_proposal, cast_vote):
    dialogue = make_dialogue("rapportsidor", phases=VOTING, title="Torget")
    people = [make_user() for _ in range(4)]
    proposal = make_proposal(dialogue, people[0], title="Fler bänkar")
    for person in people:
        cast_vote(proposal, person)
    return dialogue


@pytest.fixture
def planner(app, dialogue, make_user):
    from dialog.accounts.models import User
    from dialog.dialogues import services as dialogue_services
    from dialog.dialogues.models import Dialogue

    person = make_user(role="planner", email="pia@example.org")
    with app.app_context():
        dialogue_services.assign_planner(
            db.session.get(Dialogue, dialogue.id), db.session.get(User, person.id), by=None
        )
        db.session.commit()
    client = app.test_client()
    log_in(client, person.email)
    return client


def _only_report(app) -> Report:
    with app.app_context():
        report = db.session.scalars(select(Report)).one()
        db.session.expunge(report)
        return report


def test_a_planner_asks_for_a_report_and_follows_it_until_it_is_ready(app, dialogue, planner):
    asked = post_form(planner, "/d/rapportsidor/reports", {})

    assert asked.status_code == 302
    assert asked.headers["Location"].endswith("/d/rapportsidor/reports/1")
    waiting = planner.get("/d/rapportsidor/reports/1").get_data(as_text=True)
    assert "Väntar på arbetsprocessen" in waiting
    assert '<progress id="report-progress" max="100" value="0">' in waiting
    assert "Ladda om sidan" in waiting  # the way without JavaScript
    assert planner.get("/d/rapportsidor/reports/1/progress").get_json() == {
        "status": "queued",
        "stage": None,
        "percent": 0,
        "says": "Väntar på arbetsprocessen",
    }

    with app.app_context():
        assert services.start(_only_report(app).id)
        db.session.commit()
        services.record_progress(_only_report(app).id, "opinion", 45)
    running = planner.get("/d/rapportsidor/reports/1/progress").get_json()
    assert running["percent"] == 45 and "45 % klart: söker åsiktsgrupper" in running["says"]

    with app.app_context():
        db.session.get(Report, _only_report(app).id).status = ReportStatus.queued
        db.session.commit()
        assert run_task(app, "reports.compile", _only_report(app).id) == "done"
    page = planner.get("/d/rapportsidor/reports/1").get_data(as_text=True)
    assert "4 personer deltog" in page
    assert "Fler bänkar" in page
    assert "Åsiktsgrupper" in page
    listing = planner.get("/d/rapportsidor/reports").get_data(as_text=True)
    assert "Version 1" in listing and "Klar" in listing


def test_a_failed_report_says_why_and_can_be_tried_again(app, dialogue, planner):
    post_form(planner, "/d/rapportsidor/reports", {})
    report_id = _only_report(app).id
    with app.app_context():
        services.start(report_id)
        services.fail(db.session.get(Report, report_id), services.STOPPED)
        db.session.commit()

    page = planner.get("/d/rapportsidor/reports/1").get_data(as_text=True)
    assert "Rapporten kunde inte tas fram" in page
    assert "Arbetsprocessen stannade innan rapporten var klar" in page

    retried = post_form(
        planner, "/d/rapportsidor/reports/1/retry", {}, form_path="/d/rapportsidor/reports/1"
    )
    assert retried.status_code == 302
    assert _only_report(app).status is ReportStatus.queued
    again = post_form(
        planner, "/d/rapportsidor/reports/1/retry", {}, form_path="/d/rapportsidor/reports"
    )
    assert again.status_code == 302
    follow = planner.get("/d/rapportsidor/reports/1").get_data(as_text=True)
    assert "Bara en rapport som misslyckades kan försökas igen" in follow


def test_an_unknown_worker_error_is_shown_as_recorded(app, dialogue, planner):
    post_form(planner, "/d/rapportsidor/reports", {})
    report_id = _only_report(app).id
    with app.app_context():
        services.start(report_id)
        services.fail(db.session.get(Report, report_id), "OperationalError: disk I/O error")
        db.session.commit()

    page = planner.get("/d/rapportsidor/reports/1").get_data(as_text=True)

    assert "Arbetsprocessen rapporterade: OperationalError: disk I/O error" in page


def test_a_version_that_does_not_exist_is_not_found(app, dialogue, planner):
    assert planner.get("/d/rapportsidor/reports/7").status_code == 404
    assert planner.get("/d/rapportsidor/reports/7/progress").status_code == 404


def test_residents_and_visitors_cannot_see_or_ask_for_reports(app, dialogue, make_user):
    resident = make_user(email="rut@example.org")
    visitor = app.test_client()
    assert visitor.get("/d/rapportsidor/reports").status_code == 302  # to the login page
    client = app.test_client()
    log_in(client, resident.email)

    assert client.get("/d/rapportsidor/reports").status_code == 403
    asked = post_form(client, "/d/rapportsidor/reports", {}, form_path="/me/notifications")
    assert asked.status_code == 403
    with app.app_context():
        assert db.session.scalars(select(Report)).all() == []


def test_each_opinion_group_has_a_shape_of_its_own_on_the_map_and_in_its_legend(ctx):
    """Told apart without seeing colour (WCAG 1.4.1): six groups, six shapes."""
    from flask import render_template_string

    def mark(group) -> str:
        html = render_template_string(
            '{% from "reports/_group_mark.html" import group_mark %}{{ group_mark(g, 50, 50, 2) }}',
            g=group,
        )
        return re.sub(r'class="[^"]*"', "", html)

    assert len({mark(g) for g in range(1, 7)}) == 6
    html = render_template_string(
        '{% set c = {"opinion": {"map": points}} %}{% include "reports/_opinion_map.html" %}',
        points=[{"x": float(g), "y": float(-g), "group": g} for g in range(1, 7)],
        groups=[{"id": g, "size": 5} for g in range(1, 7)],
    )
    for g in range(1, 7):
        tags = re.findall(rf'<(\w+) class="group-{g}[ "]', html)
        assert len(tags) == 2 and len(set(tags)) == 1, (g, tags)  # the map and the legend
