"""Everything that changes accounts. Functions flush; the caller commits."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse
from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager

from dialog.accounts import devices
from dialog.accounts.models import Role, User, UserSession
from dialog.accounts.names import looks_like_staff
from dialog.core import audit, limits, mail, outbox, queues
from dialog.core.db import AlreadyTaken, add_unless_taken, unique_write, utcnow
from dialog.core.text import strip_controls
from dialog.core.urls import public_url
from dialog.extensions import db, limiter


class InvalidToken(Exception):
    """A link that is forged, expired or already used."""


# Passwords --------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _hasher(memory_kib: int, time_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)


def _current_hasher() -> PasswordHasher:
    c = current_app.config
    return _hasher(c["ARGON2_MEMORY_KIB"], c["ARGON2_TIME_COST"], c["ARGON2_PARALLELISM"])


def hash_password(password: str) -> str:
    return _current_hasher().hash(password)


def password_matches(user: User, password: str) -> bool:
    hasher = _current_hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common_password(password: str) -> bool:
    return password.lower() in _common_passwords()


# Registration and email verification --------------------------------------------------


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register(*, email: str, display_name: str, password: str, locale: str) -> User | None:
    """Create an account and send its confirmation link.

    When the address is taken, its owner gets a note instead and the caller sees the same
    outcome, so the form never reveals who has an account. Both paths do the same work
    (one password hash, the same number of statements: the unique address decides, not a
    look-up first), so the answer's timing does not reveal it either.
    """
    email = normalise_email(email)
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        pseudonym=_new_pseudonym(),
        locale=locale,
        terms_accepted_at=utcnow(),
    )
    # The unique address decides, also when the same form is sent twice at once: the
    # submit that loses the race takes the taken-address path like any other.
    if not add_unless_taken(user):
        _tell_owner_of_taken_address(email)
        return None
    send_verification(user)
    audit.record("account_registered", actor=user, target=user)
    return user


def _tell_owner_of_taken_address(email: str) -> None:
    owner = find_by_email(email)
    if owner is None or not may_mail("registration", owner.email):
        return
    mail.queue(
        to=owner.email,
        template="already_registered",
        locale=owner.locale,
        key=f"already-registered:{owner.id}:{secrets.token_hex(8)}",
        login_url=public_url("accounts.login"),
        reset_url=public_url("accounts.forgot_password"),
    )


def may_mail(kind: str, address: str) -> bool:
    """At most one mail of a kind to one address per window (15 minutes by default), so
    nobody can fill a stranger's inbox through our forms. The sender sees the same neutral
    page either way. Registration notes, confirmation links and their re-sends share the
    kind "registration"; reset links have their own, so the note's reset link still works.
    """
    if not limiter.enabled:
        return True
    return limits.hit(_mail_window(), "mail-to", kind, address)


def may_mail_now(kind: str, address: str) -> bool:
    """may_mail without counting: for a mail sent at once, counted by `count_mail` once it
    is sent. A send that fails is retried, and must not use up the address's allowance."""
    return not limiter.enabled or limits.test(_mail_window(), "mail-to", kind, address)


def count_mail(kind: str, address: str) -> None:
    if limiter.enabled:
        limits.hit(_mail_window(), "mail-to", kind, address)


def _mail_window():
    return parse(current_app.config["RATELIMIT_MAIL_PER_ADDRESS"])


