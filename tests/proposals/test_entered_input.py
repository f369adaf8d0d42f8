"""Input a planner records for someone who wrote or called: the sender (staff only), the
date received and the case number; a body label that fits; only the sources a planner
records by hand."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from dialog.accounts.models import User
from dialog.core.timezone import local_today
from dialog.dialogues import services as dialogue_services
from dialog.proposals.models import Proposal, Source
from tests.support import log_in, post_form

LETTER = {
    "source": "letter",
    "received_on": "2026-11-30",
    "case_number": "KS 2026/123",
    "sender_name": "Ingrid Holm",
    "title": "Parkering vid Marenplan",
    "body": "Jag föreslår fler platser för rörelsehindrade.",
}


@pytest.fixture
def dialogue(ctx, make_dialogue):
    return make_dialogue(phases=(("proposals", -24, 240),))


@pytest.fixture
def planner(ctx, db, make_user, dialogue):
    user = make_user(role="planner")
    dialogue_services.assign_planner(dialogue, db.session.get(User, user.id), by=None)
    db.session.commit()
    return user


def _enter(client, dialogue, **changes):
    path = f"/d/{dialogue.slug}/proposals/enter"
    return post_form(client, path, {**LETTER, **changes})


def test_the_form_asks_when_from_whom_and_under_which_case(client, dialogue, planner):
    log_in(client, planner.email)
    html = client.get(f"/d/{dialogue.slug}/proposals/enter").get_data(as_text=True)
    assert 'type="date"' in html and 'name="received_on"' in html
    assert 'name="case_number"' in html and 'name="sender_name"' in html
    assert "Vad avsändaren föreslår" in html and "Ditt förslag" not in html
    offered = set(
        re.findall(
            r'<option[^>]*value="(\w+)"', html.split('name="source"')[1].split("</select>")[0]
        )
    )
    assert offered == {"letter", "phone", "email", "workshop"}  # no "online", no "import"


def test_recorded_input_keeps_its_date_case_and_sender(client, db, dialogue, planner):
    log_in(client, planner.email)
    answer = _enter(client, dialogue)
    assert answer.status_code == 302
    proposal = db.session.scalar(select(Proposal).where(Proposal.dialogue_id == dialogue.id))
    assert proposal.source is Source.letter and proposal.author_id is None
    assert proposal.received_on == date(2026, 11, 30)
    assert (proposal.case_number, proposal.sender_name) == ("KS 2026/123", "Ingrid Holm")
    staff_page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Inkom 30 november 2026" in staff_page and "Diarienummer KS 2026/123" in staff_page
    assert "Avsändare: Ingrid Holm" in staff_page


@pytest.mark.parametrize("who", ["anonymous", "resident", "another_planner"])
def test_others_read_the_date_and_case_number_but_never_the_sender(
    client, db, make_user, make_dialogue, dialogue, planner, who
):
    from dialog.proposals import services

    proposal = services.create_proposal(
        dialogue,
        author=None,
        entered_by=db.session.get(User, planner.id),
        source=Source.phone,
        title="Samtal om bänkar",
        body="Fler bänkar.",
        sender_name="Ingrid Holm",
        received_on=date(2026, 11, 30),
        case_number="KS 2026/123",
    )
    db.session.commit()
    if who != "anonymous":
        viewer = make_user(role="planner" if who == "another_planner" else "resident")
        if who == "another_planner":
            other = make_dialogue("annan")
            dialogue_services.assign_planner(other, db.session.get(User, viewer.id), by=None)
            db.session.commit()
        log_in(client, viewer.email)
    page = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert "Inkom 30 november 2026" in page and "Diarienummer KS 2026/123" in page
    assert "Ingrid Holm" not in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"received_on": ""}, "received_on", "Ange datumet då synpunkten kom in."),
        ({"received_on": "30/11/2026"}, "received_on", None),
        (
            {"received_on": (local_today() + timedelta(days=1)).isoformat()},
            "received_on",
            "Datumet då synpunkten kom in kan inte ligga i framtiden.",
        ),
        ({"received_on": "1899-01-01"}, "received_on", "Ange ett datum från 2000 eller senare."),
        ({"case_number": "KS 2026/1<script>"}, "case_number", None),
        ({"case_number": "K" * 51}, "case_number", "Diarienumret får vara högst 50 tecken."),
        ({"sender_name": "I" * 201}, "sender_name", "Avsändaren får vara högst 200 tecken."),
        ({"source": "import"}, "source", None),
        ({"source": "online"}, "source", None),
    ],
)
def test_bad_input_is_told_inline_and_keeps_what_was_typed(
    client, db, dialogue, planner, changes, field, message
):
    log_in(client, planner.email)
    answer = _enter(client, dialogue, **changes)
    html = answer.get_data(as_text=True)
    assert answer.status_code in (200, 400)
    assert f'id="{field}-error"' in html
    if message:
        assert message in html
    assert "Parkering vid Marenplan" in html and "fler platser för rörelsehindrade" in html
    assert db.session.scalar(select(Proposal.id).where(Proposal.dialogue_id == dialogue.id)) is None


def test_the_retention_decision_forgets_the_sender(client, db, dialogue, planner):
    from dialog.accounts import records
    from dialog.dialogues.models import RetentionAction

    log_in(client, planner.email)
    assert _enter(client, dialogue).status_code == 302
    dialogue = db.session.get(type(dialogue), dialogue.id)
    dialogue.retention_action = RetentionAction.anonymise
    records.thin(dialogue)
    proposal = db.session.scalar(select(Proposal).where(Proposal.dialogue_id == dialogue.id))
    assert proposal.sender_name is None
    assert proposal.case_number == "KS 2026/123"  # a public record's number stays


def test_a_planners_copy_of_their_data_leaves_the_sender_out(client, db, dialogue, planner):
    from dialog.accounts import privacy

    log_in(client, planner.email)
    assert _enter(client, dialogue).status_code == 302
    [row] = privacy.INVENTORY["proposal"].export(db.session.get(User, planner.id))
    assert row["case_number"] == "KS 2026/123" and "sender_name" not in row
    assert "Ingrid Holm" not in str(row)
