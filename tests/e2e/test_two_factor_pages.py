"""Two-step login and the sessions page in a browser, with axe on every page, in Swedish
and in English. (The pages have no script; axe itself needs JavaScript to run.)"""

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible
from tests.support import PASSWORD

pytestmark = pytest.mark.e2e

TEXT = {
    "sv": {
        "email": "E-postadress",
        "password": "Lösenord",
        "log_in": "Logga in",
        "log_out": "Logga ut",
        "app_code": "Kod från appen",
        "code": "Kod",
        "turn_on": "Slå på tvåstegsinloggning",
        "saved": "Jag har sparat mina koder",
        "your_password": "Ditt lösenord",
        "turn_off": "Stäng av tvåstegsinloggning",
        "this_device": "den här enheten",
        "check": "Kontrollera det du fyllt i",
    },
    "en": {
        "email": "Email address",
        "password": "Password",
        "log_in": "Log in",
        "log_out": "Log out",
        "app_code": "Code from the app",
        "code": "Code",
        "turn_on": "Turn on two-step login",
        "saved": "I have saved my codes",
        "your_password": "Your password",
        "turn_off": "Turn off two-step login",
        "this_device": "this device",
        "check": "Check what you entered",
    },
}


def _check(page):
    expect(page.locator("h1")).to_have_count(1)
    assert_accessible(page)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_set_up_log_in_with_a_code_see_sessions_and_turn_off(page, make_user, lang):
    text = TEXT[lang]
    planner = make_user(role="planner")
    page.goto(f"/login?lang={lang}")
    page.get_by_label(text["email"]).fill(planner.email)
    page.get_by_label(text["password"]).fill(PASSWORD)
    page.get_by_role("button", name=text["log_in"]).click()

    page.goto("/profile/two-factor")
    _check(page)
    page.goto("/profile/two-factor/setup")
    _check(page)
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label(text["app_code"]).fill("000000")
    page.get_by_role("button", name=text["turn_on"]).click()
    expect(page.get_by_role("alert")).to_contain_text(text["check"])
    _check(page)
    page.get_by_label(text["app_code"]).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name=text["turn_on"]).click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    codes = page.locator(".recovery-codes li").all_inner_texts()
    _check(page)
    page.get_by_role("link", name=text["saved"]).click()
    _check(page)

    page.get_by_role("button", name=text["log_out"]).click()
    page.goto("/login")
    page.get_by_label(text["email"]).fill(planner.email)
    page.get_by_label(text["password"]).fill(PASSWORD)
    page.get_by_role("button", name=text["log_in"]).click()
    expect(page).to_have_url(re.compile(r"/login/code$"))
    _check(page)
    page.get_by_label(text["code"], exact=True).fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name=text["log_in"]).click()
    expect(page.get_by_role("button", name=text["log_out"])).to_be_visible()

    page.goto("/profile/sessions")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text(text["this_device"])
    _check(page)

    page.goto("/profile/two-factor")
    page.locator("#off-current_password").fill(PASSWORD)
    page.locator("#off-code").fill(codes[0])
    page.get_by_role("button", name=text["turn_off"]).click()
    _check(page)
