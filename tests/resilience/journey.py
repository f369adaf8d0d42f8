"""What visitors and residents do, step by step, with each answer and how long it took."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from tests.support import PASSWORD, csrf_token, run_task, wait_for

# Longest a request may take with a dependency down or hung: the deadlines of the test
# apps are half a second to two, and a loaded two-core CI machine is slow.
BOUND_SECONDS = 8.0

VOTING = (("voting", timedelta(hours=-1), timedelta(hours=2), {"title": "Rösta"}),)


@dataclass
class Answer:
    step: str
    status: int
    seconds: float
    expected: int

    @property
    def as_usual(self) -> bool:
        return self.status == self.expected and self.seconds < BOUND_SECONDS


class Walk:
    """One round of the common requests against `site`, each timed on its own."""

    def __init__(self, site, *, slug: str, proposal_id: int, resident_email: str):
        self.site = site
        self.slug = slug
        self.proposal_id = proposal_id
        self.resident_email = resident_email
        self.new_email = f"ny-{uuid.uuid4().hex[:8]}@example.org"
        self.answers: list[Answer] = []

    def run(self) -> Walk:
        visitor = self.site.test_client()
        self._get(visitor, "proposal list", f"/d/{self.slug}/proposals")
        self._get(visitor, "API dialogue list", "/api/v1/dialogues")
        self._post(
            visitor,
            "registration",
            "/register",
            {
                "email": self.new_email,
                "display_name": "Ny Person",
                "password": PASSWORD,
                "confirm": PASSWORD,
                "accept_terms": "y",
            },
            expected=302,
        )
        self._post(visitor, "password reset", "/password/forgot", {"email": self.resident_email})
        resident = self.site.test_client()
        self._post(
            resident,
            "login",
            "/login",
            {"email": self.resident_email, "password": PASSWORD},
            expected=302,
        )
        self._post(
            resident,
            "vote",
            f"/p/{self.proposal_id}/vote",
            {"value": "for"},
            form=f"/p/{self.proposal_id}",
            expected=302,
        )
        return self

    def _get(self, client, step, path, expected=200):
        return self._timed(step, expected, lambda: client.get(path))

    def _post(self, client, step, path, data, *, form=None, expected=200):
        token = csrf_token(client, form or path)
        return self._timed(
            step, expected, lambda: client.post(path, data={"csrf_token": token, **data})
        )

    def _timed(self, step, expected, request):
        started = time.monotonic()
        response = request()
        self.answers.append(
            Answer(step, response.status_code, time.monotonic() - started, expected)
        )
        return response

    @property
    def all_as_usual(self) -> bool:
        return all(answer.as_usual for answer in self.answers)

    def summary(self) -> str:
        usual = sum(answer.as_usual for answer in self.answers)
        slowest = max(self.answers, key=lambda answer: answer.seconds)
        return (
            f"{usual} of {len(self.answers)} requests answered as usual, "
            f"slowest {slowest.seconds:.2f} s ({slowest.step})"
        )

    def failures(self) -> list[Answer]:
        return [answer for answer in self.answers if not answer.as_usual]


def registered(app, email: str) -> bool:
    from dialog.accounts.models import User
    from dialog.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).where(User.email == email)) == 1


def votes_of(app, email: str) -> int:
    from dialog.accounts.models import User
    from dialog.extensions import db
    from dialog.proposals.models import Vote

    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Vote).join(User).where(User.email == email)
        )


def deliver_pending(app) -> int:
    """Run every pending delivery through the real task code, in this process."""
    from dialog.core import outbox
    from dialog.core.models import OutboxDelivery, OutboxStatus
    from dialog.extensions import db

    with app.app_context():
        ids = db.session.scalars(
            select(OutboxDelivery.id).where(OutboxDelivery.status == OutboxStatus.pending)
        ).all()
    for delivery_id in ids:
        run_task(app, outbox.DELIVER_TASK, delivery_id)
    return len(ids)


def mails_to(folder: Path, address: str) -> int:
    """How many mails the mail folder holds for `address` (MAIL_SERVER unset)."""
    return sum(f"To: {address}" in path.read_text() for path in folder.glob("*.eml"))


def time_until(condition, timeout: float = 60) -> float:
    """Seconds until `condition()` holds (polled), failing after `timeout`."""
    started = time.monotonic()
    wait_for(condition, timeout=timeout, interval=0.2)
    return time.monotonic() - started
