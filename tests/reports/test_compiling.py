"""The report's sections on a small dialogue whose answers are known, the command that
compiles it, and what a stored version keeps of the people in it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from dialog.accounts.models import User
from dialog.core.db import one_snapshot, utcnow
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.proposals.models import AnswerStatus, Moderation, Proposal, Source, Stance, VoteValue
from dialog.reports import queries
from dialog.reports.compiling import compile_report, without_people

FOR, AGAINST, ABSTAIN = VoteValue.for_, VoteValue.against, VoteValue.abstain
# Voting now, with comments allowed: every kind of input the report counts.
VOTING = (("proposals", -48, -1), ("voting", -1, 24, {"capability_overrides": {"comment": True}}))


@pytest.fixture
def small(app, committed_db, make_dialogue, make_user, make_proposal, make_comment, cast_vote):
    """Six residents, four proposals (one hidden, one entered from a letter), votes whose
    rankings are known, comments of each stance, and one answered proposal."""
    dialogue = make_dialogue("liten", phases=VOTING)
    people = [make_user(display_name=f"Person {n}") for n in range(6)]
    benches = make_proposal(dialogue, people[0], title="Bänkar")
    trees = make_proposal(dialogue, people[1], title="Träd")
    letter = make_proposal(dialogue, None, title="Brevet", source=Source.letter)
    hidden = make_proposal(dialogue, people[2], title="Dold")
    # Bänkar: 5 for, 1 against; Träd: 3 for, 3 against; Brevet: 1 for, 1 abstain.
    for n, person in enumerate(people):
        cast_vote(benches, person, AGAINST if n == 5 else FOR)
        cast_vote(trees, person, FOR if n < 3 else AGAINST)
    cast_vote(letter, people[0], FOR)
    cast_vote(letter, people[1], ABSTAIN)
    cast_vote(hidden, people[3], FOR)
    make_comment(trees, people[3], "Ja", stance=Stance.for_)
    make_comment(trees, people[4], "Nej", stance=Stance.against)
    make_comment(trees, people[5], "Kanske", stance=Stance.neutral)
    make_comment(benches, people[4], "Bra", stance=Stance.for_)
    with app.app_context():
        row = db.session.get(Proposal, hidden.id)
        row.moderation = Moderation.hidden
        db.session.commit()
    return dialogue


def _compiled(app, dialogue):
    with app.app_context(), one_snapshot():
        return compile_report(db.session.get(Dialogue, dialogue.id))


def test_the_totals_count_people_and_content_with_hidden_content_apart(app, small):
    totals = _compiled(app, small)["totals"]

    assert totals == {
        "participants": 6,
        "proposals": 3,
        "proposals_hidden": 1,
        "comments": 4,
        "comments_hidden": 0,
        "votes": 14,  # the vote on the hidden proposal counts with it, apart
    }


def test_participation_is_counted_per_local_day_and_by_source(app, small):
    participation = _compiled(app, small)["participation"]

    [today] = participation["per_day"]
    # As the totals count them: the hidden proposal and the vote on it apart; its author
    # took part all the same.
    assert today == {
        "date": utcnow().astimezone(_local_zone()).date().isoformat(),
        "participants": 6,
        "proposals": 3,
        "comments": 4,
        "votes": 14,
    }
    assert participation["proposals_by_source"] == {"online": 2, "letter": 1}


def _local_zone():
    from dialog.core.timezone import LOCAL_ZONE

    return LOCAL_ZONE


def test_the_proposal_rankings_follow_the_votes_and_comments(app, small):
    ranked = _compiled(app, small)["proposals"]

    def titles(ranking):
        return [entry["title"] for entry in ranked[ranking]]

    assert titles("most_supported") == ["Bänkar", "Träd", "Brevet"]
    assert titles("highest_agreement") == ["Bänkar"]  # Träd nets zero; Brevet has too few votes
    assert ranked["highest_agreement"][0]["score"] == pytest.approx(4 / 6, abs=1e-4)
    assert titles("most_discussed") == ["Träd", "Bänkar"]
    assert titles("most_divided") == ["Träd", "Bänkar"]
    assert ranked["most_divided"][0]["score"] == 6  # an even split of six
    trees = ranked["most_discussed"][0]
    assert (trees["comments_for"], trees["comments_against"], trees["comments_neutral"]) == (
        1,
        1,
        1,
    )


def test_feedback_counts_published_answers_and_their_speed(app, small, make_user, make_answer):
    planner = make_user(role="planner")
    with app.app_context():
        benches = db.session.query(Proposal).filter_by(title="Bänkar").one()
        benches.created_at = utcnow() - timedelta(days=4)
        db.session.commit()
        make_answer(benches, planner, status=AnswerStatus.accepted)
        trees = db.session.query(Proposal).filter_by(title="Träd").one()
        make_answer(trees, planner, status=AnswerStatus.rejected, publish=False)

    feedback = _compiled(app, small)["feedback"]

    assert feedback["proposals"] == 3
    assert feedback["answered"] == 1
    assert feedback["by_status"] == {"accepted": 1}
    assert feedback["median_days"] == pytest.approx(4, abs=0.01)


def test_a_stored_report_keeps_figures_about_groups_never_who_is_in_them(app, small):
    content = {
        "totals": {"participants": 9},
        "opinion_groups": [{"id": 0, "size": 5, "members": ["1", "2"], "representative": []}],
        "opinion": {"map": [{"participant": "1", "x": 0.5, "y": -0.1, "group": 0}]},
    }

    stored = without_people(content)

    assert stored["opinion_groups"] == [{"id": 0, "size": 5, "representative": []}]
    assert stored["opinion"]["map"] == [{"x": 0.5, "y": -0.1, "group": 0}]
    assert content["opinion_groups"][0]["members"] == ["1", "2"]  # the original untouched


def test_the_command_writes_the_report_as_json(app, small, tmp_path):
    path = tmp_path / "liten.json"

    result = app.test_cli_runner().invoke(args=["report", "liten", "--json", str(path)])

    assert result.exit_code == 0, result.output
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["dialogue"] == "liten"
    assert written["totals"]["participants"] == 6
    assert {"generated_at", "opinion_groups", "consensus"} <= written.keys()
    with app.app_context():
        voters = {str(user.id) for user in db.session.query(User).filter(User.role == "resident")}
    members = {member for group in written["opinion_groups"] for member in group["members"]}
    assert members <= voters


def test_the_command_names_a_dialogue_that_does_not_exist(app, committed_db, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["report", "finns-inte", "--json", str(tmp_path / "x.json")]
    )

    assert result.exit_code == 2
    assert "No dialogue is called finns-inte" in result.output
    assert not (tmp_path / "x.json").exists()


def test_an_imported_participant_and_an_account_are_never_named_alike(
    app, small, make_user, cast_vote
):
    """Members are named by their imported reference, otherwise by account id; when an
    account's id is an imported participant's reference (Polis participant 7 and
    account 7), the account is "account-7", and two imported with one reference differ."""
    with app.app_context():
        native = db.session.scalars(
            select(User).where(User.role == "resident").order_by(User.id)
        ).first()
        benches = db.session.scalar(select(Proposal).where(Proposal.title == "Bänkar"))
    twins = [make_user(external_id=str(native.id)), make_user(external_id=str(native.id))]
    for twin in twins:
        cast_vote(benches, twin)
    with app.app_context():
        matrix = queries.vote_matrix(small.id, small.reference_prefix)
    assert len(set(matrix.participants)) == len(matrix.participants) == 8
    assert f"account-{native.id}" in matrix.participants
    assert str(native.id) in matrix.participants  # the first imported one, as imported
    assert f"{native.id} (account-{twins[1].id})" in matrix.participants
    others = set(matrix.participants) - {f"account-{native.id}", str(native.id)}
    assert len(others & {str(n) for n in range(native.id + 1, native.id + 6)}) == 5


def test_each_local_day_counts_its_people_once_across_a_change_of_the_clock(
    app, committed_db, make_dialogue, make_user, make_proposal, cast_vote
):
    """Stockholm's clocks go back at 01:00 UTC on 25 October 2026: 22:30 UTC is the next
    local day in summer (UTC+2) and 23:30 UTC in winter (UTC+1); 22:30 UTC in winter is
    still the same day."""
    from datetime import UTC, datetime

    from dialog.proposals.models import Vote

    dialogue = make_dialogue("klockan", phases=VOTING)
    anna, bo = make_user(), make_user()
    first = make_proposal(dialogue, anna, title="Första")
    late = make_proposal(dialogue, bo, title="Sent")
    for voter in (anna, bo):
        cast_vote(first, voter)
    moments = {
        "proposal": datetime(2026, 10, 24, 22, 30, tzinfo=UTC),  # 25 Oct, 00:30 local
        anna.id: datetime(2026, 10, 25, 9, 0, tzinfo=UTC),  # 25 Oct: anna again
        bo.id: datetime(2026, 10, 25, 22, 30, tzinfo=UTC),  # 25 Oct, 23:30 local (winter)
    }
    with app.app_context():
        db.session.get(Proposal, first.id).created_at = moments["proposal"]
        # 26 Oct, 00:30 local (winter): the next day
        db.session.get(Proposal, late.id).created_at = datetime(2026, 10, 25, 23, 30, tzinfo=UTC)
        for vote in db.session.scalars(select(Vote).where(Vote.proposal_id == first.id)):
            vote.cast_at = moments[vote.user_id]
        db.session.commit()

    per_day = {d["date"]: d for d in _compiled(app, dialogue)["participation"]["per_day"]}

    assert list(per_day) == ["2026-10-25", "2026-10-26"]
    assert per_day["2026-10-26"]["participants"] == 1 and per_day["2026-10-26"]["proposals"] == 1
    assert per_day["2026-10-25"] == {
        "date": "2026-10-25",
        "participants": 2,  # anna proposed and voted: once
        "proposals": 1,
        "comments": 0,
        "votes": 2,
    }


def test_the_clock_changes_are_found_to_the_minute_from_any_starting_moment():
    from datetime import UTC, datetime

    from dialog.reports.queries import _LocalDay

    stretches = _LocalDay._stretches(
        datetime(2026, 1, 1, 0, 7, 13, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    )
    assert stretches == [
        (None, 3600),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), 7200),
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), 3600),
    ]
