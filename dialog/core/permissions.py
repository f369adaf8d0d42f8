"""Permission decisions that explain themselves, and the one helper views enforce them by."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import abort, redirect, request, url_for
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

# A Babel date pattern; Swedish says "12 mars kl. 09:00".
MOMENT_FORMAT = _l("d MMMM 'at' HH:mm")

# What each reason code means to a person; templates show it, views answer 403 with it.
REASONS = {
    "login_required": _l("You need to log in to do this."),
    "email_unverified": _l("Confirm your email address first: follow the link we sent you."),
    "not_an_admin": _l("Only administrators can do this."),
    "account_inactive": _l("This account is not active."),
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def allow(cls) -> Decision:
        return cls(True)

    @classmethod
    def deny(cls, reason: str, **params: Any) -> Decision:
        return cls(False, reason, params)

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def message(self) -> str:
        if self.allowed or self.reason is None:
            return ""
        params = {
            name: format_datetime(value, str(MOMENT_FORMAT))
            if isinstance(value, datetime)
            else value
            for name, value in self.params.items()
        }
        return str(REASONS.get(self.reason, _l("You cannot do this now."))) % params


def require(decision: Decision):
    """Enforce a decision in a view: login first when that is the reason, else 403."""
    if decision:
        return
    if decision.reason == "login_required":
        abort(redirect(url_for("accounts.login", next=request.full_path.rstrip("?"))))
    abort(403, description=decision.message)
