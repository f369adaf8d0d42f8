"""Publishing a version as "What we heard": a frozen snapshot residents read, without
personal data, with the official answers; the open-data API gives the same; a planner
can withdraw it. And the staff's live overview of a dialogue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialog.accounts.models import User
from dialog.core.db import utcnow
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.proposals.models import AnswerStatus, Proposal
from dialog.reports import services
from tests.support import compiled_by_its_planner, log_in, post_form

VOTING = (("proposals", -48, -1), ("voting", -1, 24), ("result", 24, None))


@pytest.fixture
def compiled(app, committed_db, make_dialogue, make_user, make_proposal, cast_vote, make_answer):
    """A dialogue with six named voters, an answered proposal and a finished version 1
    asked for by its planner."""
    dialogue = make_dialogue("hort", phases=VOTING, title="Parken")
    people = [make_user(display_name=f"Synlig Person {n}") for n in range(6)]
    swings = make_proposal(dialogue, people[0], title="Gungor")
    benches = make_proposal(dialogue, people[1], title="Bänkar")
    for person in people:
        cast_vote(swings, person)
        cast_vote(benches, person)
    admin = make_user(role="admin")
    make_answer(swings, admin, status=AnswerStatus.accepted, body="Vi bygger gungor i vår.")
    planner = make_user(role="planner", email="pia@example.org", display_name="Pia Planerare")
    compiled_by_its_planner(app, dialogue, planner)
    return dialogue, swings, benches, admin


@pytest.fixture
def client(app, compiled):
    """A visitor (the usual `client` rolls back, and the worker must see these rows)."""
    return app.test_client()


@pytest.fixture
def planner(app, compiled):
    client = app.test_client()
    log_in(client, "pia@example.org")
    return client


def test_a_published_version_is_read_by_residents_with_the_answers_and_no_names(
    app, compiled, planner, client
):
    assert client.get("/d/hort/what-we-heard").status_code == 404  # nothing published yet

    published = post_form(planner, "/d/hort/reports/1/publish", {}, form_path="/d/hort/reports/1")
    assert published.status_code == 302
    assert published.headers["Location"].endswith("/d/hort/what-we-heard")

    page = client.get("/d/hort/what-we-heard")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Gungor" in text and "Vi bygger gungor i vår." in text
    assert "Synlig Person" not in text and "Pia Planerare" not in text
    assert 'href="/d/hort/what-we-heard"' in client.get("/d/hort").get_data(as_text=True)


def test_the_snapshot_is_frozen_until_published_again(app, compiled, planner, client, make_answer):
    _dialogue, _swings, benches, admin = compiled
    post_form(planner, "/d/hort/reports/1/publish", {}, form_path="/d/hort/reports/1")
    make_answer(benches, admin, status=AnswerStatus.rejected, body="Inga fler bänkar.")

    assert "Inga fler bänkar." not in client.get("/d/hort/what-we-heard").get_data(as_text=True)
    post_form(planner, "/d/hort/reports/1/publish", {}, form_path="/d/hort/reports/1")
    assert "Inga fler bänkar." in client.get("/d/hort/what-we-heard").get_data(as_text=True)


def test_the_published_snapshot_holds_no_personal_data(app, compiled, planner):
    post_form(planner, "/d/hort/reports/1/publish", {}, form_path="/d/hort/reports/1")
    with app.app_context():
        content = services.published_report(compiled[0].id).content
        people = {u.display_name for u in db.session.query(User)} | {
            u.email for u in db.session.query(User)
        }
    text = repr(content)
    assert not [who for who in people if who and who in text]
    assert "members" not in text and "participant" not in repr(
        content.get("opinion", {}).get("map")
    )
    assert "parameters" not in content
    assert [(a["title"], a["status"]) for a in content["answers"]] == [("Gungor", "accepted")]


def test_the_api_gives_the_published_report_and_a_reason_when_there_is_none(
    app, compiled, planner, client
):
    missing = client.get("/api/v1/dialogues/hort/report")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["reason"]

    post_form(planner, "/d/hort/reports/1/publish", {}, form_path="/d/hort/reports/1")
    found = client.get("/api/v1/dialogues/hort/report").get_json()
    assert found["dialogue"] == "hort" and found["version"] == 1
    assert found["report"]["totals"]["participants"] == 6
    assert found["report"]["answers"][0]["answer"] == "Vi bygger gungor i vår."
    assert "members" not in repr(found)


def test_a_withdrawn_report_is_gone_for_residents(app, compiled, planner, client):
    post_form(planner, "/d/hort/reports/1/publish", {}, form_path="/d/hort/reports/1")
    withdrawn = post_form(
        planner, "/d/hort/what-we-heard/withdraw", {}, form_path="/d/hort/reports"
    )

    assert withdrawn.status_code == 302
    assert client.get("/d/hort/what-we-heard").status_code == 404
    assert client.get("/api/v1/dialogues/hort/report").status_code == 404


def test_an_unfinished_version_cannot_be_published(app, compiled, planner):
    with app.app_context():
        version = services.request_report(db.session.get(Dialogue, compiled[0].id), by=None).version
        db.session.commit()
    answer = post_form(planner, "/d/hort/reports/2/publish", {}, form_path="/d/hort/reports/2")

    assert answer.status_code == 302 and answer.headers["Location"].endswith("/d/hort/reports/2")
    with app.app_context():
        assert services.published_report(compiled[0].id) is None
    assert version == 2


def test_the_overview_shows_this_week_against_last_the_oldest_unanswered_and_the_phase(
    app, compiled, planner, make_proposal
):
    dialogue = compiled[0]
    old = make_proposal(dialogue, None, title="Gammalt förslag")
    with app.app_context():
        db.session.get(Proposal, old.id).created_at = utcnow() - timedelta(days=10)
        db.session.commit()
    page = planner.get("/d/hort/overview").get_data(as_text=True)

    # Last seven days: Gungor and Bänkar and their 12 votes; the seven before: the old one.
    assert '<th scope="row">Förslag</th><td>2</td><td>1</td><td>+1</td>' in page
    assert '<th scope="row">Röster</th><td>12</td><td>0</td><td>+12</td>' in page
    unanswered = page[page.index("unanswered-heading") :]
    assert unanswered.index("Gammalt förslag") < unanswered.index("Bänkar")
    assert "Gungor" not in unanswered  # answered
    with app.app_context():
        phases = db.session.get(Dialogue, dialogue.id).phases
        now_title, next_title = phases[1].title, phases[2].title
    assert f"Nu: {now_title}" in page and f"Nästa: {next_title}" in page


# Queries per page ---------------------------------------------------------------------


def _queries(count_queries, client, path: str) -> int:
    with count_queries() as counted:
        assert client.get(path).status_code == 200
    return counted.count


def test_the_overview_costs_the_same_with_one_and_with_many_unanswered(
    app, compiled, planner, count_queries, make_proposal
):
    planner.get("/d/hort/overview")
    few = _queries(count_queries, planner, "/d/hort/overview")
    for n in range(25):
        make_proposal(compiled[0], None, title=f"Fler {n}")
    assert _queries(count_queries, planner, "/d/hort/overview") == few


def test_the_versions_and_the_published_report_cost_the_same_however_many(
    app, compiled, planner, client, count_queries, make_answer, make_user
):
    _dialogue, _swings, benches, admin = compiled
    post_form(planner, "/d/hort/reports/1/publish", {}, form_path="/d/hort/reports/1")
    client.get("/d/hort/what-we-heard")
    versions = _queries(count_queries, planner, "/d/hort/reports")
    heard = _queries(count_queries, client, "/d/hort/what-we-heard")

    make_answer(benches, admin, status=AnswerStatus.rejected, body="Nej.")
    askers = [make_user(role="admin") for _ in range(3)]  # each named on the list
    with app.app_context():
        for asker in askers:
            dialogue = db.session.get(Dialogue, compiled[0].id)
            services.request_report(dialogue, by=db.session.get(User, asker.id))
        db.session.commit()
    post_form(planner, "/d/hort/reports/1/publish", {}, form_path="/d/hort/reports/1")

    assert _queries(count_queries, planner, "/d/hort/reports") == versions
    assert _queries(count_queries, client, "/d/hort/what-we-heard") == heard


def test_the_files_of_a_version_are_for_its_staff_and_the_published_ones_for_everyone(
    app, compiled, planner, client
):
    from io import BytesIO
    from zipfile import ZipFile

    from openpyxl import load_workbook

    xlsx = planner.get("/d/hort/reports/1.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.headers["Content-Disposition"].startswith("attachment;")
    assert "rapport-1.xlsx" in xlsx.headers["Content-Disposition"]
    workbook = load_workbook(BytesIO(xlsx.data))
    assert len(workbook.sheetnames) > 5
    assert client.get("/d/hort/reports/1.json").status_code == 302  # to the login

    assert client.get("/d/hort/what-we-heard.json").status_code == 404  # none published
    post_form(planner, "/d/hort/reports/1/publish", {}, form_path="/d/hort/reports/1")
    heard = client.get("/d/hort/what-we-heard.json").get_json()
    assert heard["answers"][0]["answer"] == "Vi bygger gungor i vår."
    names = ZipFile(BytesIO(client.get("/d/hort/what-we-heard.csv").data)).namelist()
    assert names and all(name.endswith(".csv") for name in names)
