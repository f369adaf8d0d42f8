"""People, their roles and their server-side sessions."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialog.core.db import utcnow
from dialog.extensions import db


class Role(enum.Enum):
    resident = "resident"
    planner = "planner"
    admin = "admin"


AGE_BANDS = ("under_18", "18_29", "30_44", "45_64", "65_79", "80_plus")


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint(
            "age_band IS NULL OR age_band IN (" + ", ".join(f"'{b}'" for b in AGE_BANDS) + ")",
            name="age_band_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(80))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, name="user_role", native_enum=False, length=16), default=Role.resident
    )
    email_verified_at: Mapped[datetime | None]
    pending_email: Mapped[str | None] = mapped_column(sa.String(254))
    show_name_publicly: Mapped[bool] = mapped_column(default=True)
    pseudonym: Mapped[str] = mapped_column(sa.String(80))
    # The code of a district (dialog/districts); the list is the administrators'.
    district: Mapped[str | None] = mapped_column(
        sa.String(80), sa.ForeignKey("district.code", ondelete="SET NULL"), index=True
    )
    age_band: Mapped[str | None] = mapped_column(sa.String(16))
    locale: Mapped[str] = mapped_column(sa.String(8), default="sv")
    # Commenting on or voting for a proposal follows it too, unless the person says no.
    follow_what_i_join: Mapped[bool] = mapped_column(default=True)
    terms_accepted_at: Mapped[datetime]
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)

    # Privacy (dialog/accounts/privacy.py): when the person last logged in, when they were
    # told an inactive account will be anonymised, and when it was (by them or by that rule).
    last_active_at: Mapped[datetime | None]
    inactivity_warned_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]
    # A notification email to the address bounced for good: no more until it is
    # confirmed again.
    mail_bounced_at: Mapped[datetime | None]
    # An imported participant's reference where they came from (the participant number
    # of a Polis export): reports name them by it, so results can be compared there.
    # See `participant_reference`.
    external_id: Mapped[str | None] = mapped_column(sa.String(64))

    sessions: Mapped[list[UserSession]] = relationship(back_populates="user")

    # Set when the user is loaded from, or logged in with, a server-side session.
    session_token = None

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    @property
    def is_planner(self) -> bool:
        return self.role is Role.planner

    @property
    def public_name(self) -> str:
        return self.display_name if self.show_name_publicly else self.pseudonym

    def get_id(self) -> str | None:
        # Flask-Login keeps this in the signed cookie: the session's token, not the user
        # id, so that ending the session row really logs the browser out.
        return self.session_token


class UserSession(db.Model):
    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    # Only the network the session began from (IPv4 /24, IPv6 /48), never the full address.
    ip_prefix: Mapped[str | None] = mapped_column(sa.String(64), info={"ip_address": True})

    user: Mapped[User] = relationship(back_populates="sessions")


class TwoFactorCredential(db.Model):
    """A person's TOTP secret (encrypted); enabled once they have confirmed a code."""

    __tablename__ = "two_factor_credential"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    secret_encrypted: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enabled_at: Mapped[datetime | None]
    # The last time step a code was accepted for: a code is never taken twice.
    last_used_step: Mapped[int | None] = mapped_column(sa.BigInteger)


class RecoveryCode(db.Model):
    """A single-use code for when the phone is gone; only its keyed hash is kept."""

    __tablename__ = "recovery_code"
    __table_args__ = (sa.UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


# Privacy: "download all my data" ------------------------------------------------------


class DataExport(db.Model):
    """One compiled copy of everything about a person, downloadable for a short time.

    The file is deleted when the link expires; the row stays until the account is erased,
    so the person (and the audit log) can tell when copies were made.
    """

    __tablename__ = "data_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    file_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stored_file.id", ondelete="SET NULL"), index=True
    )
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    downloaded_at: Mapped[datetime | None]

    @property
    def is_ready(self) -> bool:
        return self.file_id is not None


def participant_reference(user_id: int, external_id: str | None) -> str:
    """How reports and archives name a person without naming them: the reference they
    were imported with, otherwise their account id."""
    return external_id or str(user_id)


def participant_references(external: dict[int, str | None]) -> dict[int, str]:
    """`participant_reference` for each of a dialogue's people (account id → imported
    reference or None), never two alike: an account whose id is an imported person's
    reference (Polis participant 7 and account 7) is `account-7`, and a reference two
    imported people share gets each later one's account as well."""
    imported = {reference for reference in external.values() if reference}
    named: set[str] = set()
    references = {}
    for user_id in sorted(external):
        reference = participant_reference(user_id, external[user_id])
        if not external[user_id] and reference in imported:
            reference = f"account-{user_id}"
        elif reference in named:
            reference = f"{reference} (account-{user_id})"
        named.add(reference)
        references[user_id] = reference
    return references
