"""My page in the browser: a resident whose proposal was answered, who commented, voted
and follows sees each with where it stands, and unfollows from the page, with the
keyboard and without JavaScript. axe in Swedish, in English and at 375 px."""

import re

import pytest
from playwright.sync_api import expect

from dialog.accounts.models import User
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.proposals.models import AnswerStatus, VoteValue
from tests.e2e.conftest import assert_accessible, log_in

pytestmark = pytest.mark.e2e

VOTING = (("proposals", -72, -1), ("voting", -1, 24), ("result", 24, None))
PHONE = {"width": 375, "height": 800}


@pytest.fixture
def resident_with_history(
    app, make_user, make_dialogue, make_proposal, make_comment, cast_vote, make_answer
):
    me, neighbour, planner = make_user(), make_user(), make_user(role="admin")
    dialogue = make_dialogue("minsida", phases=VOTING, title="Nya torget")
    mine = make_proposal(dialogue, author=me, title="Träd på torget")
    theirs = make_proposal(dialogue, author=neighbour, title="Bänkar vid fontänen")
    make_comment(theirs, me, body="Gärna bänkar med ryggstöd")
    cast_vote(theirs, me, VoteValue.for_)
    make_answer(mine, planner, status=AnswerStatus.accepted, body="Vi planterar i vår.")
    with app.app_context():
        dialogue_services.follow(db.session.get(Dialogue, dialogue.id), db.session.get(User, me.id))
        db.session.commit()
    return me, mine, theirs


def test_a_resident_sees_each_thing_with_its_state_and_unfollows_with_the_keyboard(
    page, resident_with_history
):
    me, mine, theirs = resident_with_history
    log_in(page, me.email)
    page.get_by_role("link", name="Min sida").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Min sida")

    proposals = page.locator("#mine-proposals")
    expect(proposals.get_by_role("link", name="Träd på torget", exact=True)).to_be_visible()
    expect(proposals).to_contain_text("Visas")
    expect(proposals).to_contain_text("Besvarat: Genomförs")
    proposals.get_by_role("link", name=re.compile("^Läs svaret.*Träd på torget$")).click()
    expect(page.get_by_role("heading", name="Kommunens svar: Genomförs")).to_be_visible()
    page.go_back()

    expect(page.locator("#mine-comments")).to_contain_text("Gärna bänkar med ryggstöd")
    expect(page.locator("#mine-comments")).to_contain_text("Bänkar vid fontänen")
    votes = page.locator("#mine-votes")
    expect(votes).to_contain_text("Du röstade: För")
    expect(
        votes.get_by_role("link", name=re.compile("^Ändra din röst.*Bänkar vid fontänen$"))
    ).to_be_visible()
    assert_accessible(page)

    # With the keyboard: Tab along the page to the dialogue's button, Enter to press it.
    button = page.get_by_role("button", name=re.compile("^Sluta följa.*Nya torget$"))
    for _ in range(80):
        page.keyboard.press("Tab")
        if button.evaluate("b => b === document.activeElement"):
            break
    else:
        pytest.fail("the unfollow button is not reached with Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Du följer inte längre dialogen.")
    expect(page.locator("#mine-following_dialogues")).to_contain_text(
        "Du följer inte någon dialog."
    )
    assert_accessible(page)


def test_unfollowing_a_proposal_works_without_javascript(page_without_js, resident_with_history):
    page = page_without_js
    me, mine, theirs = resident_with_history
    log_in(page, me.email)
    page.goto("/me")
    followed = page.locator("#mine-following_proposals")
    followed.get_by_role("button", name=re.compile("^Sluta följa.*Träd på torget$")).click()
    expect(page.get_by_role("status")).to_contain_text("Du följer inte längre förslaget.")
    expect(page.locator("#mine-following_proposals")).not_to_contain_text("Träd på torget")
    expect(page.locator("#mine-proposals")).to_contain_text("Träd på torget")
    # axe needs JavaScript: the same page is checked by the tests above and below.


@pytest.mark.parametrize(
    "options, suffix",
    [({}, "?lang=en"), ({"viewport": PHONE}, ""), ({"viewport": PHONE}, "?lang=en")],
    ids=["English", "phone", "phone in English"],
)
def test_my_page_is_accessible_in_both_languages_and_on_a_phone(
    new_page, resident_with_history, options, suffix
):
    me, _mine, _theirs = resident_with_history
    page = new_page(**options)
    log_in(page, me.email)
    page.goto(f"/me{suffix}")
    heading = "My page" if suffix else "Min sida"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(page)
    page.goto("/me/votes")
    assert_accessible(page)
    if options:
        # Nothing wider than the phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
