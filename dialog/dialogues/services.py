"""Changes to dialogues, their planners, followers and invitations. Functions flush; the
caller commits. Schedules are in schedule.py, the scheduler in scheduler.py."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update

from dialog.accounts.models import User
from dialog.accounts.services import normalise_email
from dialog.core import audit, images, mail, storage
from dialog.core.db import add_unless_taken, insert_ignoring_conflicts, utcnow
from dialog.core.permissions import Decision, Refused, require
from dialog.core.urls import public_url
from dialog.dialogues.models import (
    AccessRequest,
    AccessRequestState,
    Dialogue,
    DialogueAttachment,
    DialogueFollow,
    DialoguePlanner,
    DialogueState,
    Invitation,
    new_invitation_nonce,
    new_listing_version,
)
from dialog.dialogues.permissions import can_accept_invitation, can_request_access
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
    "flag_threshold",
    "premoderate_proposals",
    "premoderate_comments",
    "screen_words",
}


class SlugTaken(Exception):
    """Another dialogue has this address name (perhaps created a moment ago)."""


def create_dialogue(
    *, slug: str, by=None, state: DialogueState = DialogueState.draft, **fields
) -> Dialogue:
    _check_fields(fields)
    fields.setdefault("reference_prefix", reference_prefix_for(slug))
    dialogue = Dialogue(slug=slug, state=state, **fields)
    if not add_unless_taken(dialogue):
        raise SlugTaken(slug)
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


def listing_changed(dialogue_id: int, *, texts: bool = True) -> None:
    """What the dialogue's proposal lists show has changed: cached lists are stale; with
    `texts` (unless a caller knows no text changed: a vote, an answer, a recount) what
    residents can read has changed too.

    Call it last in the transaction: the dialogue row stays locked until the commit, and
    taking it after the ballot and proposal rows keeps one lock order everywhere.
    """
    version = new_listing_version()
    # A vote is not an edit of the dialogue: updated_at keeps its value.
    values = {"listing_version": version, "updated_at": Dialogue.updated_at}
    if texts:
        values["texts_version"] = version
    db.session.execute(
        update(Dialogue)
        .where(Dialogue.id == dialogue_id)
        .values(**values)
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
    """Invite addresses (again, if revoked); each gets a signed link through the outbox.

    Renewing a revoked invitation gives it a new nonce: links sent before no longer work,
    and nobody who got in through the old invitation gets in again without a new link.
    """
    invited = []
    existing = {
        i.email: i
        for i in db.session.scalars(select(Invitation).where(Invitation.dialogue_id == dialogue.id))
    }
    for email in dict.fromkeys(normalise_email(e) for e in emails if e.strip()):
        invitation = existing.get(email)
        if invitation is None:
            invitation = Invitation(dialogue_id=dialogue.id, email=email, invited_by_id=by.id)
            if not add_unless_taken(invitation):
                continue  # invited by a concurrent request just now; that link is on its way
        elif invitation.revoked_at is not None:
            invitation.revoked_at = None
            invitation.invited_by_id = by.id
            invitation.token_nonce = new_invitation_nonce()
        else:
            continue
        db.session.flush()
        _send_invitation(dialogue, invitation)
        invited.append(invitation)
    if invited:
        audit.record(
            # Ids, not addresses: the log outlives an erased account and must not name it.
            "participants_invited",
            actor=by,
            target=dialogue,
            invitation_ids=[i.id for i in invited],
        )
    return invited


def invitation_token(invitation: Invitation) -> str:
    return _invitation_serializer().dumps({"inv": invitation.id, "n": invitation.token_nonce})


def _send_invitation(dialogue: Dialogue, invitation: Invitation) -> None:
    mail.queue(
        to=invitation.email,
        template="invitation",
        locale=_invitees_language(invitation.email),
        key=f"invitation:{invitation.id}:{invitation.token_nonce}",
        links={
            "invitation_url": (
                "dialogues.invitation",
                {"invitation_id": invitation.id, "nonce": invitation.token_nonce},
            )
        },
        dialogue_title=dialogue.title,
        days=INVITATION_DAYS,
    )


def _invitees_language(email: str) -> str:
    """The language of the invitee's account, when the address has one; Swedish else."""
    locale = db.session.scalar(select(User.locale).where(User.email == normalise_email(email)))
    return locale or "sv"


