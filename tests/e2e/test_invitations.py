"""An invitation link opened from another account: asking works without JavaScript, the
planner's page of requests is accessible, and approving lets the person in."""

from playwright.sync_api import expect

from dialog.accounts.models import User
from dialog.dialogues import services
from dialog.dialogues.models import Dialogue, Visibility
from tests.e2e.conftest import assert_accessible, log_in
from tests.factories import LIVE


def test_asking_for_access_and_approving_it_in_the_browser(
    app, page, page_without_js, make_dialogue, make_user
):
    dialogue = make_dialogue(
        "slutet", visibility=Visibility.invited, phases=LIVE, title="Sluten dialog"
    )
    planner = make_user(role="planner", display_name="Pia Planerare")
    asker = make_user(email="bo@example.org", display_name="Bo Bengtsson")
    invited = make_user(email="ada@example.org", display_name="Ada Andersson")
    # A POST, as the planner's own request would be: its transaction takes SQLite's write
    # lock at BEGIN. A GET's reads first and writes after, and fails at once when the
    # browser tests' worker commits in between (SQLITE_BUSY_SNAPSHOT waits for nothing).
    with app.app_context(), app.test_request_context(method="POST"):
        from dialog.extensions import db

        dialogue = db.session.get(Dialogue, dialogue.id)
        services.assign_planner(dialogue, db.session.get(User, planner.id), by=None)
        first, second = services.invite(
            dialogue, ["ada@example.org", "ove@example.org"], by=db.session.get(User, planner.id)
        )
        services.accept_invitation(first, db.session.get(User, invited.id))
        link = "/i/" + services.invitation_token(second)
        db.session.commit()

    log_in(page_without_js, asker.email)
    page_without_js.goto(link)
    page_without_js.get_by_role("button", name="Be om att få vara med").click()
    expect(page_without_js.get_by_text("Din förfrågan är skickad")).to_be_visible()
    expect(page_without_js.get_by_text("Du har bett om att få vara med")).to_be_visible()

    log_in(page, planner.email)
    page.goto("/d/slutet/invitations")
    expect(page.get_by_text("Ada Andersson")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Godkänn (Bo Bengtsson, bo@example.org)").click()
    expect(page.get_by_text("Bo Bengtsson kan nu se dialogen.")).to_be_visible()
    assert_accessible(page)

    page_without_js.goto("/d/slutet")
    expect(page_without_js.get_by_role("heading", name="Sluten dialog", level=1)).to_be_visible()
