"""Official answers as residents read them: the safe Markdown with line breaks kept (on
the proposal, in the API as written, in the published report), the date it was published
and updated, and the answering department, which the form offers from the last answer."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator
from sqlalchemy import select, text

from dialog.accounts.models import User
from dialog.api import openapi
from dialog.dialogues import services as dialogue_services
from dialog.proposals import services
from dialog.proposals.models import AnswerStatus, OfficialAnswer, Proposal
from tests.support import compiled_by_its_planner, log_in, post_form

REVIEWING = (("proposals", -48, -1), ("review", -1, 24))
DEPARTMENT = "Stadsbyggnadsförvaltningen"
FORMATTED = (
    "**Kontakt:** Anna Planerare\n"
    "Telefon 08-123 45\n\n"
    "<script>alert('svar')</script>\n\n"
    "[Läs mer](javascript:alert(1)) och [planen](https://example.org/plan)"
)


@pytest.fixture
def answered(make_dialogue, make_proposal, make_user, make_answer):
    """A dialogue in its review phase, a proposal with a formatted published answer, and
    the planner who gave it (staff of the dialogue)."""
    dialogue = make_dialogue(phases=REVIEWING)
    proposal = make_proposal(dialogue, title="Bänkar", body="Fler.")
    planner = make_user(role="planner")
    dialogue_services.assign_planner(dialogue, planner, by=None)
    make_answer(
        proposal, planner, status=AnswerStatus.accepted, body=FORMATTED, department=DEPARTMENT
    )
    return dialogue, proposal, planner


def _answer_section(page: str) -> str:
    match = re.search(r'<section aria-labelledby="answer-heading".*?</section>', page, re.S)
    assert match, "no answer on the page"
    return match.group(0)


def _assert_formatted_and_safe(html: str) -> None:
    assert "<strong>Kontakt:</strong> Anna Planerare<br" in html
    assert "Telefon 08-123 45" in html and "**Kontakt:**" not in html
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as text, never run
    assert 'href="javascript' not in html and ">Läs mer</a>" not in html  # no link made
    assert 'href="https://example.org/plan"' in html


def test_a_published_answer_reads_formatted_with_its_date_and_department(client, ctx, db, answered):
    _, proposal, _ = answered
    answer = db.session.scalar(select(OfficialAnswer))
    section = _answer_section(client.get(f"/p/{proposal.id}").get_data(as_text=True))
    _assert_formatted_and_safe(section)
    assert f"Ansvarig förvaltning: {DEPARTMENT}" in section
    assert f'Publicerat <time datetime="{answer.published_at.isoformat()}">' in section
    assert "uppdaterat" not in section


def test_an_answer_changed_after_publication_says_when_it_was_updated(client, ctx, db, answered):
    _, proposal, planner = answered
    path = f"/p/{proposal.id}"
    planner = db.session.get(User, planner.id)

    def publish(body: str, *, draft: bool = False) -> None:
        services.save_answer(
            db.session.get(Proposal, proposal.id),
            status=AnswerStatus.accepted,
            body=body,
            department=DEPARTMENT,
            publish=not draft,
            by=planner,
        )
        db.session.commit()

    publish(FORMATTED)  # the same words again: nothing residents read has changed
    publish("Ett utkast", draft=True)
    assert "uppdaterat" not in _answer_section(client.get(path).get_data(as_text=True))
    publish("Bänkarna kommer i maj.")
    revised_at = db.session.scalar(select(OfficialAnswer.revised_at))
    section = _answer_section(client.get(path).get_data(as_text=True))
    assert f'uppdaterat <time datetime="{revised_at.isoformat()}">' in section
    assert "Bänkarna kommer i maj." in section


def test_staff_preview_drafts_formatted_with_their_department(client, ctx, db, login, answered):
    _, proposal, planner = answered
    login(planner)
    path = f"/p/{proposal.id}/answer"
    draft = {
        "status": "implemented",
        "body": "**Klart:** i maj\nHälsningar",
        "department": "Tekniska förvaltningen",
        "save_draft": "1",
    }
    assert post_form(client, path, draft).status_code == 302
    section = _answer_section(client.get(f"/p/{proposal.id}").get_data(as_text=True))
    assert "<strong>Klart:</strong> i maj<br" in section
    assert "Ansvarig förvaltning: Tekniska förvaltningen" in section  # the draft's
    assert f"Ansvarig förvaltning: {DEPARTMENT}" in section  # the published one's
    form = client.get(path).get_data(as_text=True)
    assert 'value="Tekniska förvaltningen"' in form and "Ansvarig förvaltning" in form


def test_a_first_answer_offers_the_department_that_answered_last(
    client, ctx, db, login, make_proposal, answered
):
    dialogue, _, planner = answered
    other = make_proposal(dialogue, title="Träd", body="Fler träd.")
    login(planner)
    form = client.get(f"/p/{other.id}/answer").get_data(as_text=True)
    assert f'value="{DEPARTMENT}"' in form
    assert 'name="department"' in form and "aria-describedby" in form


def test_a_department_too_long_is_refused_with_a_message(client, ctx, db, login, answered):
    _, proposal, planner = answered
    login(planner)
    path = f"/p/{proposal.id}/answer"
    response = post_form(
        client,
        path,
        {"status": "accepted", "body": "Ja.", "department": "F" * 121, "publish": "1"},
    )
    assert response.status_code == 200
    assert "Förvaltningens namn får vara högst 120 tecken." in response.get_data(as_text=True)
    assert db.session.scalar(select(OfficialAnswer.body)) == FORMATTED


def test_the_api_keeps_the_text_as_written_with_department_and_dates(client, ctx, db, answered):
    _, proposal, _ = answered
    detail = client.get(f"/api/v1/proposals/{proposal.id}").get_json()
    answer = detail["answer"]
    assert answer["body"] == FORMATTED and answer["department"] == DEPARTMENT
    assert answer["revised_at"] is None and answer["published_at"]
    document = openapi.document()
    schema = {**document["components"]["schemas"]["Answer"], "components": document["components"]}
    Draft202012Validator(schema).validate(answer)


def test_the_published_report_shows_answers_formatted_with_their_department(
    app, committed_db, make_dialogue, make_proposal, make_user, make_answer
):
    dialogue = make_dialogue("hord", phases=REVIEWING)
    proposal = make_proposal(dialogue, make_user(), title="Bänkar", body="Fler bänkar.")
    make_answer(proposal, make_user(role="admin"), body=FORMATTED, department=DEPARTMENT)
    planner = make_user(role="planner", email="pia@example.org")
    compiled_by_its_planner(app, dialogue, planner)
    client = app.test_client()
    log_in(client, "pia@example.org")
    post_form(client, "/d/hord/reports/1/publish", {}, form_path="/d/hord/reports/1")
    page = app.test_client().get("/d/hord/what-we-heard").get_data(as_text=True)
    answers = page[page.index('id="answers-heading"') :]
    _assert_formatted_and_safe(answers)
    assert f"Ansvarig förvaltning: {DEPARTMENT}" in answers


def test_the_migration_adds_the_department_and_takes_it_away_keeping_answers(
    app, committed_db, make_dialogue, make_proposal, make_user, make_answer
):
    from flask_migrate import downgrade, upgrade

    proposal = make_proposal(make_dialogue(phases=REVIEWING), title="Bänkar", body="Fler.")
    make_answer(proposal, make_user(role="admin"), body="Ja.", department=DEPARTMENT)
    added = {"department", "draft_department", "revised_at"}

    def columns_and_bodies() -> tuple[set[str], list[str]]:
        with committed_db.engine.connect() as connection:
            names = {c["name"] for c in sa.inspect(connection).get_columns("official_answer")}
            bodies = connection.scalars(text("SELECT body FROM official_answer")).all()
        return names, bodies

    with app.app_context():
        committed_db.session.remove()
        downgrade(revision="0023")
        before, bodies_before = columns_and_bodies()
        upgrade()
        after, bodies_after = columns_and_bodies()
    assert not before & added and added <= after
    assert bodies_before == bodies_after == ["Ja."]
