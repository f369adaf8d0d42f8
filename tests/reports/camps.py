"""Residents who vote in three camps, so that the opinion analysis finds real groups:
for tests of what a report names and of archives that must give the same groups back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dialog.accounts.models import User, participant_reference
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.proposals import services as proposal_services
from dialog.proposals.models import Proposal, Stance, VoteValue
from dialog.reports import services
from dialog.reports.compiling import compile_report, without_people

FOR, AGAINST, ABSTAIN = VoteValue.for_, VoteValue.against, VoteValue.abstain
VOTING = (("proposals", -48, -1), ("voting", -1, 24, {"capability_overrides": {"comment": True}}))
# Three camps of different sizes, each with four proposals of its own.
CAMPS = {"ljus": 10, "gron": 8, "liv": 7}
OWN = 4
# Account ids no count, share or coordinate of the report could spell by chance.
FIRST_ID = 7_310_000


@dataclass(frozen=True)
class Participant:
    id: int
    camp: str
    name: str
    email: str
    external_id: str | None

    @property
    def reference(self) -> str:
        """How the opinion analysis names them: the import's reference, else by account."""
        return participant_reference(self.id, self.external_id)


def _camp_vote(voter: str, proposal: str, position: int) -> VoteValue:
    """For their own camp's proposals, against the next camp's; split on the third's."""
    camps = list(CAMPS)
    if voter == proposal:
        return FOR
    if camps.index(proposal) == (camps.index(voter) + 1) % len(camps):
        return AGAINST
    return FOR if position < OWN // 2 else AGAINST


def vote_in_camps(
    app, dialogue, make_user, make_proposal, *, first_id: int = FIRST_ID
) -> tuple[list[Participant], list[Proposal]]:
    """Twenty-five residents in CAMPS, each with a distinctive name and address, a few of
    them imported with a reference of their own; twelve proposals written by them; and
    everyone's vote on every proposal as their camp votes, each person but differing
    on one proposal (so no two vote alike) and abstaining on another."""
    people: list[Participant] = []
    for camp, size in CAMPS.items():
        for _ in range(size):
            n = len(people)
            external = f"quist-ref-{n:02d}" if n % 5 == 2 else None
            user = make_user(
                id=first_id + n,
                display_name=f"Zebulon Quist {n:02d}",
                email=f"zebulon.quist.{n:02d}@quistmail.example",
                external_id=external,
            )
            people.append(Participant(user.id, camp, user.display_name, user.email, external))
    camp_of: dict[int, tuple[str, int]] = {}
    written = []
    for camp in CAMPS:
        authors = [p for p in people if p.camp == camp]
        for position in range(OWN):
            proposal = make_proposal(
                dialogue,
                authors[position],
                title=f"Förslag {camp} {position}",
                body=f"Lägret {camp} vill detta, nummer {position}.",
            )
            camp_of[proposal.id] = (camp, position)
            written.append(proposal)
    with app.app_context():
        rows = [db.session.get(Proposal, p.id) for p in written]
        for n, person in enumerate(people):
            voter = db.session.get(User, person.id)
            for j, proposal in enumerate(rows):
                camp, position = camp_of[proposal.id]
                value = _camp_vote(person.camp, camp, position)
                if j == n % len(rows):
                    value = AGAINST if value is FOR else FOR
                elif j == (n + 5) % len(rows):
                    value = ABSTAIN
                proposal_services.cast_vote(voter, proposal, value)
        for n, person in enumerate(people[:6]):
            proposal_services.add_comment(
                rows[n],
                author=db.session.get(User, person.id),
                body=f"Jag håller med, skriver {person.camp} för {n}.",
                stance=Stance.for_,
                parent=None,
            )
        db.session.commit()
    return people, written


def compile_version(app, dialogue, by) -> tuple[int, dict[str, Any]]:
    """A version asked for, compiled and finished through the services, as the worker's
    task does (without its progress bar, which writes on a connection of its own); its
    number and the content with the groups' members (what `flask report` prints)."""
    with app.app_context():
        report = services.request_report(
            db.session.get(Dialogue, dialogue.id), by=db.session.get(User, by.id)
        )
        db.session.commit()
        assert services.start(report.id)
        content = compile_report(report.dialogue)
        services.finish(report, without_people(content))
        db.session.commit()
        return report.version, content
