"""Permission decisions that explain themselves, and the one helper views enforce them by."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import abort, redirect, request, url_for
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from dialog.core.db import utcnow
from dialog.core.timezone import to_local

# Babel date patterns; Swedish says "12 mars kl. 09:00" and "12 mars 2027 kl. 09:00".
MOMENT_FORMAT = _l("d MMMM 'at' HH:mm")
MOMENT_FORMAT_WITH_YEAR = _l("d MMMM yyyy 'at' HH:mm")


def moment_format(*moments) -> str:
    """The one rule for how a moment is written: the pattern for `moments` (the one shown
    and those read with it, such as every start and end of a dialogue's phases; lists are
    read through, None is skipped). The year is left out only when all of them fall in
    the current year in the municipality's time zone, so a dialogue from December to
    February, or a date of another year, always shows it."""
    years = {to_local(moment).year for moment in _flattened(moments)}
    if years <= {to_local(utcnow()).year}:
        return str(MOMENT_FORMAT)
    return str(MOMENT_FORMAT_WITH_YEAR)


def _flattened(items):
    for item in items:
        if isinstance(item, datetime):
            yield item
        elif item is not None and not isinstance(item, str):
            yield from _flattened(item)


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
    # The moments a date in the message is read with (a dialogue's schedule): they
    # decide, with the date itself, whether the year is written (moment_format).
    span: tuple[datetime, ...] = field(default=(), compare=False)

    @classmethod
    def allow(cls) -> Decision:
        return cls(True)

    @classmethod
    def deny(cls, reason: str, *, span=(), **params: Any) -> Decision:
        return cls(False, reason, params, tuple(span))

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def message(self) -> str:
        if self.allowed or self.reason is None:
            return ""
        params = {
            name: format_datetime(value, moment_format(value, self.span))
            if isinstance(value, datetime)
            else value
            for name, value in self.params.items()
        }
        return str(REASONS.get(self.reason, _l("You cannot do this now."))) % params


class Refused(Exception):
    """A refusal raised by a view or a service; one error handler turns it into a response.

    Services re-check permissions under their locks and raise this when the answer has
    changed since the page was shown (the phase ended, the last vote was used).
    """

    def __init__(self, decision: Decision):
        super().__init__(decision.reason)
        self.decision = decision


def require(decision: Decision) -> None:
    """Enforce a decision: nothing happens when it allows, else Refused is raised."""
    if not decision:
        raise Refused(decision)


def refusal_response(refused: Refused):
    """Login first when that is the reason, else 403 with the reason in words."""
    decision = refused.decision
    if decision.reason == "login_required" and not request.path.startswith("/api/"):
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if decision.reason == "not_found":
        abort(404)  # what may not be seen is not there, for this visitor
    abort(403, description=decision.message)
