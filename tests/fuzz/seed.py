"""Real content for the fuzzers: a dialogue in every phase kind, proposals with comments,
votes and answers, and an invite-only dialogue whose words must never come back."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialog.dialogues.models import PhaseKind, Visibility, VoteCounts
from dialog.proposals.models import AnswerStatus, Stance, VoteValue

# Words that only the invite-only dialogue and its proposal contain: any response that
# carries one of them has leaked it.
SECRET_SLUG = "sluten-fuzz"
SECRET_WORDS = (SECRET_SLUG, "Hemligtförslag", "Slutenkommentar", "Dialog sluten-fuzz")


@dataclass
class Seeded:
    slugs: list[str] = field(default_factory=list)
    proposal_ids: list[int] = field(default_factory=list)
    # The resident's proposal in the dialogue of each phase kind ("voting": its id).
    proposal_in: dict[str, int] = field(default_factory=dict)
    dialogue_ids: dict[str, int] = field(default_factory=dict)
    phase_ids: dict[str, int] = field(default_factory=dict)
    secret_proposal_id: int = 0
    resident_email: str = ""
    planner_email: str = ""
    admin_email: str = ""


def seed(make_dialogue, make_user, make_proposal, make_comment, cast_vote, make_answer) -> Seeded:
    seeded = Seeded()
    resident = make_user(display_name="Åsa Öberg", show_name_publicly=True)
    other = make_user(display_name="Privat Person", show_name_publicly=False)
    planner = make_user(role="planner")
    admin = make_user(role="admin")
    seeded.resident_email, seeded.planner_email = resident.email, planner.email
    seeded.admin_email = admin.email
    for kind in PhaseKind:
        slug = f"fuzz-{kind.value}"
        dialogue = make_dialogue(
            slug,
            phases=[(kind.value, -1, 24)],
            themes=["Stadslivet", "Grönska"],
            focus_areas=["Torget"],
            vote_counts=VoteCounts.live,
        )
        seeded.slugs.append(slug)
        seeded.dialogue_ids[kind.value] = dialogue.id
        _proposals_with_talk(
            seeded,
            dialogue,
            kind,
            (resident, other, planner),
            make_proposal,
            make_comment,
            cast_vote,
            make_answer,
        )
    secret = make_dialogue(
        SECRET_SLUG, visibility=Visibility.invited, phases=[("proposals", -1, 24)]
    )
    hidden = make_proposal(secret, resident, title="Hemligtförslag", body="Hemligtförslag här")
    make_comment(hidden, other, "Slutenkommentar")
    seeded.secret_proposal_id = hidden.id
    return seeded


def _proposals_with_talk(
    seeded, dialogue, kind, people, make_proposal, make_comment, cast_vote, make_answer
):
    resident, other, planner = people
    first = make_proposal(
        dialogue,
        resident,
        title=f"Träd på torget ({kind.value})",
        body="Lindar **och** lönnar",
        theme="Grönska",
        dimensions=["ecological"],
        place_name="Torget",
        place_lat=59.3293,
        place_lon=18.0686,
    )
    second = make_proposal(dialogue, None, title="Bänkar vid kanalen", body="Fler bänkar.")
    comment = make_comment(first, other, "Bra idé", stance=Stance.for_)
    make_comment(first, resident, "Tack!", stance=Stance.neutral, parent=comment)
    make_comment(second, resident, "Hellre cykelställ", stance=Stance.against)
    make_answer(first, planner, status=AnswerStatus.partly_accepted, body="Delvis")
    make_answer(second, planner, status=AnswerStatus.under_review, body="Utkast", publish=False)
    if kind is PhaseKind.voting:
        cast_vote(first, resident, VoteValue.for_)
        cast_vote(first, other, VoteValue.against)
        cast_vote(second, other, VoteValue.abstain)
    seeded.proposal_ids += [first.id, second.id]
    seeded.proposal_in[kind.value] = first.id
