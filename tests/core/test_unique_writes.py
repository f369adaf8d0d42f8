"""Unique writes under concurrency answer with the form's usual message, never a 500.

A check before an insert cannot see a twin another request has not committed yet; the
unique constraint does. Each test here makes that race happen for certain: another
transaction holds the twin row uncommitted while the request runs, and commits it once
the request waits on it (PostgreSQL), so the request's check saw nothing and its write
meets the constraint. On SQLite writers queue for one lock, so the request finds the
row committed: the sequential case, which must answer the same. The registration is
also sent from several threads at once, as the issue reported it.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from dialog.accounts.models import User
from dialog.core.db import utcnow
from dialog.core.models import OutboxEvent
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import (
    AccessRequest,
    Dialogue,
    DialogueFollow,
    Invitation,
    Visibility,
)
from dialog.pages.models import LegalPage, PageKind
from dialog.proposals.models import AnswerStatus, OfficialAnswer, ProposalFollow
from tests.factories import LIVE
from tests.support import PASSWORD, csrf_token, first_link, log_in, wait_for

FORM = {"display_name": "Sanna Ek", "password": PASSWORD, "confirm": PASSWORD, "accept_terms": "y"}
REVIEWING = (("proposals", -48, -1), ("review", -1, 24))


def _racing_an_uncommitted_twin(app, twin: sa.Insert, send):
    """`send()`'s response, sent while another transaction holds `twin` uncommitted."""
    from dialog.extensions import db

    with app.app_context():
        engine = db.engine
    outcome = {}
    with engine.connect() as other:
        other.execute(twin)
        request = threading.Thread(target=lambda: outcome.update(response=send()))
        request.start()
        if engine.dialect.name == "postgresql":
            wait_for(lambda: _a_statement_waits_for_a_lock(engine), timeout=15, interval=0.02)
        other.commit()
        request.join(30)
    return outcome["response"]


def _a_statement_waits_for_a_lock(engine) -> bool:
    with engine.connect() as probe:
        return probe.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )


def _post(client, path, data, *, form_path=None):
    token = csrf_token(client, form_path or path)
    return lambda: client.post(path, data={"csrf_token": token, **data})


def _count(app, db, statement) -> int:
    with app.app_context():
        return db.session.scalar(statement)


def _twin_account(email: str) -> sa.Insert:
    return sa.insert(User).values(
        email=email,
        display_name="Tvilling",
        password_hash="never used to log in",
        pseudonym="Deltagare 100000",
        terms_accepted_at=utcnow(),
    )


# Registration ---------------------------------------------------------------------------


def test_one_registration_sent_from_several_threads_at_once(app, committed_db):
    clients = [app.test_client() for _ in range(4)]
    tokens = [csrf_token(c, "/register") for c in clients]
    barrier = threading.Barrier(len(clients))
    answers = [None] * len(clients)

    def submit(index):
        barrier.wait()
        data = {"csrf_token": tokens[index], "email": "sanna@example.org", **FORM}
        answers[index] = clients[index].post("/register", data=data)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [a.status_code for a in answers] == [302] * 4
    assert all(a.location.endswith("/register/check-email") for a in answers)
    assert _count(app, committed_db, select(func.count()).select_from(User)) == 1


def test_a_registration_losing_the_race_takes_the_taken_address_path(app, committed_db):
    """The losing submit answers like the winner and, like any registration of a taken
    address, tells the owner (once, under the per-address mail limit)."""
    send = _post(app.test_client(), "/register", {"email": "sanna@example.org", **FORM})
    response = _racing_an_uncommitted_twin(app, _twin_account("sanna@example.org"), send)
    assert response.status_code == 302 and response.location.endswith("/register/check-email")
    assert _count(app, committed_db, select(func.count()).select_from(User)) == 1
    notes = select(func.count()).where(
        OutboxEvent.key.like("email:already-registered:%:sanna@example.org")
    )
    assert _count(app, committed_db, notes) == 1


def test_confirming_an_address_another_account_just_took_is_a_dead_link(
    app, committed_db, make_user, mailbox
):
    from dialog.accounts import services

    person = make_user(email="gammal@example.org")
    with app.app_context():
        user = committed_db.session.get(User, person.id)
        services.request_email_change(user, "ny@example.org")
        committed_db.session.commit()
    link = first_link(mailbox.last("ny@example.org")).replace(app.config["PUBLIC_URL"], "")
    client = app.test_client()
    log_in(client, person.email)
    response = _racing_an_uncommitted_twin(
        app, _twin_account("ny@example.org"), lambda: client.get(link)
    )
    assert response.status_code == 400  # the page every dead link shows
    with app.app_context():
        assert committed_db.session.get(User, person.id).email == "gammal@example.org"


# Dialogues: invitations, access requests, the address name --------------------------------


def _assign(app, db, dialogue, planner) -> None:
    with app.app_context():
        dialogue_services.assign_planner(
            db.session.get(Dialogue, dialogue.id), db.session.get(User, planner.id), by=None
        )
        db.session.commit()


@pytest.fixture
def invite_only(app, committed_db, make_dialogue, make_user):
    dialogue = make_dialogue("slutet", visibility=Visibility.invited, phases=LIVE)
    planner = make_user(role="planner")
    _assign(app, committed_db, dialogue, planner)
    return dialogue, planner


