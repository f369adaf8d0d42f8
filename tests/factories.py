"""Test data, built through the real services and committed: the one place for builders.

tests/conftest.py exposes each builder as a fixture, so a test asks for what it needs:

    make_user(role="resident", verified=True, **fields)
    make_dialogue(slug="stadskarna", phases=(), **fields)
    make_phase(dialogue, kind, start, end=None, **plan_fields)
    make_proposal(dialogue, author=None, **fields)
    make_comment(proposal, author, body="Bra idé", **fields)
    cast_vote(proposal, voter, value=VoteValue.for_)
    make_answer(proposal, by, status=AnswerStatus.accepted, body="Ja", publish=True)

Rows given as arguments may be any object with an `id` (a detached row, say); the
builders load them in their own session. Each call commits once.

Inside an application context (the `ctx` fixture, or a `with app.app_context()` block)
a builder uses that context's session and returns rows attached to it. Outside one it
runs in a context of its own and returns the row loaded and detached: its columns (the
id first of all) are readable, its relationships are not. `make_user` always works in a
context of its own and returns a detached user, so a test never holds a user that lives
in the session of the request under test.

Which database the rows land in is the test's choice: the builders use the `db` fixture
(one rolled-back transaction per test) unless the test asks for `committed_db`.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from functools import lru_cache

from flask import has_app_context

_numbers = itertools.count(1)

# A dialogue open for proposals now: information before, voting and the result after.
# Phases are (kind, start, end) in hours from now; None is open-ended.
LIVE = (("information", -72, -1), ("proposals", -1, 24), ("voting", 24, 48), ("result", 48, None))


@lru_cache(maxsize=1)
def precomputed_hash() -> str:
    from dialog.accounts.services import hash_password
    from tests.support import PASSWORD

    return hash_password(PASSWORD)


class UserFactory:
    """Creates committed users quickly: one password hash computed once for the suite."""

    def __init__(self, app):
        self.app = app

    def __call__(self, role: str = "resident", verified: bool = True, **fields):
        from dialog.accounts.models import Role, User
        from dialog.core.db import utcnow
        from dialog.extensions import db

        number = next(_numbers)
        with self.app.app_context():
            user = User(
                email=fields.pop("email", f"person{number}-{role}@example.org"),
                display_name=fields.pop("display_name", f"Person {number}"),
                password_hash=precomputed_hash(),
                role=Role(role),
                pseudonym=f"Deltagare {number}",
                terms_accepted_at=utcnow(),
                email_verified_at=utcnow() if verified else None,
                **fields,
            )
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user


def _now() -> datetime:
    from dialog.core.db import utcnow

    return utcnow().replace(microsecond=0)


def _moment(now: datetime, value):
    """Hours from now (a number), an offset from now (a timedelta), or a datetime as is."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, timedelta):
        return now + value
    return now + timedelta(hours=value)


class Factories:
    """The dialogue and proposal builders, bound to one app."""

    def __init__(self, app):
        self.app = app
        # One "now" per test, so phases built by separate calls that touch still touch
        # when the clock crosses a second between the calls.
        self.now = _now()

    def _build(self, build):
        """Run `build` and commit, in the current app context or in one of its own."""
        from dialog.extensions import db

        if has_app_context():
            row = build()
            db.session.commit()
            return row
        with self.app.app_context():
            row = build()
            db.session.commit()
            db.session.refresh(row)
            db.session.expunge(row)
            return row

    @staticmethod
    def _get(model, row):
        from dialog.extensions import db

        return db.session.get(model, row.id) if row is not None else None

    # Dialogues ----------------------------------------------------------------------

    def make_dialogue(self, slug: str = "stadskarna", *, phases=(), **fields):
        """A published, public dialogue titled "Dialog <slug>", with `phases` scheduled.

        Each phase is (kind, start, end) or (kind, start, end, {PhasePlan fields}); start
        and end are hours from now (to the second), timedeltas from now or datetimes.
        """
        from dialog.dialogues import services
        from dialog.dialogues.models import DialogueState, Visibility

        def build():
            dialogue = services.create_dialogue(
                slug=slug,
                title=fields.pop("title", f"Dialog {slug}"),
                summary=fields.pop("summary", "Sammanfattning"),
                state=fields.pop("state", DialogueState.published),
                visibility=fields.pop("visibility", Visibility.public),
                **fields,
            )
            for kind, start, end, *plan_fields in phases:
                self._add_phase(dialogue, kind, start, end, **dict(*plan_fields))
            return dialogue

        return self._build(build)

    def make_phase(self, dialogue, kind, start, end=None, **plan_fields):
        """One more phase of `dialogue`; start and end as for make_dialogue's phases."""
        from dialog.dialogues.models import Dialogue

        return self._build(
            lambda: self._add_phase(self._get(Dialogue, dialogue), kind, start, end, **plan_fields)
        )

    def _add_phase(self, dialogue, kind, start, end, **plan_fields):
        from dialog.dialogues import schedule
        from dialog.dialogues.models import PhaseKind

        kind = PhaseKind(kind)
        by = plan_fields.pop("by", None)
        return schedule.add_phase(
            dialogue,
            schedule.PhasePlan(
                kind=kind,
                title=plan_fields.pop("title", f"{kind.value} {start}"),
                starts_at=_moment(self.now, start),
                ends_at=_moment(self.now, end),
                **plan_fields,
            ),
            by=by,
        )

    # Proposals, comments, votes, answers --------------------------------------------

    def make_proposal(self, dialogue, author=None, **fields):
        """A published proposal "Bänkar vid kanalen"; without an author, as if entered."""
        from dialog.accounts.models import User
        from dialog.dialogues.models import Dialogue
        from dialog.proposals import services

        return self._build(
            lambda: services.create_proposal(
                self._get(Dialogue, dialogue),
                author=self._get(User, author),
                title=fields.pop("title", "Bänkar vid kanalen"),
                body=fields.pop("body", "Fler bänkar."),
                **fields,
            )
        )

    def make_comment(self, proposal, author, body: str = "Bra idé", **fields):
        """A comment in favour (`stance`), on the proposal or as a reply to `parent`."""
        from dialog.accounts.models import User
        from dialog.proposals import services
        from dialog.proposals.models import Comment, Proposal, Stance

        return self._build(
            lambda: services.add_comment(
                self._get(Proposal, proposal),
                author=self._get(User, author),
                body=body,
                stance=fields.pop("stance", Stance.for_),
                parent=self._get(Comment, fields.pop("parent", None)),
                **fields,
            )
        )

    def cast_vote(self, proposal, voter, value=None):
        """`voter`'s vote on `proposal` (for, unless `value` says otherwise)."""
        from dialog.accounts.models import User
        from dialog.proposals import services
        from dialog.proposals.models import Proposal, VoteValue

        return self._build(
            lambda: services.cast_vote(
                self._get(User, voter), self._get(Proposal, proposal), value or VoteValue.for_
            )
        )

    def make_answer(
        self,
        proposal,
        by,
        *,
        status=None,
        body: str = "Ja",
        publish: bool = True,
        department: str | None = None,
    ):
        """The official answer to `proposal`, given by `by` (published unless told)."""
        from dialog.accounts.models import User
        from dialog.proposals import services
        from dialog.proposals.models import AnswerStatus, Proposal

        return self._build(
            lambda: services.save_answer(
                self._get(Proposal, proposal),
                status=status or AnswerStatus.accepted,
                body=body,
                publish=publish,
                by=self._get(User, by),
                department=department,
            )
        )