@mail.link("dialogues.invitation")
def invitation_link(invitation_id: int, nonce: str | None) -> str | None:
    """Made as the mail goes out; an invitation withdrawn or renewed meanwhile sends none
    (the renewal sends a mail of its own)."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.revoked_at is not None or invitation.token_nonce != nonce:
        return None
    return public_url("dialogues.accept_invitation", token=invitation_token(invitation))


def revoke_invitation(invitation: Invitation, *, by) -> None:
    """Withdraw the invitation and everything it gave: the account that accepted it and
    the requests made through its link. Renewing it starts from nothing."""
    if invitation.revoked_at is not None:
        return
    requests = list(invitation.access_requests)
    audit.record(
        "invitation_revoked",
        actor=by,
        target=invitation,
        dialogue_id=invitation.dialogue_id,
        accepted_by_id=invitation.user_id,
        access_requests={str(r.user_id): r.state.value for r in requests},
    )
    invitation.revoked_at = utcnow()
    invitation.user_id = None
    invitation.accepted_at = None
    for request in requests:
        db.session.delete(request)
    db.session.flush()


class InvalidInvitation(Exception):
    pass


def invitation_for_token(token: str) -> Invitation:
    """The active invitation the link names; InvalidInvitation when the link is forged,
    expired, revoked or replaced by a newer one."""
    try:
        data = _invitation_serializer().loads(token, max_age=INVITATION_DAYS * 86400)
    except BadSignature as error:
        raise InvalidInvitation from error
    if not isinstance(data, dict) or not isinstance(data.get("inv"), int):
        raise InvalidInvitation
    invitation = db.session.get(Invitation, data["inv"])
    if invitation is None or invitation.revoked_at is not None:
        raise InvalidInvitation
    if data.get("n") != invitation.token_nonce:
        raise InvalidInvitation
    return invitation


def accept_invitation(invitation: Invitation, user) -> None:
    """Record that the account whose confirmed address was invited accepted.

    Asks `can_accept_invitation` again, so no caller can bind another account.
    """
    require(can_accept_invitation(user, invitation))
    if invitation.user_id == user.id:
        return
    # An account that accepted earlier and has since left the address gives way to the
    # account that holds the address now.
    previous = invitation.user_id
    invitation.user_id = user.id
    invitation.accepted_at = utcnow()
    db.session.flush()
    audit.record(
        "invitation_accepted",
        actor=user,
        target=invitation,
        dialogue_id=invitation.dialogue_id,
        previous_user_id=previous,
    )


def request_access(invitation: Invitation, user) -> AccessRequest:
    """Someone with the link but another address asks the dialogue's staff to let them in."""
    require(can_request_access(user, invitation))
    access_request = AccessRequest(invitation_id=invitation.id, user_id=user.id)
    if not add_unless_taken(access_request):
        # Sent twice at once (a double click): refused as any repeat is; the first stands.
        raise Refused(Decision.deny("access_requested"))
    audit.record(
        "access_requested",
        actor=user,
        target=access_request,
        dialogue_id=invitation.dialogue_id,
        invitation_id=invitation.id,
    )
    return access_request


def decide_access_request(access_request: AccessRequest, *, approve: bool, by) -> None:
    """Approve (the account sees the dialogue while the invitation is active) or refuse."""
    if not access_request.is_pending:
        return
    access_request.state = AccessRequestState.approved if approve else AccessRequestState.refused
    access_request.decided_at = utcnow()
    access_request.decided_by_id = by.id
    db.session.flush()
    audit.record(
        "access_approved" if approve else "access_refused",
        actor=by,
        target=access_request,
        dialogue_id=access_request.invitation.dialogue_id,
        invitation_id=access_request.invitation_id,
        user_id=access_request.user_id,
    )
    if approve:
        _tell_approved(access_request)


def _tell_approved(access_request: AccessRequest) -> None:
    person = access_request.user
    dialogue = db.session.get(Dialogue, access_request.invitation.dialogue_id)
    mail.queue(
        to=person.email,
        template="access_approved",
        locale=person.locale,
        key=f"access_approved:{access_request.id}",
        dialogue_title=dialogue.title,
        dialogue_url=public_url("dialogues.show", slug=dialogue.slug),
    )


# A dialogue's background images and documents ------------------------------------------

PDF_SIGNATURE = b"%PDF-"
NOT_AN_ATTACHMENT = _l("Upload a PDF document or an image (JPEG, PNG or WebP).")
IMAGE_NEEDS_WORDS = _l("Describe what the image shows, for those who cannot see it.")


class AttachmentRefused(ValueError):
    """The upload cannot be attached; `field` names the form field the reason is about."""

    def __init__(self, reason, field: str = "file") -> None:
        super().__init__(str(reason))
        self.field = field


def add_attachment(
    dialogue: Dialogue, *, data: bytes, filename: str, title: str, alt_text: str, by
) -> DialogueAttachment:
    """A PDF kept as sent, or an image cleaned as residents' images are; last in order."""
    if data.startswith(PDF_SIGNATURE):
        stem = (filename.rsplit(".", 1)[0] or "dokument")[:100]
        stored = storage.save(data, filename=f"{stem}.pdf", content_type="application/pdf")
    else:
        if not alt_text.strip():
            raise AttachmentRefused(IMAGE_NEEDS_WORDS, field="alt_text")
        try:
            stored = images.store(data, filename)
        except images.ImageRefused as refused:
            raise AttachmentRefused(
                NOT_AN_ATTACHMENT if str(refused) == str(images.UNREADABLE) else refused
            ) from None
    last = db.session.scalar(
        select(func.max(DialogueAttachment.position)).where(
            DialogueAttachment.dialogue_id == dialogue.id
        )
    )
    attachment = DialogueAttachment(
        dialogue_id=dialogue.id,
        file_id=stored.id,
        title=title.strip(),
        alt_text=alt_text.strip() if stored.content_type.startswith("image/") else "",
        position=(last or 0) + 1,
    )
    db.session.add(attachment)
    db.session.flush()
    audit.record("attachment_added", actor=by, target=dialogue, title=attachment.title)
    return attachment


def remove_attachment(attachment: DialogueAttachment, *, by) -> None:
    """The file goes with it: nothing else refers to a dialogue's attachment."""
    audit.record(
        "attachment_removed",
        actor=by,
        target=db.session.get(Dialogue, attachment.dialogue_id),
        title=attachment.title,
    )
    storage.delete(attachment.file)  # the attachment row goes with it (ON DELETE CASCADE)
    db.session.expire_all()
