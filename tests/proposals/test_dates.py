"""A date of another year says its year: a comment and a proposal from last year, read
this year, are never mistaken for this year's."""

from __future__ import annotations

from datetime import timedelta

from dialog.core.db import utcnow
from dialog.proposals.models import Comment, Proposal


def test_last_years_proposal_and_comment_show_their_year(
    client, ctx, db, make_dialogue, make_proposal, make_comment, resident
):
    proposal = make_proposal(make_dialogue(), title="Bänkar")
    comment = make_comment(proposal, resident, body="Bra idé")
    last_year = utcnow().replace(month=6, day=15, hour=10) - timedelta(days=366)
    db.session.get(Proposal, proposal.id).created_at = last_year
    db.session.get(Comment, comment.id).created_at = last_year
    db.session.commit()
    page = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert page.count(f"juni {last_year.year} kl.") == 2
