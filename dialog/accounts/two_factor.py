"""Two-step login with TOTP (RFC 6238) and single-use recovery codes. Functions flush;
the caller commits.

The secret is kept encrypted (Fernet, with a key from TWO_FACTOR_KEY or SECRET_KEY) and is
shown only while setting up; once enabled nothing shows it again. Recovery codes are kept
as keyed hashes. Every accepted code moves the person's last used time step forward in one
conditional UPDATE, so a code (or a code of an earlier step) is never accepted twice, even
by two requests racing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update

from dialog.accounts.models import RecoveryCode, TwoFactorCredential, User
from dialog.core import audit
from dialog.core.db import utcnow
from dialog.extensions import db

RECOVERY_CODE_COUNT = 10
# One step either side of now: a phone clock a little off still works.
VALID_WINDOW = 1


def _key_material() -> bytes:
    config = current_app.config
    return (config.get("TWO_FACTOR_KEY") or config["SECRET_KEY"]).encode()


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"two-factor-secret:" + _key_material()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _decrypt(token: str) -> str | None:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None  # the key changed: an admin resets the person's two-step login


def credential(user: User) -> TwoFactorCredential | None:
    return db.session.get(TwoFactorCredential, user.id)


def is_enabled(user: User) -> bool:
    row = credential(user)
    return row is not None and row.enabled_at is not None


def is_staff(user: User) -> bool:
    return user.is_planner or user.is_admin


def must_set_up(user: User) -> bool:
    """Staff without two-step login, where the installation requires it."""
    return current_app.config["REQUIRE_STAFF_2FA"] and is_staff(user) and not is_enabled(user)


# Setting up --------------------------------------------------------------------------


class AlreadyEnabled(Exception):
    """Setup asked for while two-step login is on: the secret is never shown again."""


def pending_secret(user: User) -> str:
    """The secret being set up, made on first call; shown until it is confirmed."""
    row = credential(user)
    if row is not None and row.enabled_at is not None:
        raise AlreadyEnabled
    secret = _decrypt(row.secret_encrypted) if row is not None else None
    if secret is None:
        secret = pyotp.random_base32()
        if row is None:
            row = TwoFactorCredential(user_id=user.id)
            db.session.add(row)
        row.secret_encrypted = _encrypt(secret)
        row.created_at = utcnow()
        db.session.flush()
    return secret


def provisioning_uri(user: User, secret: str) -> str:
    issuer = current_app.config["TWO_FACTOR_ISSUER"]
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_code_svg(uri: str, title: str) -> Markup:
    """The QR code as inline SVG, drawn here: no script, no outside service."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, title=title, border=4)
    return Markup(svg)


def confirm_setup(user: User, code: str) -> list[str] | None:
    """Enable two-step login when the code fits the pending secret; the recovery codes
    are returned once, to be shown once."""
    row = credential(user)
    if row is None or row.enabled_at is not None or not _accept_totp(row, code):
        return None
    row.enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    audit.record("two_factor_enabled", actor=user, target=user)
    db.session.flush()
    return codes


# Checking codes ----------------------------------------------------------------------


def _digits(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace())


def _accept_totp(row: TwoFactorCredential, code: str) -> bool:
    code = _digits(code)
    if not (code.isdigit() and len(code) == 6):
        return False
    secret = _decrypt(row.secret_encrypted)
    if secret is None:
        return False
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(time.time())
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return _claim_step(row, step)
    return False


def _claim_step(row: TwoFactorCredential, step: int) -> bool:
    """Move the last used step forward, only if it is behind: at most one winner."""
    result = db.session.execute(
        update(TwoFactorCredential)
        .where(
            TwoFactorCredential.user_id == row.user_id,
            or_(
                TwoFactorCredential.last_used_step.is_(None),
                TwoFactorCredential.last_used_step < step,
            ),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(row, ["last_used_step"])
    return result.rowcount == 1


def check_second_step(user: User, code: str) -> str | None:
    """'totp' or 'recovery' for an accepted code, None for a wrong or used one."""
    row = credential(user)
    if row is None or row.enabled_at is None:
        return None
    if _accept_totp(row, code):
        return "totp"
    if _use_recovery_code(user, code):
        audit.record("recovery_code_used", actor=user, target=user)
        return "recovery"
    return None


# Recovery codes ----------------------------------------------------------------------


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _recovery_hash(code: str) -> str:
    key = hashlib.sha256(b"recovery-code:" + _key_material()).digest()
    return hmac.new(key, _normalise_recovery(code).encode(), hashlib.sha256).hexdigest()


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()[:10]
    return f"{raw[:5]}-{raw[5:]}"


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(c)) for c in codes)
    db.session.flush()
    return codes


def replace_recovery_codes(user: User) -> list[str]:
    """New codes for the old ones (the caller has checked the password)."""
    codes = _new_recovery_codes(user)
    audit.record("recovery_codes_replaced", actor=user, target=user)
    return codes


def _use_recovery_code(user: User, code: str) -> bool:
    if not _normalise_recovery(code):
        return False
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


# Turning off -------------------------------------------------------------------------


def _remove(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TwoFactorCredential).where(TwoFactorCredential.user_id == user.id))
    db.session.expire_all()


def disable(user: User) -> None:
    """The person turns it off (the caller has checked the password)."""
    _remove(user)
    audit.record("two_factor_disabled", actor=user, target=user)
    db.session.flush()


def reset(person: User, *, by: User, reason: str | None = None) -> None:
    """An administrator removes a person's two-step login, e.g. after a lost phone."""
    _remove(person)
    audit.record("two_factor_reset", actor=by, target=person, reason=reason)
    db.session.flush()
