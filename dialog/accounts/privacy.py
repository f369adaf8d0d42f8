"""Personal data: the one inventory of where it lives, the person's copy, and erasure.

INVENTORY names every table that refers to a person (a foreign key to `user_account`, or
a column that holds an address, a name, an IP address or a user agent) and says how it
is exported in "download all my data" and what erasure does to it, or why it is kept.
tests/core/test_personal_data_inventory.py walks the SQLAlchemy metadata and fails for a
table that is missing here, then builds a row in every table, exports, erases and checks
that nothing left names the person. A new table that refers to a person is added here.

Contributions are public records (allmänna handlingar): erasure keeps their text and
cuts the link to the person; votes keep counting without a voter. Functions flush; the
caller commits.
"""

from __future__ import annotations

import enum
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, or_, select, update

from dialog.accounts.models import (
    DataExport,
    RecoveryCode,
    Role,
    TwoFactorCredential,
    User,
    UserSession,
)
from dialog.core import audit, mail, outbox, storage
from dialog.core.db import utcnow
from dialog.core.models import AuditEntry, OutboxDelivery, OutboxEvent, OutboxStatus, StoredFile
from dialog.core.urls import public_url
from dialog.dialogues.models import AccessRequest, DialogueFollow, DialoguePlanner, Invitation
from dialog.extensions import db
from dialog.moderation.models import (
    Block,
    Flag,
    ModerationDecision,
    RedactedOriginal,
    ReviewRequest,
    ScreenedWord,
)
from dialog.notifications.models import Delivery as NotificationDelivery
from dialog.notifications.models import Notification
from dialog.notifications.models import Preference as NotificationPreference
from dialog.pages.models import AccessibilityFeedback, LegalPage
from dialog.proposals.models import Ballot, Comment, OfficialAnswer, Proposal, ProposalFollow, Vote
from dialog.reports.models import PublishedReport, Report

# Column names that hold personal data wherever they appear; a column can also say so
# itself with `mapped_column(..., info={"personal": True})`.
PERSONAL_COLUMN_NAMES = frozenset(
    {
        "email",
        "pending_email",
        "display_name",
        "pseudonym",
        "user_agent",
        "ip",
        "ip_address",
        "actor_id",
    }
)
EXPORT_EVENT = "data_export_requested"
ERASED_EMAIL_DOMAIN = "erased.invalid"


# The inventory ------------------------------------------------------------------------


@dataclass(frozen=True)
class Covered:
    """Exported in the person's copy and erased (deleted, or unlinked) with the account."""

    export: Callable[[User], list[dict[str, Any]]]
    erase: Callable[[User], int]
    how: str


@dataclass(frozen=True)
class Retained:
    """Kept after erasure, for the reason given; exported when `export` is set."""

    reason: str
    export: Callable[[User], list[dict[str, Any]]] | None = None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return None
    return value


def _as_dict(row, hide: tuple[str, ...]) -> dict[str, Any]:
    return {
        column.key: _plain(getattr(row, column.key))
        for column in sa.inspect(type(row)).columns
        if column.key not in hide
    }


def rows_of(model, *person_columns: str, hide: tuple[str, ...] = ()):
    """Export every row of `model` whose `person_columns` (any of them) name the person;
    every column except the `hide` ones (secrets, not personal data of theirs)."""

    def export(user: User) -> list[dict[str, Any]]:
        condition = or_(*(getattr(model, name) == user.id for name in person_columns))
        primary = sa.inspect(model).primary_key
        rows = db.session.scalars(select(model).where(condition).order_by(*primary))
        return [_as_dict(row, hide) for row in rows]

    return export


def delete_rows(model, column: str):
    def erase(user: User) -> int:
        return db.session.execute(delete(model).where(getattr(model, column) == user.id)).rowcount

    return erase


def unlink(model, *columns: str, words: dict[str, Any] | None = None):
    """Keep the rows, naming nobody: each column that names the person becomes NULL, and
    `words` (free text the person wrote that no one else reads in public) is emptied."""

    def erase(user: User) -> int:
        changed = 0
        for name in columns:
            column = getattr(model, name)
            changed += db.session.execute(
                update(model)
                .where(column == user.id)
                .values({name: None, **(words or {})})
                .execution_options(synchronize_session=False)
            ).rowcount
        return changed

    return erase


