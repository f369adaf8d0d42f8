"""A resident reports a comment, first forgetting the reason; a proposal held by reports
shows why in its place. axe on each page (the form itself uses no JavaScript)."""

import pytest
from playwright.sync_api import expect

from dialog.accounts.models import User
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.moderation import services
from dialog.moderation.models import FlagReason
from dialog.proposals.models import Proposal
from tests.e2e.conftest import assert_accessible
from tests.factories import LIVE
from tests.support import PASSWORD

pytestmark = pytest.mark.e2e


def _log_in(page, user):
    page.goto("/login")
    page.get_by_label("E-postadress").fill(user.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("button", name="Logga ut")).to_be_visible()


def test_a_resident_reports_a_comment(
    app, page, make_dialogue, make_user, make_proposal, make_comment
):
    dialogue = make_dialogue("rapport", phases=LIVE)
    proposal = make_proposal(dialogue, author=make_user(), title="Parkbänkar", body="Fler.")
    comment = make_comment(proposal, make_user(), body="Ring 070-1234567")
    flagger = make_user()
    _log_in(page, flagger)
    page.goto(f"/p/{proposal.id}")
    page.locator(f'a[href="/c/{comment.id}/flag"]').click()
    assert_accessible(page)
    page.get_by_role("button", name="Skicka till moderatorerna").click()
    expect(page.get_by_role("alert")).to_contain_text("Välj ett skäl.")
    assert_accessible(page)
    page.get_by_label("Personuppgifter om någon").check()
    page.get_by_role("button", name="Skicka till moderatorerna").click()
    expect(page.get_by_role("status")).to_contain_text("En moderator kommer att titta på")
    assert_accessible(page)


def test_a_held_proposal_says_why_in_its_place(app, page, make_dialogue, make_user, make_proposal):
    dialogue = make_dialogue("dold", phases=LIVE)
    proposal = make_proposal(dialogue, author=make_user(), title="Köp bilar", body="Reklam")
    flagger = make_user()
    with app.app_context():
        db.session.get(Dialogue, dialogue.id).flag_threshold = 1
        db.session.commit()
        services.flag(
            db.session.get(Proposal, proposal.id),
            by=db.session.get(User, flagger.id),
            reason=FlagReason.spam,
            text=None,
        )
        db.session.commit()
    page.goto(f"/p/{proposal.id}")
    expect(page.get_by_text("Dolt medan en moderator granskar rapporter om det")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Köp bilar")
    assert_accessible(page)
