"""A resident's whole account journey in the browser, with axe on every page visited."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    assert_accessible,
    text_body,
    wait_for_mail,
    wait_for_outbox,
)
from tests.support import PASSWORD

pytestmark = pytest.mark.e2e

EMAIL = f"sanna.ek.{uuid.uuid4().hex[:8]}@example.org"
NEW_PASSWORD = "a kayak on the canal at dawn"


def _path(page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def test_register_confirm_log_in_edit_profile_change_password_log_out(app, page, worker, settings):
    # The front page; the skip link is the first Tab stop and takes focus to <main>.
    page.goto("/")
    assert_accessible(page)
    page.keyboard.press("Tab")
    skip_link = page.locator(":focus")
    expect(skip_link).to_have_text("Hoppa till innehållet")
    expect(skip_link).to_have_attribute("href", "#main")
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # Register: a common password is refused, then the form is sent with Enter.
    page.get_by_role("navigation").get_by_role("link", name="Skapa konto").click()
    expect(page).to_have_url(re.compile(r"/register$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Skapa konto")
    assert_accessible(page)
    page.get_by_label("E-postadress").fill(EMAIL)
    page.get_by_label("Namn", exact=True).fill("Sanna Ek")
    page.get_by_label("Lösenord", exact=True).fill("qwerty123456")
    page.get_by_label("Upprepa lösenordet").fill("qwerty123456")
    page.get_by_label("Jag godkänner användarvillkoren").check()
    page.get_by_role("button", name="Skapa konto").click()
    expect(page.locator("#password-error")).to_contain_text("ett av de vanligaste")
    expect(page.get_by_role("alert")).to_contain_text("Kontrollera det du fyllt i")
    assert_accessible(page)
    # What was typed (except the passwords) is kept.
    expect(page.get_by_label("E-postadress")).to_have_value(EMAIL)
    expect(page.get_by_label("Jag godkänner användarvillkoren")).to_be_checked()
    page.get_by_label("Lösenord", exact=True).fill(PASSWORD)
    page.get_by_label("Upprepa lösenordet").fill(PASSWORD)
    page.get_by_label("Upprepa lösenordet").press("Enter")
    page.wait_for_url(re.compile(r"/register/check-email$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Titta i din e-post")
    assert_accessible(page)

    # The worker delivers the confirmation email to the mail folder.
    message = wait_for_mail(settings, EMAIL, subject="Bekräfta ditt konto")
    links = re.findall(r"https?://\S+", text_body(message))
    assert len(links) == 1, links
    link = links[0]
    assert link.startswith(settings["PUBLIC_URL"] + "/verify/"), link
    wait_for_outbox(app)
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_contain_text("Din e-postadress är bekräftad.")
    assert_accessible(page)

    # Log in.
    page.get_by_label("E-postadress").fill(EMAIL)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("status")).to_contain_text("Du är inloggad.")
    assert _path(page) == "/"
    assert_accessible(page)

    # The profile shows the address as confirmed.
    page.get_by_role("link", name="Min profil").click()
    expect(page).to_have_url(re.compile(r"/profile$"))
    account = page.locator("section.panel")
    expect(account).to_contain_text(EMAIL)
    expect(account.locator(".badge")).to_have_text("bekräftad")
    expect(page.get_by_role("button", name="Skicka bekräftelselänken igen")).to_have_count(0)
    assert_accessible(page)

    # Change profile fields and save; they are kept.
    page.get_by_label("Namn", exact=True).fill("Sanna Ek Lind")
    page.get_by_label("Med en pseudonym").check()
    page.get_by_label("Kommundel (frivilligt)").select_option("Hovsjö")
    page.get_by_role("button", name="Spara profilen").click()
    expect(page.get_by_role("status")).to_contain_text("Din profil är sparad.")
    assert_accessible(page)
    page.reload()
    expect(page.get_by_label("Namn", exact=True)).to_have_value("Sanna Ek Lind")
    expect(page.get_by_label("Med en pseudonym")).to_be_checked()
    expect(page.get_by_label("Kommundel (frivilligt)")).to_have_value("hovsjo")

    # Change the password: current, new and repeated.
    page.get_by_role("link", name="Byt lösenord").click()
    expect(page).to_have_url(re.compile(r"/profile/password$"))
    assert_accessible(page)
    page.get_by_label("Nuvarande lösenord").fill(PASSWORD)
    page.get_by_label("Nytt lösenord").fill(NEW_PASSWORD)
    page.get_by_label("Upprepa lösenordet").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Byt lösenord").click()
    expect(page).to_have_url(re.compile(r"/profile$"))
    expect(page.get_by_role("status")).to_contain_text("Ditt lösenord är ändrat.")
    assert_accessible(page)
    # The notice about the change reaches the owner too.
    wait_for_mail(settings, EMAIL, subject="Ditt lösenord har ändrats")
    wait_for_outbox(app)

    # Log out.
    page.get_by_role("button", name="Logga ut").click()
    expect(page.get_by_role("status")).to_contain_text("Du är utloggad.")
    expect(page.get_by_role("navigation").get_by_role("link", name="Logga in")).to_be_visible()
    assert_accessible(page)

    # The old password no longer works; the new one does.
    page.goto("/login")
    page.get_by_label("E-postadress").fill(EMAIL)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.locator("#password-error")).to_have_text(
        re.compile(r"E-postadressen eller lösenordet är fel\.")
    )
    expect(page.get_by_role("button", name="Logga ut")).to_have_count(0)
    assert_accessible(page)
    page.get_by_label("Lösenord").fill(NEW_PASSWORD)
    page.get_by_label("Lösenord").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Du är inloggad.")
    expect(page.get_by_role("button", name="Logga ut")).to_be_visible()


def test_logging_in_and_out_works_without_javascript(app, page_without_js, make_user):
    user = make_user()
    page = page_without_js
    page.goto("/login")
    page.get_by_label("E-postadress").fill(user.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("status")).to_contain_text("Du är inloggad.")
    expect(page.get_by_role("link", name="Min profil")).to_be_visible()
    page.get_by_role("button", name="Logga ut").click()
    expect(page.get_by_role("status")).to_contain_text("Du är utloggad.")