def _export_profile(user: User) -> list[dict[str, Any]]:
    return [_as_dict(user, hide=("password_hash",))]


# The link's nonce is a secret of the link, not data about anyone.
INVITATION_SECRETS = ("token_nonce",)
# Who was invited is the invitee's personal data, not the inviter's (GDPR art. 15(4)):
# an invitation the person only sent shows that and when, never to whom.
INVITEE_COLUMNS = ("email", "user_id")


def _export_invitations(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Invitation)
        .where(
            or_(
                Invitation.user_id == user.id,
                Invitation.invited_by_id == user.id,
                Invitation.email == user.email,
            )
        )
        .order_by(Invitation.id)
    )
    sent_only = INVITATION_SECRETS + INVITEE_COLUMNS
    return [
        _as_dict(row, hide=INVITATION_SECRETS if _invited(row, user) else sent_only) for row in rows
    ]


def _invited(invitation: Invitation, user: User) -> bool:
    return invitation.user_id == user.id or invitation.email == user.email


def _erase_invitations(user: User) -> int:
    """Unbind the person's invitations; one sent to their address forgets the address."""
    changed = unlink(Invitation, "user_id", "invited_by_id")(user)
    for invitation in db.session.scalars(select(Invitation).where(Invitation.email == user.email)):
        invitation.email = f"erased-invitation-{invitation.id}@{ERASED_EMAIL_DOMAIN}"
        invitation.revoked_at = invitation.revoked_at or utcnow()
        changed += 1
    db.session.flush()
    return changed


def _feedback_of(user: User):
    """Reports the person sent logged in, or that gave their address for an answer."""
    addresses = {user.email, *([user.pending_email] if user.pending_email else [])}
    return or_(AccessibilityFeedback.user_id == user.id, AccessibilityFeedback.email.in_(addresses))


def _export_feedback(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(AccessibilityFeedback).where(_feedback_of(user)).order_by(AccessibilityFeedback.id)
    )
    return [_as_dict(row, hide=()) for row in rows]


