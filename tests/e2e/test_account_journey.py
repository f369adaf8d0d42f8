"""A resident's whole account journey in the browser, checked by axe on every page."""

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, wait_for_mail
from tests.support import PASSWORD, UserFactory

NEW_PASSWORD = "a kayak on the canal at dawn"


def _fill_registration(page, email):
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Namn").fill("Sanna Ek")
    page.get_by_label("Lösenord", exact=True).fill(PASSWORD)
    page.get_by_label("Upprepa lösenordet").fill(PASSWORD)
    page.get_by_label("Jag godkänner användarvillkoren").check()


def test_register_verify_login_profile_password_logout(page, worker, settings):
    email = f"sanna.ek.{uuid.uuid4().hex[:8]}@example.org"
    page.goto("/")
    assert_accessible(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hoppa till innehållet"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.get_by_role("link", name="Skapa konto").first.click()
    assert_accessible(page)
    page.get_by_label("Lösenord", exact=True).fill("kort")
    page.get_by_role("button", name="Skapa konto").click()
    expect(page.get_by_text("Lösenordet måste vara minst 12 tecken långt.").first).to_be_visible()
    assert_accessible(page)

    _fill_registration(page, email)
    page.get_by_label("Upprepa lösenordet").press("Enter")
    page.wait_for_url(re.compile(r".*/register/check-email$"))
    assert_accessible(page)

    message = wait_for_mail(settings, email)
    assert message["Subject"] == "Bekräfta ditt konto"
    link = re.search(r"https?://\S+/verify/\S+", message.get_body(("plain",)).get_content())
    page.goto(link.group(0))
    page.wait_for_url(re.compile(r".*/login$"))
    expect(page.get_by_text("Din e-postadress är bekräftad.")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.get_by_role("link", name="Min profil").click()
    expect(page.get_by_text("bekräftad", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Med en pseudonym").check()
    page.get_by_label("Kommundel (frivilligt)").select_option("Hovsjö")
    page.get_by_role("button", name="Spara profilen").click()
    expect(page.get_by_text("Din profil är sparad.")).to_be_visible()
    expect(page.get_by_label("Kommundel (frivilligt)")).to_have_value("Hovsjö")

    page.get_by_role("link", name="Byt lösenord").click()
    assert_accessible(page)
    page.get_by_label("Nuvarande lösenord").fill(PASSWORD)
    page.get_by_label("Nytt lösenord").fill(NEW_PASSWORD)
    page.get_by_label("Upprepa lösenordet").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Byt lösenord").click()
    expect(page.get_by_text("Ditt lösenord är ändrat.")).to_be_visible()

    page.get_by_role("button", name="Logga ut").click()
    expect(page.get_by_text("Du är utloggad.")).to_be_visible()
    assert_accessible(page)

    page.goto("/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_text("E-postadressen eller lösenordet är fel.").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Lösenord").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("button", name="Logga ut")).to_be_visible()


def test_logging_in_works_without_javascript(app, page_without_js):
    user = UserFactory(app)()
    page = page_without_js
    page.goto("/login")
    page.get_by_label("E-postadress").fill(user.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_text("Du är inloggad.")).to_be_visible()
    page.get_by_role("button", name="Logga ut").click()
    expect(page.get_by_text("Du är utloggad.")).to_be_visible()
