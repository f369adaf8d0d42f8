"""A resident hears of real events (a comment on their proposal, a reply to their comment,
the municipality's answer): the bell with its count, the list opened with the keyboard,
one and then all marked read, the email settings saved and kept, and the one-click
unsubscribe page that changes nothing until its button is pressed. axe on every page, in
Swedish and English; marking read and saving the settings work without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from dialog.accounts.models import User
from dialog.extensions import db
from dialog.notifications import queries, services
from dialog.notifications.models import (
    Category,
    Delivery,
    DeliveryStatus,
    Frequency,
    Notification,
)
from tests.e2e.conftest import assert_accessible, log_in, text_body
from tests.factories import LIVE
from tests.support import PASSWORD, run_task

pytestmark = pytest.mark.e2e

TITLE = "Bänkar vid kanalen"
OTHER_TITLE = "Fler träd på torget"
TEXT = {
    "sv": {
        "email": "E-postadress",
        "password": "Lösenord",
        "log_in": "Logga in",
        "log_out": "Logga ut",
        "bell": "Notiser",
        "unread": ("{n} oläst", "{n} olästa"),
        "comments": f"2 nya kommentarer på ditt förslag ”{TITLE}”",
        "reply": f"Ett svar på din kommentar om ”{OTHER_TITLE}”",
        "answer": f"Kommunen har svarat på ditt förslag ”{TITLE}”: genomförs",
        "new_comment": f"En ny kommentar på ditt förslag ”{TITLE}”",
        "mark_read": "Markera som läst",
        "mark_all": "Markera alla som lästa",
        "all_read": "Alla notiser är markerade som lästa.",
        "none_unread": "Du har inga olästa notiser.",
        "read_earlier": "Lästa tidigare",
        "settings_link": "Välj vad du får med e-post, och hur ofta",
        "settings_h1": "E-post om notiser",
        "comments_group": "Kommentarer på dina förslag och svar på dina kommentarer",
        "answers_group": "Kommunens svar på förslag du skrivit, följer eller röstat på",
        "at_once": "Direkt",
        "weekly": "En gång i veckan",
        "daily": "En gång om dagen",
        "never": "Aldrig (bara här)",
        "save": "Spara",
        "saved": "Dina val är sparade.",
        "check": "Kontrollera det du fyllt i",
        "stop": "Sluta få de här mejlen",
        "stopped": "Du får inga fler av de här mejlen",
    },
    "en": {
        "email": "Email address",
        "password": "Password",
        "log_in": "Log in",
        "log_out": "Log out",
        "bell": "Notifications",
        "unread": ("{n} unread", "{n} unread"),
        "comments": f"2 new comments on your proposal “{TITLE}”",
        "reply": f"A reply to your comment on “{OTHER_TITLE}”",
        "answer": f"The municipality has answered your proposal “{TITLE}”: accepted",
        "new_comment": f"A new comment on your proposal “{TITLE}”",
        "mark_read": "Mark as read",
        "mark_all": "Mark all as read",
        "all_read": "All notifications are marked as read.",
        "none_unread": "You have no unread notifications.",
        "read_earlier": "Read earlier",
        "settings_link": "Choose what you get by email, and how often",
        "settings_h1": "Email about notifications",
        "comments_group": "Comments on your proposals and replies to your comments",
        "answers_group": "The municipality's answers on proposals you wrote, follow or voted on",
        "at_once": "At once",
        "weekly": "Once a week",
        "daily": "Once a day",
        "never": "Never (only here)",
        "save": "Save",
        "saved": "Your choices are saved.",
        "check": "Check what you entered",
        "stop": "Stop these emails",
        "stopped": "You get no more of these emails",
    },
}


class World:
    """A live dialogue; the resident's proposal, their comment on another's proposal."""

    def __init__(self, app, mailbox, make, lang: str):
        self.app, self.mailbox, self.make = app, mailbox, make
        make_dialogue, make_user, make_proposal = make["dialogue"], make["user"], make["proposal"]
        self.dialogue = make_dialogue(f"notiser-{lang}", phases=LIVE)
        self.resident = make_user(email=f"boende-{lang}@example.org", locale=lang)
        self.planner = make_user(role="planner")
        self.proposal = make_proposal(self.dialogue, author=self.resident, title=TITLE)
        self.other = make_proposal(self.dialogue, author=make_user(), title=OTHER_TITLE)
        self.my_comment = make["comment"](self.other, self.resident, body="Ja, gärna ekar.")

    def comment(self, body="Bra idé", parent=None, on=None):
        self.make["comment"](on or self.proposal, self.make["user"](), body=body, parent=parent)

    def answer(self):
        self.make["answer"](self.proposal, self.planner, body="Vi ställer ut fler bänkar.")

    def deliver(self) -> None:
        """Every outbox delivery through the real subscribers (fan-outs too), then every
        email owed through the real mail task, in this process: no broker involved."""
        while self.mailbox.deliver():
            pass
        with self.app.app_context():
            pending = db.session.scalars(
                select(Delivery.id).where(Delivery.status == DeliveryStatus.pending)
            ).all()
            db.session.remove()
        if pending:
            run_task(self.app, services.SEND_TASK, list(pending))

    def frequency(self, category: Category) -> Frequency:
        with self.app.app_context():
            found = queries.frequencies(db.session.get(User, self.resident.id))[category]
            db.session.remove()
        return found

    def unread(self) -> int:
        with self.app.app_context():
            found = db.session.scalars(
                select(Notification.id).where(
                    Notification.user_id == self.resident.id, Notification.read_at.is_(None)
                )
            ).all()
            db.session.remove()
        return len(found)


@pytest.fixture
def world(
    app, committed_db, mailbox, make_dialogue, make_user, make_proposal, make_comment, make_answer
):
    make = {
        "dialogue": make_dialogue,
        "user": make_user,
        "proposal": make_proposal,
        "comment": make_comment,
        "answer": make_answer,
    }

    def build(lang: str) -> World:
        world = World(app, mailbox, make, lang)
        world.comment("Första")
        world.comment("Andra")
        world.comment("Håller med", parent=world.my_comment, on=world.other)
        world.answer()
        world.deliver()
        return world

    return build


def _log_in(page, lang: str, email: str) -> None:
    """English is chosen on the first page; Swedish is the default after login."""
    text = TEXT[lang]
    page.goto("/login?lang=en" if lang == "en" else "/login")
    page.get_by_label(text["email"]).fill(email)
    page.get_by_label(text["password"]).fill(PASSWORD)
    page.get_by_role("button", name=text["log_in"]).click()
    expect(page.get_by_role("button", name=text["log_out"])).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def _bell(page, lang: str):
    nav = page.get_by_role("navigation")
    return nav.get_by_role("link", name=re.compile(rf"^{TEXT[lang]['bell']}\b"))


def _expect_bell(page, lang: str, count: int | None) -> None:
    """The badge shows the number (hidden from screen readers, who hear "3 unread")."""
    bell = _bell(page, lang)
    badge = bell.locator(".badge")
    if count is None:
        expect(badge).to_have_count(0)
        expect(bell).to_have_accessible_name(TEXT[lang]["bell"])
        return
    expect(badge).to_have_text(str(count))
    expect(badge).to_have_attribute("aria-hidden", "true")
    one, many = TEXT[lang]["unread"]
    said = (one if count == 1 else many).format(n=count)
    expect(bell).to_have_accessible_name(re.compile(rf"^{TEXT[lang]['bell']}\s*,\s*{said}$"))


def _check(page, lang: str) -> None:
    """The page's language, one h1, and the shared checks (axe, unique ids)."""
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_have_count(1)
    assert_accessible(page)