def _erase_feedback(user: User) -> int:
    """The barrier stays known (the site must still be fixed); who reported it does not:
    the link to the account and an answer address equal to the person's are emptied."""
    return db.session.execute(
        update(AccessibilityFeedback)
        .where(_feedback_of(user))
        .values(user_id=None, email=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def _export_audit_entries(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(AuditEntry)
        .where(
            or_(
                AuditEntry.actor_id == user.id,
                sa.and_(AuditEntry.object_type == "User", AuditEntry.object_id == str(user.id)),
            )
        )
        .order_by(AuditEntry.id)
    )
    return [_as_dict(row, hide=()) for row in rows]


def _erase_exports(user: User) -> int:
    exports = list(db.session.scalars(select(DataExport).where(DataExport.user_id == user.id)))
    for each in exports:
        _delete_export_file(each)
        db.session.delete(each)
    db.session.flush()
    return len(exports)


def _redacted_from(user: User):
    return RedactedOriginal.decision_id.in_(
        select(ModerationDecision.id).where(ModerationDecision.author_id == user.id)
    )


def _export_redacted_originals(user: User) -> list[dict[str, Any]]:
    """What a moderator took out of the person's own words, while it is kept."""
    rows = db.session.scalars(
        select(RedactedOriginal).where(_redacted_from(user)).order_by(RedactedOriginal.id)
    )
    return [_as_dict(row, ()) for row in rows]


def _erase_redacted_originals(user: User) -> int:
    return db.session.execute(delete(RedactedOriginal).where(_redacted_from(user))).rowcount


def _erase_profile(user: User) -> int:
    """Blank every field that could name the person; the row stays, so its id is never
    given to someone else and audit entries about it keep meaning this erased account."""
    user.email = f"erased-{user.id}@{ERASED_EMAIL_DOMAIN}"
    user.pending_email = None
    user.display_name = ""
    user.pseudonym = ""
    user.show_name_publicly = False
    user.district = None
    user.age_band = None
    user.external_id = None
    user.follow_what_i_join = False
    user.email_verified_at = None
    user.last_active_at = None
    user.inactivity_warned_at = None
    # Not a hash any verifier accepts: nobody can log in to the erased account.
    user.password_hash = "!erased:" + secrets.token_hex(16)
    user.role = Role.resident
    user.active = False
    user.anonymised_at = utcnow()
    db.session.flush()
    return 1


INVENTORY: dict[str, Covered | Retained] = {
    "user_account": Covered(
        export=_export_profile,
        erase=_erase_profile,
        how="profile blanked: address, names, district and age band replaced; login disabled",
    ),
    "user_session": Covered(
        export=rows_of(UserSession, "user_id", hide=("token_hash",)),
        erase=delete_rows(UserSession, "user_id"),
        how="sessions ended and their records deleted",
    ),
    "two_factor_credential": Covered(
        export=rows_of(TwoFactorCredential, "user_id", hide=("secret_encrypted",)),
        erase=delete_rows(TwoFactorCredential, "user_id"),
        how="two-step login removed; its secret is never exported",
    ),
    "recovery_code": Covered(
        export=rows_of(RecoveryCode, "user_id", hide=("code_hash",)),
        erase=delete_rows(RecoveryCode, "user_id"),
        how="recovery codes deleted; only when each was made and used is exported",
    ),
    "data_export": Covered(
        export=rows_of(DataExport, "user_id"),
        erase=_erase_exports,
        how="earlier copies and their files deleted",
    ),
    "proposal": Covered(
        # A planner's copy leaves out who sent the letters they recorded: not their data.
        export=rows_of(Proposal, "author_id", "entered_by_id", hide=("sender_name",)),
        erase=unlink(Proposal, "author_id", "entered_by_id"),
        how="kept as public records, shown as by a deleted participant",
    ),
    "comment": Covered(
        export=rows_of(Comment, "author_id"),
        erase=unlink(Comment, "author_id"),
        how="kept as public records, shown as by a deleted participant",
    ),
    "vote": Covered(
        export=rows_of(Vote, "user_id"),
        erase=unlink(Vote, "user_id"),
        how="votes keep counting but name nobody",
    ),
    "ballot": Covered(
        export=rows_of(Ballot, "user_id"),
        erase=delete_rows(Ballot, "user_id"),
        how="the vote allowance used is deleted",
    ),
    "proposal_follow": Covered(
        export=rows_of(ProposalFollow, "user_id"),
        erase=delete_rows(ProposalFollow, "user_id"),
        how="follows removed",
    ),
    "dialogue_follow": Covered(
        export=rows_of(DialogueFollow, "user_id"),
        erase=delete_rows(DialogueFollow, "user_id"),
        how="follows removed",
    ),
    "dialogue_planner": Covered(
        export=rows_of(DialoguePlanner, "user_id"),
        erase=delete_rows(DialoguePlanner, "user_id"),
        how="planner assignments removed",
    ),
    "invitation": Covered(
        export=_export_invitations,
        erase=_erase_invitations,
        how="invitations unbound; one sent to the person's address forgets it and is revoked",
    ),
    "access_request": Covered(
        export=rows_of(AccessRequest, "user_id", "decided_by_id"),
        erase=lambda user: (
            delete_rows(AccessRequest, "user_id")(user)
            + unlink(AccessRequest, "decided_by_id")(user)
        ),
        how="the person's requests for access deleted; who decided others' is forgotten",
    ),
    "stored_file": Covered(
        export=rows_of(StoredFile, "uploaded_by_id", hide=("data",)),
        erase=unlink(StoredFile, "uploaded_by_id"),
        how="images stay with the proposals they show; who uploaded them is forgotten",
    ),
    "official_answer": Covered(
        export=rows_of(OfficialAnswer, "updated_by_id"),
        erase=unlink(OfficialAnswer, "updated_by_id"),
        how="the municipality's answers stay; who last edited them is forgotten",
    ),
    "legal_page": Covered(
        export=rows_of(LegalPage, "updated_by_id"),
        erase=unlink(LegalPage, "updated_by_id"),
        how="the terms and statements stay; who last edited them is forgotten",
    ),
    "accessibility_feedback": Covered(
        export=_export_feedback,
        erase=_erase_feedback,
        how=(
            "reported barriers stay so they can be fixed; the link to the account and an "
            "answer address equal to the person's are emptied"
        ),
    ),
    "flag": Covered(
        export=rows_of(Flag, "flagger_id"),
        erase=unlink(Flag, "flagger_id", words={"text": None}),
        how="reports to the moderators keep counting; who made them and what they wrote is forgotten",
    ),
    # Before the decisions: their author is what finds the person's redacted words.
    "redacted_original": Covered(
        export=_export_redacted_originals,
        erase=_erase_redacted_originals,
        how="the words a redaction took out of the person's content are deleted at once",
    ),
    "moderation_decision": Covered(
        export=rows_of(ModerationDecision, "author_id", "moderator_id"),
        erase=unlink(ModerationDecision, "author_id", "moderator_id"),
        how=(
            "decisions stay (the audit log holds them too); whose content it was and who "
            "decided are forgotten"
        ),
    ),
    "review_request": Covered(
        export=rows_of(ReviewRequest, "requested_by_id", "reviewed_by_id"),
        erase=lambda user: (
            unlink(ReviewRequest, "requested_by_id", words={"reason": ""})(user)
            + unlink(ReviewRequest, "reviewed_by_id")(user)
        ),
        how=(
            "the review and its outcome stay; who asked, with what words, and who reviewed "
            "are forgotten"
        ),
    ),
    "author_block": Covered(
        export=rows_of(Block, "user_id"),
        erase=delete_rows(Block, "user_id"),
        how="deleted with the account",
    ),
    "screened_word": Covered(
        export=rows_of(ScreenedWord, "added_by_id"),
        erase=unlink(ScreenedWord, "added_by_id"),
        how="the word stays on the list; who added it is forgotten",
    ),
    # Before the notifications: a delivery refers to the notification it carries.
    "notification_delivery": Covered(
        export=rows_of(NotificationDelivery, "user_id", hide=("message_token",)),
        erase=delete_rows(NotificationDelivery, "user_id"),
        how="the record of each email sent to the person is deleted",
    ),
    "notification": Covered(
        export=rows_of(Notification, "user_id"),
        erase=delete_rows(Notification, "user_id"),
        how="the person's notifications are deleted",
    ),
    "report": Covered(
        export=rows_of(Report, "requested_by_id", hide=("content", "parameters")),
        erase=unlink(Report, "requested_by_id"),
        how=(
            "report versions stay (they hold figures about groups, never who is in them); "
            "who asked for one is forgotten"
        ),
    ),
    "published_report": Covered(
        export=rows_of(PublishedReport, "published_by_id", hide=("content",)),
        erase=unlink(PublishedReport, "published_by_id"),
        how="a published report stays (it names nobody); who published it is forgotten",
    ),
    "notification_preference": Covered(
        export=rows_of(NotificationPreference, "user_id"),
        erase=delete_rows(NotificationPreference, "user_id"),
        how="the person's email choices are deleted",
    ),
    "audit_entry": Retained(
        reason=(
            "the append-only record of who did what (accountability, and the municipality's "
            "duty to show how records were handled); database triggers refuse changes, so it "
            "names people by account id, never by address or name. Nor is it thinned with a "
            "dialogue: entries such as proposal_edited, proposal_withdrawn and comment_deleted "
            "keep an account id beside a contribution that its retention decision anonymised, "
            "as the privacy notice says"
        ),
        export=_export_audit_entries,
    ),
    "outbox_event": Retained(
        reason=(
            "the delivery log of mail and events: a payload holds an address until it is "
            "delivered; settled events are deleted after MAIL_LOG_RETENTION_DAYS"
        ),
    ),
}


def references_a_person(table: sa.Table) -> list[str]:
    """Why a table holds personal data: its person columns, as 'column → target'."""
    found = []
    for column in table.columns:
        targets = {fk.column.table.name for fk in column.foreign_keys}
        if "user_account" in targets:
            found.append(f"{column.name} → user_account.id")
        elif column.name in PERSONAL_COLUMN_NAMES or column.info.get("personal"):
            found.append(f"{column.name} (personal data)")
    return found


def undeclared_tables(metadata: sa.MetaData) -> list[str]:
    """What to add to INVENTORY, table by table: the test's failure message."""
    missing = []
    for table in metadata.sorted_tables:
        reasons = references_a_person(table)
        if reasons and table.name not in INVENTORY:
            missing.append(
                f"table {table.name!r} refers to a person ({', '.join(reasons)}) but "
                "dialog/accounts/privacy.py INVENTORY does not say how it is exported and "
                f"erased. Add\n    {table.name!r}: Covered(export=rows_of(Model, "
                f'{_person_column(table)!r}, hide=("any_secret_column",)), '
                f'erase=delete_rows(Model, {_person_column(table)!r}), how="..."),\n'
                f"or, when it must outlive the account,\n    {table.name!r}: "
                'Retained(reason="why it is kept, and for how long"),\n'
                "and give the person a row in it in the scenario of "
                "tests/core/test_personal_data_inventory.py."
            )
    return missing


def _person_column(table: sa.Table) -> str:
    for column in table.columns:
        if any(fk.column.table.name == "user_account" for fk in column.foreign_keys):
            return column.name
    return "user_id"


def ip_address_columns(metadata: sa.MetaData) -> list[tuple[sa.Table, sa.Column, str]]:
    """Every IP address column with the name of the column that says when it was recorded."""
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if column.name in ("ip", "ip_address") or column.info.get("ip_address"):
                found.append((table, column, column.info.get("ip_recorded_with", "created_at")))
    return found


# Download all my data -----------------------------------------------------------------


def compile_export(user: User) -> dict[str, Any]:
    """Everything about the person, one section per table of the inventory."""
    sections = {}
    for table, entry in INVENTORY.items():
        if entry.export is not None:
            sections[table] = entry.export(user)
    return {
        "format": "medborgardialog-personal-data/1",
        "account_id": user.id,
        "generated_at": utcnow().isoformat(),
        "what_happens_on_erasure": {
            table: entry.how if isinstance(entry, Covered) else f"kept: {entry.reason}"
            for table, entry in INVENTORY.items()
        },
        "sections": sections,
    }


def export_in_progress(user: User) -> bool:
    # A copy the worker has not built within the hour has failed; asking again is fine.
    query = select(DataExport.id).where(
        DataExport.user_id == user.id,
        DataExport.ready_at.is_(None),
        DataExport.requested_at > utcnow() - timedelta(hours=1),
    )
    return db.session.scalar(query.limit(1)) is not None


def request_export(user: User) -> DataExport:
    """Queue a copy of the person's data; the worker compiles it and mails the link."""
    export = DataExport(user_id=user.id, requested_at=utcnow())
    db.session.add(export)
    db.session.flush()
    outbox.record(EXPORT_EVENT, f"data-export:{export.id}", {"export_id": export.id})
    audit.record("data_export_requested", actor=user, target=user, export_id=export.id)
    return export


def build_export(export_id: int) -> None:
    """Compile, store and mail the link; does nothing when it is already built."""
    export = db.session.get(DataExport, export_id)
    if export is None or export.ready_at is not None:
        return
    user = db.session.get(User, export.user_id)
    document = json.dumps(compile_export(user), ensure_ascii=False, indent=2).encode()
    stored = storage.save(
        document,
        filename=f"my-data-{utcnow():%Y-%m-%d}.json",
        content_type="application/json",
    )
    hours = current_app.config["DATA_EXPORT_LINK_HOURS"]
    export.file_id = stored.id
    export.ready_at = utcnow()
    export.expires_at = export.ready_at + timedelta(hours=hours)
    db.session.flush()
    mail.queue(
        to=user.email,
        template="data_export_ready",
        locale=user.locale,
        key=f"data-export-ready:{export.id}",
        links={"download_url": ("accounts.data_export", {"export_id": export.id})},
        name=user.display_name,
        hours=hours,
    )
    audit.record("data_export_ready", target=user, export_id=export.id)


def _export_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="data-export")


def export_token(export: DataExport) -> str:
    return _export_serializer().dumps({"export": export.id, "uid": export.user_id})


@mail.link("accounts.data_export")
def export_link(export_id: int) -> str | None:
    """Made as the mail goes out; an export deleted or expired meanwhile sends none."""
    export = db.session.get(DataExport, export_id)
    if export is None or export.expires_at is None or export.expires_at <= utcnow():
        return None
    return public_url("accounts.download_export", token=export_token(export))


class ExportUnavailable(Exception):
    """The link is forged, belongs to someone else (`other_person`) or has expired."""

    def __init__(self, *, other_person: bool = False):
        super().__init__()
        self.other_person = other_person


def export_for_download(token: str, user: User) -> tuple[DataExport, StoredFile]:
    """The export the link names, only for the person it was made for, while it lasts."""
    max_age = current_app.config["DATA_EXPORT_LINK_HOURS"] * 3600
    try:
        data = _export_serializer().loads(token, max_age=max_age)
    except BadSignature as error:
        raise ExportUnavailable from error
    if data.get("uid") != user.id:
        raise ExportUnavailable(other_person=True)
    export = db.session.get(DataExport, data.get("export"))
    if export is None or export.user_id != user.id or export.file_id is None:
        raise ExportUnavailable
    if export.expires_at is None or export.expires_at <= utcnow():
        raise ExportUnavailable
    return export, db.session.get(StoredFile, export.file_id)


def record_download(export: DataExport, user: User) -> None:
    export.downloaded_at = utcnow()
    db.session.flush()
    audit.record("data_export_downloaded", actor=user, target=user, export_id=export.id)


def latest_exports(user: User, limit: int = 5) -> list[DataExport]:
    return list(
        db.session.scalars(
            select(DataExport)
            .where(DataExport.user_id == user.id)
            .order_by(DataExport.requested_at.desc(), DataExport.id.desc())
            .limit(limit)
        )
    )


def _delete_export_file(export: DataExport) -> None:
    if export.file_id is not None:
        stored = db.session.get(StoredFile, export.file_id)
        export.file_id = None
        if stored is not None:
            storage.delete(stored)


def expire_exports() -> int:
    """Delete the files of exports whose link has run out; returns how many."""
    expired = list(
        db.session.scalars(
            select(DataExport).where(
                DataExport.file_id.is_not(None), DataExport.expires_at <= utcnow()
            )
        )
    )
    for export in expired:
        _delete_export_file(export)
        audit.record("data_export_expired", target=export, user_id=export.user_id)
    db.session.flush()
    return len(expired)


# Erasure ------------------------------------------------------------------------------


def another_admin_exists(user: User) -> bool:
    return (
        db.session.scalar(
            select(User.id)
            .where(User.role == Role.admin, User.active.is_(True), User.id != user.id)
            .limit(1)
        )
        is not None
    )


def erase(user: User, *, by: User | None, reason: str) -> None:
    """Anonymise the account: every table of the inventory, then the profile itself.

    The audit entry says what was done and how much, never the personal data.
    """
    if user.is_anonymised:
        return
    counts = {}
    for table, entry in INVENTORY.items():
        if isinstance(entry, Covered) and table != "user_account":
            counts[table] = entry.erase(user)
    _erase_profile(user)
    audit.record(
        "account_erased",
        actor=by,
        target=user,
        reason=reason,
        rows=counts,
    )


# Inactive accounts --------------------------------------------------------------------


def _last_active():
    return sa.func.coalesce(User.last_active_at, User.created_at)


def warn_inactive_accounts() -> int:
    """Tell each account unused for INACTIVE_WARN_AFTER_DAYS when it will be anonymised."""
    config = current_app.config
    now = utcnow()
    cutoff = now - timedelta(days=config["INACTIVE_WARN_AFTER_DAYS"])
    days = config["INACTIVE_ANONYMISE_AFTER_WARNING_DAYS"]
    users = list(
        db.session.scalars(
            select(User).where(
                User.anonymised_at.is_(None),
                User.inactivity_warned_at.is_(None),
                _last_active() < cutoff,
            )
        )
    )
    for user in users:
        user.inactivity_warned_at = now
        mail.queue(
            to=user.email,
            template="inactive_warning",
            locale=user.locale,
            key=f"inactive-warning:{user.id}:{now:%Y%m%d}",
            name=user.display_name,
            days=days,
            login_url=public_url("accounts.login"),
            is_staff=user.role is not Role.resident,
        )
        audit.record("inactivity_warned", target=user)
    db.session.flush()
    return len(users)


def anonymise_inactive_accounts() -> int:
    """Anonymise accounts warned long enough ago that have not logged in since.

    Staff accounts are only warned, unless INACTIVE_ANONYMISE_STAFF says otherwise: an
    administrator decides about them.
    """
    config = current_app.config
    cutoff = utcnow() - timedelta(days=config["INACTIVE_ANONYMISE_AFTER_WARNING_DAYS"])
    query = select(User).where(
        User.anonymised_at.is_(None),
        User.inactivity_warned_at <= cutoff,
        _last_active() < User.inactivity_warned_at,
    )
    if not config["INACTIVE_ANONYMISE_STAFF"]:
        query = query.where(User.role == Role.resident)
    users = list(db.session.scalars(query))
    for user in users:
        erase(user, by=None, reason="inactive")
    db.session.flush()
    return len(users)


# Retention limits ---------------------------------------------------------------------


def delete_old_session_records() -> int:
    """Ended or idle-expired sessions older than SESSION_RECORD_RETENTION_DAYS go."""
    cutoff = utcnow() - timedelta(days=current_app.config["SESSION_RECORD_RETENTION_DAYS"])
    return db.session.execute(
        delete(UserSession).where(
            sa.func.coalesce(UserSession.ended_at, UserSession.last_seen_at) < cutoff
        )
    ).rowcount


def blank_old_ip_addresses() -> int:
    """Every column named as an IP address, older than IP_ADDRESS_RETENTION_DAYS, emptied.

    A table with such a column names the moment it was recorded in `ip_recorded_with`
    (its timestamp column) in the column's info; without one, `created_at` is used.
    """
    cutoff = utcnow() - timedelta(days=current_app.config["IP_ADDRESS_RETENTION_DAYS"])
    blanked = 0
    for table, column, recorded_with in ip_address_columns(db.metadata):
        blanked += db.session.execute(
            update(table)
            .where(column.is_not(None), table.columns[recorded_with] < cutoff)
            .values({column.name: None})
        ).rowcount
    return blanked


def delete_old_mail_log() -> int:
    """Settled events (their payloads hold addresses) older than MAIL_LOG_RETENTION_DAYS."""
    cutoff = utcnow() - timedelta(days=current_app.config["MAIL_LOG_RETENTION_DAYS"])
    old = select(OutboxEvent.id).where(
        OutboxEvent.status != OutboxStatus.pending, OutboxEvent.created_at < cutoff
    )
    db.session.execute(delete(OutboxDelivery).where(OutboxDelivery.event_id.in_(old)))
    return db.session.execute(
        delete(OutboxEvent)
        .where(OutboxEvent.id.in_(old))
        .execution_options(synchronize_session=False)
    ).rowcount


def forget_old_feedback_contacts() -> int:
    """Reported barriers stay until they are fixed; who reported them (an address to
    answer, an account) is kept only FEEDBACK_CONTACT_RETENTION_DAYS."""
    cutoff = utcnow() - timedelta(days=current_app.config["FEEDBACK_CONTACT_RETENTION_DAYS"])
    return db.session.execute(
        update(AccessibilityFeedback)
        .where(
            AccessibilityFeedback.created_at < cutoff,
            or_(
                AccessibilityFeedback.email.is_not(None), AccessibilityFeedback.user_id.is_not(None)
            ),
        )
        .values(email=None, user_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def enforce_retention_limits() -> dict[str, int]:
    done = {
        "session_records": delete_old_session_records(),
        "ip_addresses": blank_old_ip_addresses(),
        "mail_log": delete_old_mail_log(),
        "feedback_contacts": forget_old_feedback_contacts(),
    }
    if any(done.values()):
        audit.record("retention_enforced", **done)
    return done