def test_inviting_an_address_another_planner_invites_at_that_moment(app, committed_db, invite_only):
    dialogue, planner = invite_only
    client = app.test_client()
    log_in(client, planner.email)
    send = _post(client, "/d/slutet/invitations", {"emails": "ada@example.org"})
    twin = sa.insert(Invitation).values(
        dialogue_id=dialogue.id, email="ada@example.org", invited_by_id=planner.id
    )
    response = _racing_an_uncommitted_twin(app, twin, send)
    assert response.status_code == 302
    assert _count(app, committed_db, select(func.count()).select_from(Invitation)) == 1


def test_asking_for_access_twice_at_once_is_answered_as_a_repeat(
    app, committed_db, invite_only, make_user, mailbox
):
    dialogue, planner = invite_only
    with app.app_context():
        (invitation,) = dialogue_services.invite(
            committed_db.session.get(Dialogue, dialogue.id),
            ["ada@example.org"],
            by=committed_db.session.get(User, planner.id),
        )
        committed_db.session.commit()
        invitation_id = invitation.id
    link = first_link(mailbox.last("ada@example.org")).replace(app.config["PUBLIC_URL"], "")
    bo = make_user(email="bo@example.org")
    client = app.test_client()
    log_in(client, bo.email)
    twin = sa.insert(AccessRequest).values(invitation_id=invitation_id, user_id=bo.id)
    response = _racing_an_uncommitted_twin(
        app, twin, _post(client, f"{link}/request", {}, form_path=link)
    )
    assert response.status_code == 403
    assert "Du har bett om att få vara med" in response.get_data(as_text=True)
    assert _count(app, committed_db, select(func.count()).select_from(AccessRequest)) == 1


def test_creating_a_dialogue_whose_address_name_was_taken_a_moment_ago(
    app, committed_db, make_user
):
    admin = make_user(role="admin")
    client = app.test_client()
    log_in(client, admin.email)
    values = {
        "slug": "ny-park",
        "title": "Ny park",
        "summary": "En park.",
        "visibility": "public",
        "vote_mode": "for_against",
        "vote_counts": "live",
    }
    twin = sa.insert(Dialogue).values(
        slug="ny-park", reference_prefix="NP", title="Tvilling", summary="S"
    )
    response = _racing_an_uncommitted_twin(app, twin, _post(client, "/admin/dialogues/new", values))
    assert response.status_code == 200
    assert "En annan dialog använder redan adressnamnet." in response.get_data(as_text=True)
    assert _count(app, committed_db, select(func.count()).select_from(Dialogue)) == 1


# Official answers and the legal pages: the later save changes the first -------------------


def test_a_first_answer_saved_by_two_planners_at_once(
    app, committed_db, make_dialogue, make_proposal, make_user
):
    dialogue = make_dialogue(phases=REVIEWING)
    proposal = make_proposal(dialogue, title="Bänkar", body="Fler.")
    planner = make_user(role="planner")
    _assign(app, committed_db, dialogue, planner)
    client = app.test_client()
    log_in(client, planner.email)
    data = {"status": "accepted", "body": "Bänkarna kommer i maj.", "publish": "1"}
    twin = sa.insert(OfficialAnswer).values(
        proposal_id=proposal.id, status=AnswerStatus.under_review, body="Vi utreder."
    )
    response = _racing_an_uncommitted_twin(
        app, twin, _post(client, f"/p/{proposal.id}/answer", data)
    )
    assert response.status_code == 302
    with app.app_context():
        (answer,) = committed_db.session.scalars(select(OfficialAnswer)).all()
        assert answer.body == "Bänkarna kommer i maj." and answer.is_published


def test_a_legal_page_saved_by_two_administrators_at_once(app, committed_db, make_user):
    admin = make_user(role="admin")
    client = app.test_client()
    log_in(client, admin.email)
    twin = sa.insert(LegalPage).values(kind=PageKind.terms, language="sv", body="Tvilling")
    send = _post(client, "/admin/pages/terms/sv", {"body": "Villkor", "save": "1"})
    response = _racing_an_uncommitted_twin(app, twin, send)
    assert response.status_code == 302
    with app.app_context():
        (page,) = committed_db.session.scalars(select(LegalPage)).all()
        assert page.body == "Villkor"


# Following: already INSERT ... ON CONFLICT DO NOTHING; kept honest under the same race ------


def test_following_twice_at_once_makes_one_follow(
    app, committed_db, make_dialogue, make_proposal, make_user
):
    dialogue = make_dialogue("foljs", phases=LIVE)
    proposal = make_proposal(dialogue, title="Bänkar", body="Fler.")
    person = make_user()
    client = app.test_client()
    log_in(client, person.email)
    for model, path, key in (
        (DialogueFollow, "/d/foljs/follow", {"dialogue_id": dialogue.id}),
        (ProposalFollow, f"/p/{proposal.id}/follow", {"proposal_id": proposal.id}),
    ):
        twin = sa.insert(model).values(user_id=person.id, **key)
        send = _post(client, path, {}, form_path=path.rsplit("/", 1)[0])
        assert _racing_an_uncommitted_twin(app, twin, send).status_code == 302
        assert _count(app, committed_db, select(func.count()).select_from(model)) == 1