def _new_pseudonym() -> str:
    return f"Deltagare {secrets.randbelow(900_000) + 100_000}"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _state_fingerprint(user: User) -> str:
    """Part of every emailed link: once the password, the address, a pending address or
    the confirmation changes, every earlier link is dead (so each works once, and a
    password reset voids links an earlier holder of the account kept)."""
    state = "|".join(
        [
            user.password_hash,
            user.email,
            user.pending_email or "",
            user.email_verified_at.isoformat() if user.email_verified_at else "",
        ]
    )
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def send_verification(user: User) -> bool:
    """Send the confirmation link; False when one went to the address moments ago."""
    email = user.pending_email or user.email
    if not may_mail("registration", email):
        return False
    mail.queue(
        to=email,
        template="verify_email",
        locale=user.locale,
        key=f"verify:{user.id}:{secrets.token_hex(8)}",
        links={"verify_url": ("accounts.verify_email", {"user_id": user.id, "email": email})},
        name=user.display_name,
        days=current_app.config["EMAIL_VERIFY_DAYS"],
        is_change=user.pending_email is not None,
    )
    return True


@mail.link("accounts.verify_email")
def verification_link(user_id: int, email: str) -> str | None:
    """Signed with the account's state when the mail goes out: a password changed since
    the request makes the link dead, as it would have been."""
    user = db.session.get(User, user_id)
    if user is None or email not in (user.email, user.pending_email):
        return None
    token = _serializer("verify-email").dumps(
        {"uid": user.id, "email": email, "fp": _state_fingerprint(user)}
    )
    return public_url("accounts.verify_email", token=token)


def confirm_email(token: str) -> User:
    """Confirm a first address or a changed one; the link carries the address it confirms
    and the account's state when it was sent."""
    max_age = current_app.config["EMAIL_VERIFY_DAYS"] * 86400
    try:
        data = _serializer("verify-email").loads(token, max_age=max_age)
    except BadSignature as error:
        raise InvalidToken from error
    user = db.session.get(User, data["uid"])
    if user is None or not user.active or data.get("fp") != _state_fingerprint(user):
        raise InvalidToken
    if data["email"] == user.email and user.pending_email is None:
        if user.email_verified_at is None or user.mail_bounced_at is not None:
            user.email_verified_at = utcnow()
            user.mail_bounced_at = None  # confirmed again: notification mail resumes
            audit.record("email_verified", actor=user, target=user)
    elif data["email"] == user.pending_email:
        old = user.email
        try:
            # The unique address decides whether another account took it meanwhile, also
            # one whose own link is followed at this very moment: the link is then dead.
            with unique_write():
                user.email, user.pending_email = user.pending_email, None
                user.email_verified_at = utcnow()
                user.mail_bounced_at = None
        except AlreadyTaken as error:
            raise InvalidToken from error
        # No addresses in the log: it outlives an erased account and must not name it.
        audit.record("email_changed", actor=user, target=user)
        mail.queue(
            to=old,
            template="email_changed",
            locale=user.locale,
            key=f"email-changed:{user.id}:{user.email}",
            name=user.display_name,
        )
    else:
        raise InvalidToken
    db.session.flush()
    return user


# Login and sessions ------------------------------------------------------------------


def authenticate(email: str, password: str) -> User | None:
    user = find_by_email(email)
    if user is None:
        # Spend the same time as a real check so timing does not reveal unknown addresses.
        _burn_time()
        return None
    if not password_matches(user, password) or not user.active:
        return None
    return user


@lru_cache(maxsize=4)
def _dummy_hash_for(memory_kib: int, time_cost: int, parallelism: int) -> str:
    return _hasher(memory_kib, time_cost, parallelism).hash(secrets.token_hex(16))


def _dummy_hash() -> str:
    c = current_app.config
    return _dummy_hash_for(c["ARGON2_MEMORY_KIB"], c["ARGON2_TIME_COST"], c["ARGON2_PARALLELISM"])


