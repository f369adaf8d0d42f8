"""The demo's second dialogue: past its voting, residents in real camps, answers, and a
published "Det här har vi hört" with content in every section; the first dialogue stays
first and open for proposals."""

from __future__ import annotations

from sqlalchemy import func, select

from dialog.dialogues.models import Dialogue, PhaseKind
from dialog.proposals.models import OfficialAnswer, Proposal, Vote
from dialog.reports.models import PublishedReport


def test_the_reviewed_dialogue_has_a_published_report_with_every_section(app, db, client):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        dialogue = db.session.scalar(select(Dialogue).where(Dialogue.slug == "trygga-strak-hovsjo"))
        assert dialogue.current_phase.kind is PhaseKind.review  # voting is over
        voters = db.session.scalar(
            select(func.count(func.distinct(Vote.user_id))).where(Vote.dialogue_id == dialogue.id)
        )
        proposals = db.session.scalar(
            select(func.count()).select_from(Proposal).where(Proposal.dialogue_id == dialogue.id)
        )
        answers = db.session.scalar(
            select(func.count())
            .select_from(OfficialAnswer)
            .join(Proposal)
            .where(Proposal.dialogue_id == dialogue.id)
        )
        assert voters >= 40 and proposals >= 20 and answers >= 10
        content = db.session.scalar(
            select(PublishedReport.content).where(PublishedReport.dialogue_id == dialogue.id)
        )

    assert 2 <= len(content["opinion_groups"]) <= 3
    assert all(g["representative"] for g in content["opinion_groups"])
    assert content["consensus"]
    representation = content["representation"]
    assert representation["has_population"]
    assert representation["under_represented"]["districts"]
    assert any(t["emerging"] for t in content["topics"]["topics"])
    assert content["words"]["themes"]
    assert content["geography"]["named"] and content["geography"]["drawing"]["outline"]
    assert content["moderation"]["reports"] and content["moderation"]["hidden_items"]
    assert content["feedback"]["answered"] == answers
    assert len(content["answers"]) == answers
    assert content["themes"]["dimensions"][0]["proposals"]
    assert all(content["proposals"][ranking] for ranking in ("most_supported", "most_discussed"))
    per_day = content["participation"]["per_day"]
    assert len(per_day) > 1 and sum(day["votes"] for day in per_day) == content["totals"]["votes"]
    page = client.get("/d/trygga-strak-hovsjo/what-we-heard")
    assert page.status_code == 200
    front = client.get("/").get_data(as_text=True)
    assert front.index("Framtidens stadskärna") < front.index("Trygga stråk i Hovsjö")
    with app.app_context():
        first = db.session.scalar(select(Dialogue).where(Dialogue.title == "Framtidens stadskärna"))
        assert first.current_phase.kind is PhaseKind.proposals  # still open for proposals
