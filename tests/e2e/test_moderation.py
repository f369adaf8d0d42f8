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
from tests.e2e.conftest import assert_accessible, log_in
from tests.factories import LIVE

pytestmark = pytest.mark.e2e


def test_a_resident_reports_a_comment(
    app, page, make_dialogue, make_user, make_proposal, make_comment
):
    dialogue = make_dialogue("rapport", phases=LIVE)
    proposal = make_proposal(dialogue, author=make_user(), title="Parkbänkar", body="Fler.")
    comment = make_comment(proposal, make_user(), body="Ring 070-1234567")
    flagger = make_user()
    log_in(page, flagger.email)
    page.goto(f"/p/{proposal.id}")
    page.locator(f'a[href="/c/{comment.id}/flag"]').click()
    assert_accessible(page)
    page.get_by_role("button", name="Skicka till moderatorerna").click()
    expect(page.get_by_role("alert")).to_contain_text("Välj ett skäl.")
    assert_accessible(page)
    page.get_by_label("Personuppgifter om någon").check()
    page.get_by_role("button", name="Skicka till moderatorerna").click()
    # The flash, beside the page's (empty) live region for replies loaded in place.
    thanks = page.get_by_role("status").filter(has_text="En moderator kommer att titta på")
    expect(thanks).to_be_visible()
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


def _world_to_moderate(app, make_dialogue, make_user, make_proposal, make_comment):
    """A planner's dialogue with a reported comment and two reported proposals."""
    from dialog.dialogues import services as dialogue_services

    dialogue = make_dialogue("kon", phases=LIVE)
    planner, author = make_user(role="planner"), make_user()
    first = make_proposal(dialogue, author=author, title="Reklam för bilar", body="Köp!")
    second = make_proposal(dialogue, author=make_user(), title="Mer reklam", body="Köp nu!")
    comment = make_comment(first, author, body="Ring grannen på 070-1234567")
    flaggers = [make_user() for _ in range(3)]
    with app.app_context():
        dialogue_services.assign_planner(
            db.session.get(Dialogue, dialogue.id), db.session.get(User, planner.id), by=None
        )
        for item, flagger in (
            (db.session.get(Proposal, first.id), flaggers[0]),
            (db.session.get(Proposal, second.id), flaggers[1]),
        ):
            services.flag(
                item, by=db.session.get(User, flagger.id), reason=FlagReason.spam, text=None
            )
        from dialog.proposals.models import Comment

        services.flag(
            db.session.get(Comment, comment.id),
            by=db.session.get(User, flaggers[2].id),
            reason=FlagReason.personal_data,
            text="Ett telefonnummer",
        )
        db.session.commit()
    return planner, author, first, second, comment


def test_a_planner_works_the_queue_and_the_author_asks_for_a_review(
    app, page, make_dialogue, make_user, make_proposal, make_comment
):
    planner, author, first, second, comment = _world_to_moderate(
        app, make_dialogue, make_user, make_proposal, make_comment
    )
    log_in(page, planner.email)
    page.get_by_role("link", name="Moderering").click()
    expect(page.locator("main")).to_contain_text("070-1234567")
    assert_accessible(page)
    # Hiding a comment needs a reason; the page says so and keeps its place.
    page.get_by_role("link", name=f"Besluta (kommentar {comment.id})").click()
    assert_accessible(page)
    page.get_by_role("button", name="Dölj").click()
    expect(page.get_by_role("alert")).to_contain_text("Ange skälet")
    assert_accessible(page)
    page.locator("#hide-reason").fill("Telefonnummer till en privatperson")
    page.get_by_role("button", name="Dölj").click()
    expect(page.get_by_role("status")).to_contain_text("Klart: Dölj")
    # The two proposals dismissed together, by keyboard.
    page.get_by_label("Välj Reklam för bilar").check()
    page.get_by_label("Välj Mer reklam").check()
    page.get_by_label("Avvisa rapporterna").check()
    page.get_by_role("button", name="Gör detta med de valda inläggen").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("2 ärenden klara, 0 lämnade som de var")
    expect(page.locator("main")).to_contain_text("Inget väntar här.")
    assert_accessible(page)

    # The author sees the decision with its reason and asks once for a review.
    page.get_by_role("button", name="Logga ut").click()
    log_in(page, author.email)
    page.get_by_role("link", name="Min sida").click()
    expect(page.locator("main")).to_contain_text("Telefonnummer till en privatperson")
    assert_accessible(page)
    page.get_by_role("link", name="Begär omprövning").click()
    page.get_by_role("button", name="Begär omprövning").click()
    expect(page.get_by_role("alert")).to_contain_text("Skriv varför")
    assert_accessible(page)
    page.get_by_label("Varför ska en annan moderator titta igen?").fill("Det var mitt eget nummer")
    page.get_by_role("button", name="Begär omprövning").click()
    expect(page.locator("main")).to_contain_text("Du har begärt omprövning.")
    page.goto("/code-of-conduct")
    expect(page.get_by_role("heading", level=1)).to_have_text("Uppförandekod")
    assert_accessible(page)


def test_an_administrator_keeps_the_screened_words(app, page, make_user):
    log_in(page, make_user(role="admin").email)
    page.goto("/admin/moderation/words")
    page.get_by_label("Ord, eller början på ord").fill("två ord")
    page.get_by_role("button", name="Lägg till på listan").click()
    expect(page.get_by_role("alert")).to_contain_text("Bara ett ord")
    assert_accessible(page)
    page.get_by_label("Ord, eller början på ord").fill("idiot")
    page.get_by_role("button", name="Lägg till på listan").click()
    expect(page.get_by_role("status")).to_contain_text("”idiot” finns nu på listan.")
    assert_accessible(page)