def _burn_time() -> None:
    with contextlib.suppress(VerificationError):
        _current_hasher().verify(_dummy_hash(), "not the password")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, *, user_agent: str | None = None, ip: str | None = None) -> str:
    """A new server-side session; of the address only its network is kept (privacy)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user=user,
            token_hash=_token_hash(token),
            user_agent=strip_controls(user_agent or "")[:255],
            ip_prefix=devices.network_of(ip),
        )
    )
    # Logging in is what keeps an account from being anonymised as inactive.
    user.last_active_at, user.inactivity_warned_at = utcnow(), None
    db.session.flush()
    user.session_token = token
    return token


def user_for_session(token: str, *, touch: bool = True) -> User | None:
    """The user of a live session; ends sessions past their idle or absolute limit.

    The session row's changes are left for the caller's commit (no flush here), so that a
    page which only reads can drop them if the database is busy.
    """
    row = db.session.scalar(
        select(UserSession)
        .join(UserSession.user)
        .options(contains_eager(UserSession.user))
        .where(UserSession.token_hash == _token_hash(token), UserSession.ended_at.is_(None))
    )
    if row is None or not row.user.active:
        return None
    now = utcnow()
    config = current_app.config
    idle = timedelta(minutes=config["SESSION_IDLE_MINUTES"])
    absolute = timedelta(hours=config["SESSION_ABSOLUTE_HOURS"])
    if now - row.last_seen_at > idle or now - row.created_at > absolute:
        if touch:
            row.ended_at = now
        return None
    # Last use is kept to the minute or so, not written on every request.
    if touch and (now - row.last_seen_at).total_seconds() > config["SESSION_TOUCH_SECONDS"]:
        row.last_seen_at = now
    row.user.session_token = token
    return row.user


def end_session(token: str) -> None:
    db.session.execute(
        update(UserSession)
        .where(UserSession.token_hash == _token_hash(token), UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def end_all_sessions(user: User, *, keep_token: str | None = None) -> None:
    query = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)
    )
    if keep_token:
        query = query.where(UserSession.token_hash != _token_hash(keep_token))
    db.session.execute(query.values(ended_at=utcnow()).execution_options(synchronize_session=False))


# Passwords: reset and change ---------------------------------------------------------


def request_password_reset(email: str) -> None:
    """Record the request; the worker looks the address up and sends the link.

    The request itself costs the same for every address (no look-up, no hash), so neither
    the page nor its timing tells whether the address has an account.
    """
    email = normalise_email(email)
    outbox.record(
        "password_reset_requested",
        f"reset-request:{secrets.token_hex(16)}",
        {"to": email, "message_id": mail.new_message_id()},
    )


@outbox.subscriber("password_reset_requested", name="accounts.send_reset_link", queue=queues.MAIL)
def send_reset_link(payload: dict) -> str | None:
    user = find_by_email(payload["to"])
    if user is None or not user.active or not may_mail_now("reset", user.email):
        return None
    token = _serializer("reset-password").dumps({"uid": user.id, "fp": _state_fingerprint(user)})
    # Sent from here, not queued again: this delivery is already tracked and retried. The
    # mail's Message-ID goes into the delivery's log line.
    note = mail.send_queued(
        {
            "to": user.email,
            "template": "reset_password",
            "locale": user.locale,
            "message_id": payload.get("message_id"),
            "context": {
                "name": user.display_name,
                "reset_url": public_url("accounts.reset_password", token=token),
                "hours": current_app.config["PASSWORD_RESET_HOURS"],
            },
        }
    )
    count_mail("reset", user.email)
    return note


def user_for_reset_token(token: str) -> User:
    max_age = current_app.config["PASSWORD_RESET_HOURS"] * 3600
    try:
        data = _serializer("reset-password").loads(token, max_age=max_age)
    except BadSignature as error:
        raise InvalidToken from error
    user = db.session.get(User, data["uid"])
    if user is None or not user.active or data.get("fp") != _state_fingerprint(user):
        raise InvalidToken
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    _set_password(user, new_password)
    # Following the emailed link proves the address too.
    user.email_verified_at = user.email_verified_at or utcnow()
    end_all_sessions(user)
    audit.record("password_reset", actor=user, target=user)
    db.session.flush()
    return user


def change_password(user: User, new_password: str) -> None:
    """The caller has checked the current password; other sessions end, this one stays."""
    _set_password(user, new_password)
    end_all_sessions(user, keep_token=user.session_token)
    audit.record("password_changed", actor=user, target=user)
    mail.queue(
        to=user.email,
        template="password_changed",
        locale=user.locale,
        key=f"password-changed:{user.id}:{secrets.token_hex(8)}",
        name=user.display_name,
        reset_url=public_url("accounts.forgot_password"),
    )
    db.session.flush()


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    # A new password ends any address change under way: whoever asked for it may have
    # been someone else holding the account; its links die with the old fingerprint.
    if user.pending_email is not None:
        audit.record("email_change_cancelled", actor=user, target=user)
        user.pending_email = None


# Email change and profile ------------------------------------------------------------


def request_email_change(user: User, new_email: str) -> None:
    new_email = normalise_email(new_email)
    if new_email == user.email:
        return
    if find_by_email(new_email) is not None:
        _tell_owner_of_taken_address(new_email)
        return
    user.pending_email = new_email
    db.session.flush()
    send_verification(user)
    audit.record("email_change_requested", actor=user, target=user)


def update_profile(user: User, **fields) -> None:
    allowed = {
        "display_name",
        "show_name_publicly",
        "pseudonym",
        "district",
        "age_band",
        "locale",
        "follow_what_i_join",
    }
    for name, value in fields.items():
        if name not in allowed:
            raise TypeError(f"{name} is not a profile field")
        setattr(user, name, value)
    db.session.flush()


# Roles -------------------------------------------------------------------------------


PLANNING_ROLES = frozenset({Role.planner, Role.admin})


def set_role(user: User, role: Role, *, by: User, reason: str | None = None) -> None:
    if user.role is role:
        return
    old = user.role
    user.role = role
    renamed = role not in PLANNING_ROLES and _retire_staff_like_public_name(user)
    audit.record(
        "role_changed",
        actor=by,
        target=user,
        reason=reason,
        old=old.value,
        new=role.value,
        **({"public_name_replaced": True} if renamed else {}),
    )
    if role not in PLANNING_ROLES:
        _remove_planner_assignments(user, by=by)
    db.session.flush()


def _retire_staff_like_public_name(user: User) -> bool:
    """A name only staff may carry ("Kommunen") leaves the public pages with the role:
    the person is shown by a fresh pseudonym instead. Whether anything changed."""
    changed = False
    if looks_like_staff(user.pseudonym):
        user.pseudonym = _new_pseudonym()
        changed = True
    if user.show_name_publicly and looks_like_staff(user.display_name):
        user.show_name_publicly = False
        changed = True
    return changed


def _remove_planner_assignments(user: User, *, by: User) -> None:
    """A person without a staff role plans nothing: their assignments go, each audited."""
    from dialog.dialogues import services as dialogues
    from dialog.dialogues.models import Dialogue, DialoguePlanner

    planned = db.session.scalars(
        select(Dialogue)
        .join(DialoguePlanner, DialoguePlanner.dialogue_id == Dialogue.id)
        .where(DialoguePlanner.user_id == user.id)
    ).all()
    for dialogue in planned:
        dialogues.unassign_planner(dialogue, user.id, by=by)


def create_user(
    *,
    email: str,
    password: str,
    role: Role = Role.resident,
    display_name: str | None = None,
    verified: bool = True,
    locale: str = "sv",
    district: str | None = None,
    age_band: str | None = None,
) -> User:
    """An account made by an operator (CLI, demo data); no confirmation email."""
    email = normalise_email(email)
    now = utcnow()
    user = User(
        email=email,
        display_name=display_name or email.split("@")[0],
        password_hash=hash_password(password),
        role=role,
        pseudonym=_new_pseudonym(),
        locale=locale,
        terms_accepted_at=now,
        email_verified_at=now if verified else None,
        district=district,
        age_band=age_band,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("account_created", target=user, role=role.value)
    return user