def _mark_read(main, lang: str, key: str):
    """The button of one item: "Mark as read" and, for screen readers, what it is."""
    name = re.compile(rf"^{TEXT[lang]['mark_read']}\s*:\s*{re.escape(TEXT[lang][key])}$")
    return main.get_by_role("button", name=name)


def _group(page, lang: str, key: str):
    return page.get_by_role("group", name=TEXT[lang][key])


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_resident_reads_marks_and_chooses_how_often(world, page, new_page, settings, lang):
    text = TEXT[lang]
    world = world(lang)
    _log_in(page, lang, world.resident.email)

    # The bell on an ordinary page: three things (two comments merged into one).
    page.goto(f"/d/{world.dialogue.slug}")
    _expect_bell(page, lang, 3)

    # Opened with the keyboard: focus the bell, press Enter.
    bell = _bell(page, lang)
    bell.focus()
    expect(bell).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/notifications$"))
    main = page.get_by_role("main")
    unread = main.locator("li.notification.unread")
    expect(unread).to_have_count(3)
    for key in ("comments", "reply", "answer"):
        expect(unread.get_by_role("link", name=text[key], exact=True)).to_be_visible()
    _check(page, lang)

    # One marked read (the merged comments: both go), with the item's own button name.
    _mark_read(main, lang, "comments").click()
    expect(unread).to_have_count(2)
    expect(unread.get_by_role("link", name=text["comments"])).to_have_count(0)
    earlier = main.get_by_role("heading", name=text["read_earlier"])
    expect(earlier).to_be_visible()
    expect(main.locator("li.notification:not(.unread)")).to_have_count(2)
    _expect_bell(page, lang, 2)
    assert world.unread() == 2

    # All marked read, with the keyboard too: the bell has no number any more.
    button = main.get_by_role("button", name=text["mark_all"], exact=True)
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(text["all_read"])
    expect(main).to_contain_text(text["none_unread"])
    expect(unread).to_have_count(0)
    expect(main.get_by_role("button", name=text["mark_all"])).to_have_count(0)
    _expect_bell(page, lang, None)
    assert world.unread() == 0
    _check(page, lang)

    # The settings: comments at once, answers weekly; saved, said so, kept after reload.
    main.get_by_role("link", name=text["settings_link"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text["settings_h1"])
    expect(_group(page, lang, "comments_group").get_by_label(text["daily"])).to_be_checked()
    _check(page, lang)
    _group(page, lang, "comments_group").get_by_label(text["at_once"]).check()
    _group(page, lang, "answers_group").get_by_label(text["weekly"]).check()
    page.get_by_role("button", name=text["save"], exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(text["saved"])
    _check(page, lang)
    page.reload()
    expect(page.get_by_role("status")).to_have_count(0)  # the confirmation is said once
    expect(_group(page, lang, "comments_group").get_by_label(text["at_once"])).to_be_checked()
    expect(_group(page, lang, "answers_group").get_by_label(text["weekly"])).to_be_checked()
    assert world.frequency(Category.comments) is Frequency.immediately
    assert world.frequency(Category.answers) is Frequency.weekly

    # A value no radio button offers (a stale or tampered form): the error, accessible,
    # and nothing saved, not even the valid choice sent with it.
    _group(page, lang, "answers_group").get_by_label(text["daily"]).check()
    page.locator('input[name="phases"]:checked').evaluate("radio => radio.value = 'sometimes'")
    page.get_by_role("button", name=text["save"], exact=True).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(text["check"])
    expect(page.locator("fieldset.has-error .error")).to_have_count(1)
    _check(page, lang)
    assert world.frequency(Category.answers) is Frequency.weekly

    # A new comment now comes at once by email; its unsubscribe link, opened logged out.
    world.comment("Ännu en")
    world.deliver()
    page.goto("/")
    _expect_bell(page, lang, 1)
    message = world.mailbox.last(world.resident.email)
    assert message["Subject"] == text["new_comment"]
    assert text["new_comment"] in text_body(message)
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith(settings["PUBLIC_URL"] + "/unsubscribe/")

    reader = new_page(locale="sv-SE" if lang == "sv" else "en-GB")
    reader.goto(link)
    expect(reader.get_by_role("heading", level=1)).to_have_text(text["stop"])
    expect(reader.get_by_role("main").get_by_role("listitem")).to_have_text(
        [text["comments_group"]]
    )
    confirm = reader.get_by_role("button", name=text["stop"], exact=True)
    expect(confirm).to_be_visible()
    _check(reader, lang)
    reader.reload()  # opening it (a mail scanner following links, say) changes nothing
    assert world.frequency(Category.comments) is Frequency.immediately
    confirm.click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(text["stopped"])
    _check(reader, lang)
    assert world.frequency(Category.comments) is Frequency.off
    assert world.frequency(Category.answers) is Frequency.weekly  # only what the mail was about

    # The settings page, logged in, shows it.
    page.goto("/notifications/settings")
    expect(_group(page, lang, "comments_group").get_by_label(text["never"])).to_be_checked()


def test_marking_read_and_saving_settings_work_without_javascript(world, page_without_js):
    page = page_without_js
    text = TEXT["sv"]
    world = world("sv")
    log_in(page, world.resident.email)
    page.goto("/notifications")
    _expect_bell(page, "sv", 3)
    main = page.get_by_role("main")
    _mark_read(main, "sv", "answer").click()
    _expect_bell(page, "sv", 2)
    assert world.unread() == 3  # two comments and the reply
    main.get_by_role("button", name=text["mark_all"], exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(text["all_read"])
    expect(main).to_contain_text(text["none_unread"])
    _expect_bell(page, "sv", None)
    assert world.unread() == 0

    page.goto("/notifications/settings")
    _group(page, "sv", "comments_group").get_by_label(text["never"]).check()
    page.get_by_role("button", name=text["save"], exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(text["saved"])
    expect(_group(page, "sv", "comments_group").get_by_label(text["never"])).to_be_checked()
    assert world.frequency(Category.comments) is Frequency.off
