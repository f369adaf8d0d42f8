"""Planner powers need the planner (or admin) role and an active account, not only an
assignment: lowering the role removes the assignments, audited, and whatever assignment
is left behind grants nothing."""

from sqlalchemy import select

from dialog.accounts.models import User
from dialog.core.models import AuditEntry
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue, DialoguePlanner, DialogueState
from dialog.proposals.models import Comment, OfficialAnswer
from tests.support import post_form

REVIEWING = (("proposals", -48, -1), ("review", -1, 24))
PROPOSING = (("proposals", -1, 24), ("review", 24, 48))


def _assign(app, planner, *dialogues):
    from dialog.extensions import db

    with app.app_context():
        for dialogue in dialogues:
            dialogue_services.assign_planner(
                db.session.get(Dialogue, dialogue.id), db.session.get(User, planner.id), by=None
            )
        db.session.commit()


def _all(app, query):
    from dialog.extensions import db

    with app.app_context():
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def _comment(client, proposal, body):
    return post_form(
        client,
        f"/p/{proposal.id}/comments",
        {"body": body, "stance": "neutral"},
        form_path=f"/p/{proposal.id}",
    )


def _answer(client, proposal):
    return client.post(
        f"/p/{proposal.id}/answer",
        data={
            "csrf_token": _any_token(client),
            "status": "accepted",
            "body": "Bänkarna kommer i maj.",
            "publish": "1",
        },
    )


def _any_token(client):
    from tests.support import csrf_token

    return csrf_token(client, "/profile")


def test_a_demoted_planner_loses_every_planner_power(
    app, client, admin, make_user, make_dialogue, make_proposal, login
):
    planner = make_user(role="planner")
    draft = make_dialogue("utkast", state=DialogueState.draft)
    reviewing = make_dialogue("granskas", phases=REVIEWING)
    proposing = make_dialogue("forslag", phases=PROPOSING)
    answerable = make_proposal(reviewing, title="Bänkar", body="Fler.")
    commentable = make_proposal(proposing, title="Träd", body="Fler träd.")
    _assign(app, planner, draft, reviewing, proposing)

    login(planner)  # the powers are real before the change
    assert client.get("/d/utkast").status_code == 200
    assert _comment(client, commentable, "Vi tittar på det.").status_code == 302
    assert _all(app, select(Comment))[0].by_municipality

    staff = app.test_client()
    post_form(staff, "/login", {"email": admin.email, "password": "correct horse battery staple"})
    changed = post_form(
        staff,
        f"/admin/users/{planner.id}/role",
        {"role": "resident", "reason": "Slutat på kommunen"},
        form_path=f"/admin/users/{planner.id}/role",
    )
    assert changed.status_code == 302, changed.get_data(as_text=True)[-3000:]

    assert _all(app, select(DialoguePlanner).where(DialoguePlanner.user_id == planner.id)) == []
    removed = _all(app, select(AuditEntry).where(AuditEntry.action == "planner_unassigned"))
    assert sorted(e.object_id for e in removed) == sorted(
        str(d.id) for d in (draft, reviewing, proposing)
    )
    assert all(e.actor_id == admin.id for e in removed)

    # The same browser, still logged in: the session outlives the role, the powers do not.
    assert client.get("/d/utkast").status_code == 404
    assert _answer(client, answerable).status_code in (403, 404)
    assert _all(app, select(OfficialAnswer)) == []
    assert _comment(client, commentable, "Nu som invånare.").status_code == 302
    latest = _all(app, select(Comment).order_by(Comment.id.desc()))[0]
    assert latest.body == "Nu som invånare." and not latest.by_municipality


def test_an_assignment_left_behind_grants_nothing_without_the_role(
    app, client, make_user, make_dialogue, make_proposal, login
):
    # An assignment row that outlived its role (data from before the fix, a direct edit).
    resident = make_user(role="resident")
    draft = make_dialogue("utkast", state=DialogueState.draft)
    proposing = make_dialogue("forslag", phases=PROPOSING)
    proposal = make_proposal(proposing, title="Träd", body="Fler träd.")
    _assign(app, resident, draft, proposing)
    login(resident)
    assert client.get("/d/utkast").status_code == 404
    assert "Dialog utkast" not in client.get("/").get_data(as_text=True)
    _comment(client, proposal, "Hej")
    assert not _all(app, select(Comment))[0].by_municipality


def test_a_closed_account_plans_nothing(ctx, db, make_user, make_dialogue):
    from dialog.dialogues.visibility import is_planner_of

    planner = make_user(role="planner")
    dialogue = make_dialogue("granskas")
    row = db.session.get(User, planner.id)
    dialogue_services.assign_planner(dialogue, row, by=None)
    assert is_planner_of(row, dialogue)
    row.active = False
    assert not is_planner_of(row, dialogue)


def test_promoting_to_admin_keeps_assignments(app, ctx, db, admin, make_user, make_dialogue):
    from dialog.accounts import services
    from dialog.accounts.models import Role

    planner = make_user(role="planner")
    dialogue = make_dialogue("granskas")
    dialogue_services.assign_planner(dialogue, db.session.get(User, planner.id), by=None)
    services.set_role(
        db.session.get(User, planner.id), Role.admin, by=db.session.get(User, admin.id)
    )
    assert db.session.scalar(select(DialoguePlanner).where(DialoguePlanner.user_id == planner.id))
