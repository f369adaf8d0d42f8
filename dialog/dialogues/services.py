"""Changes to dialogues, their planners, followers and invitations. Functions flush; the
caller commits. Schedules are in schedule.py, the scheduler in scheduler.py."""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select, update

from dialog.core import audit, mail
from dialog.core.db import insert_ignoring_conflicts, utcnow
from dialog.core.urls import public_url
from dialog.dialogues.models import (
    Dialogue,
    DialogueFollow,
    DialoguePlanner,
    DialogueState,
    Invitation,
    new_listing_version,
)
from dialog.extensions import db

INVITATION_DAYS = 30


# Dialogues ---------------------------------------------------------------------------


def reference_prefix_for(slug: str) -> str:
    """STK for stadskarna, NPH for ny-park-hovsjo: letters for the reference codes."""
    words = [w for w in slug.split("-") if w]
    letters = "".join(w[0] for w in words) if len(words) > 1 else slug[:3]
    return (letters[:4] or "P").upper()


DIALOGUE_FIELDS = {
    "title",
    "summary",
    "background",
    "place_name",
    "place_lat",
    "place_lon",
    "place_area",
    "themes",
    "focus_areas",
    "visibility",
    "vote_mode",
    "votes_per_participant",
    "vote_counts",
    "reference_prefix",
    "named_places",
    "retention_months",
    "retention_action",
}


def create_dialogue(
    *, slug: str, by=None, state: DialogueState = DialogueState.draft, **fields
) -> Dialogue:
    _check_fields(fields)
    fields.setdefault("reference_prefix", reference_prefix_for(slug))
    dialogue = Dialogue(slug=slug, state=state, **fields)
    db.session.add(dialogue)
    db.session.flush()
    audit.record("dialogue_created", actor=by, target=dialogue, slug=slug)
    return dialogue


def update_dialogue(dialogue: Dialogue, *, by, **fields) -> None:
    _check_fields(fields)
    changed = sorted(name for name, value in fields.items() if getattr(dialogue, name) != value)
    for name, value in fields.items():
        setattr(dialogue, name, value)
    if changed:
        dialogue.listing_version = new_listing_version()  # lists show its themes, prefix...
    db.session.flush()
    if changed:
        audit.record("dialogue_updated", actor=by, target=dialogue, fields=changed)


def listing_changed(dialogue_id: int) -> None:
    """What the dialogue's proposal lists show has changed: cached lists are stale.

    Call it last in the transaction: the dialogue row stays locked until the commit, and
    taking it after the ballot and proposal rows keeps one lock order everywhere.
    """
    db.session.execute(
        update(Dialogue)
        .where(Dialogue.id == dialogue_id)
        # A vote is not an edit of the dialogue: updated_at keeps its value.
        .values(listing_version=new_listing_version(), updated_at=Dialogue.updated_at)
        .execution_options(synchronize_session=False)
    )


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - DIALOGUE_FIELDS
    if unknown:
        raise TypeError(f"not dialogue fields: {', '.join(sorted(unknown))}")


def set_state(dialogue: Dialogue, state: DialogueState, *, by) -> None:
    if dialogue.state is state:
        return
    old = dialogue.state
    dialogue.state = state
    db.session.flush()
    audit.record(f"dialogue_{state.value}", actor=by, target=dialogue, old=old.value)


def slug_taken(slug: str) -> bool:
    return db.session.scalar(select(Dialogue.id).where(Dialogue.slug == slug)) is not None


def assign_planner(dialogue: Dialogue, user, *, by) -> None:
    inserted = insert_ignoring_conflicts(
        DialoguePlanner,
        {"dialogue_id": dialogue.id, "user_id": user.id, "assigned_at": utcnow()},
        ["dialogue_id", "user_id"],
    )
    if inserted:
        audit.record("planner_assigned", actor=by, target=dialogue, user_id=user.id)
    db.session.expire(dialogue, ["planners"])


def unassign_planner(dialogue: Dialogue, user_id: int, *, by) -> None:
    removed = db.session.execute(
        delete(DialoguePlanner).where(
            DialoguePlanner.dialogue_id == dialogue.id, DialoguePlanner.user_id == user_id
        )
    ).rowcount
    if removed:
        audit.record("planner_unassigned", actor=by, target=dialogue, user_id=user_id)
    db.session.expire(dialogue, ["planners"])


def follow(dialogue: Dialogue, user) -> None:
    insert_ignoring_conflicts(
        DialogueFollow,
        {"dialogue_id": dialogue.id, "user_id": user.id, "created_at": utcnow()},
        ["dialogue_id", "user_id"],
    )


def unfollow(dialogue: Dialogue, user) -> None:
    db.session.execute(
        delete(DialogueFollow).where(
            DialogueFollow.dialogue_id == dialogue.id, DialogueFollow.user_id == user.id
        )
    )


# Invitations -------------------------------------------------------------------------


def _invitation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="invitation")


def invite(dialogue: Dialogue, emails: list[str], *, by) -> list[Invitation]:
    """Invite addresses (again, if revoked); each gets a signed link through the outbox."""
    invited = []
    existing = {
        i.email: i
        for i in db.session.scalars(select(Invitation).where(Invitation.dialogue_id == dialogue.id))
    }
    for email in dict.fromkeys(e.strip().lower() for e in emails if e.strip()):
        invitation = existing.get(email)
        if invitation is None:
            invitation = Invitation(dialogue_id=dialogue.id, email=email, invited_by_id=by.id)
            db.session.add(invitation)
        elif invitation.revoked_at is not None:
            invitation.revoked_at = None
        else:
            continue
        db.session.flush()
        _send_invitation(dialogue, invitation)
        invited.append(invitation)
    if invited:
        audit.record(
            "participants_invited", actor=by, target=dialogue, emails=[i.email for i in invited]
        )
    return invited


def _send_invitation(dialogue: Dialogue, invitation: Invitation) -> None:
    token = _invitation_serializer().dumps({"inv": invitation.id})
    mail.queue(
        to=invitation.email,
        template="invitation",
        locale="sv",
        key=f"invitation:{invitation.id}:{hashlib.sha256(token.encode()).hexdigest()[:16]}",
        dialogue_title=dialogue.title,
        days=INVITATION_DAYS,
        invitation_url=public_url("dialogues.accept_invitation", token=token),
    )


def revoke_invitation(invitation: Invitation, *, by) -> None:
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        db.session.flush()
        audit.record(
            "invitation_revoked",
            actor=by,
            target=invitation,
            dialogue_id=invitation.dialogue_id,
            email=invitation.email,
        )


class InvalidInvitation(Exception):
    pass


def invitation_for_token(token: str) -> Invitation:
    try:
        data = _invitation_serializer().loads(token, max_age=INVITATION_DAYS * 86400)
    except BadSignature as error:
        raise InvalidInvitation from error
    invitation = db.session.get(Invitation, data["inv"])
    if invitation is None or invitation.revoked_at is not None:
        raise InvalidInvitation
    return invitation


def accept_invitation(invitation: Invitation, user) -> None:
    """Bind the invitation to the account that followed its link."""
    if invitation.user_id is None:
        invitation.user_id = user.id
        invitation.accepted_at = utcnow()
        db.session.flush()
        audit.record(
            "invitation_accepted", actor=user, target=invitation, dialogue_id=invitation.dialogue_id
        )
