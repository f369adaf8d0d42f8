"""axe-core (WCAG 2.1 A/AA) on every page, in Swedish and in English."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible
from tests.support import PASSWORD

pytestmark = pytest.mark.e2e

LANGUAGES = ["sv", "en"]
PUBLIC_PAGES = [
    "/",
    "/d/framtidens-stadskarna",
    "/d/trygga-strak-hovsjo/what-we-heard",
    "/login",
    "/register",
    "/register/check-email",
    "/password/forgot",
    "/terms",
    "/privacy",
    "/accessibility",
]
MISSING_PAGE = "/finns-inte"
TEXT = {
    "sv": {
        "log_in": "Logga in",
        "log_out": "Logga ut",
        "create_account": "Skapa konto",
        "email": "E-postadress",
        "password": "Lösenord",
        "check": "Kontrollera det du fyllt i",
        "too_short": "Lösenordet måste vara minst 12 tecken långt.",
        "not_found": "Sidan kunde inte hittas",
        "save_role": "Spara roll",
        "change_password": "Byt lösenord",
        "send_report": "Skicka anmälan",
        "hard_to_use": "Vad var svårt att använda?",
    },
    "en": {
        "log_in": "Log in",
        "log_out": "Log out",
        "create_account": "Create account",
        "email": "Email address",
        "password": "Password",
        "check": "Check what you entered",
        "too_short": "The password must be at least 12 characters long.",
        "not_found": "The page could not be found",
        "save_role": "Save role",
        "change_password": "Change password",
        "send_report": "Send the report",
        "hard_to_use": "What was hard to use?",
    },
}


@pytest.fixture
def demo(app, committed_db):
    from dialog.demo import services as demo

    with app.app_context():
        demo.seed()
        committed_db.session.commit()
        committed_db.session.remove()


def _choose(page, lang: str) -> None:
    """Swedish needs no choice (it is the default); English is chosen once per session."""
    page.goto("/?lang=en" if lang == "en" else "/")
    _check_language(page, lang)


def _check_language(page, lang: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)


def _check_page(page, lang: str) -> None:
    """The language is the session's, the page has a title and one h1, and axe is happy."""
    _check_language(page, lang)
    expect(page).to_have_title(re.compile(r"\S.* – Medborgardialog$"))
    expect(page.locator("h1")).to_have_count(1)
    assert_accessible(page)


def _log_in(page, lang: str, email: str, password: str = PASSWORD) -> None:
    text = TEXT[lang]
    page.goto("/login")
    page.get_by_label(text["email"]).fill(email)
    page.get_by_label(text["password"]).fill(password)
    page.get_by_role("button", name=text["log_in"]).click()
    expect(page.get_by_role("button", name=text["log_out"])).to_be_visible()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_public_pages(page, demo, lang):
    text = TEXT[lang]
    _choose(page, lang)
    for path in PUBLIC_PAGES:
        response = page.goto(path)
        assert response.status == 200, path
        _check_page(page, lang)
        # Anonymous visitors always see the way in, in their language.
        nav = page.get_by_role("navigation")
        expect(nav.get_by_role("link", name=text["log_in"], exact=True)).to_be_visible()

    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text(text["log_in"])
    expect(page.get_by_role("button", name=text["log_in"])).to_be_visible()

    response = page.goto(MISSING_PAGE)
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(text["not_found"])
    _check_page(page, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_forms_with_errors(page, lang):
    text = TEXT[lang]
    _choose(page, lang)

    # The login form sent empty.
    page.goto("/login")
    page.get_by_role("button", name=text["log_in"]).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(text["check"])
    expect(summary.get_by_role("link")).to_have_count(2)
    email = page.get_by_label(text["email"])
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-describedby", "email-error")
    _check_page(page, lang)

    # Registration with a too-short password.
    page.goto("/register")
    page.get_by_label(text["email"]).fill("kort@example.org")
    page.get_by_label(text["password"], exact=True).fill("kort")
    page.get_by_role("button", name=text["create_account"]).click()
    expect(page.locator("#password-error")).to_contain_text(text["too_short"])
    password = page.get_by_label(text["password"], exact=True)
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", "password-hint password-error")
    expect(page.get_by_label(text["email"])).to_have_value("kort@example.org")
    _check_page(page, lang)

    # The accessibility statement's barrier report sent empty.
    page.goto("/accessibility")
    page.get_by_role("button", name=text["send_report"]).click()
    expect(page.locator("#description-error")).to_be_visible()
    expect(page.get_by_label(text["hard_to_use"])).to_have_attribute("aria-invalid", "true")
    _check_page(page, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_pages_for_residents_and_admins(app, page, lang, make_user):
    text = TEXT[lang]
    admin = make_user(role="admin")
    resident = make_user(verified=False)
    _choose(page, lang)

    # An unconfirmed resident: profile (with the warning badge) and the other own pages.
    _log_in(page, lang, resident.email)
    for path in [
        "/profile",
        "/profile/password",
        "/profile/email",
        "/profile/my-data",
        "/profile/delete",
    ]:
        response = page.goto(path)
        assert response.status == 200, path
        _check_page(page, lang)
    page.goto("/profile/password")
    page.get_by_role("button", name=text["change_password"]).click()
    expect(page.get_by_role("alert")).to_contain_text(text["check"])
    _check_page(page, lang)
    response = page.goto("/admin/users")
    assert response.status == 403
    _check_page(page, lang)
    page.get_by_role("button", name=text["log_out"]).click()
    expect(page.get_by_role("navigation").get_by_role("link", name=text["log_in"])).to_be_visible()

    # A barrier reported while logged out, for the administrator's list below.
    page.goto("/accessibility")
    page.get_by_label(text["hard_to_use"]).fill("Kartan går inte att använda med tangentbord.")
    page.get_by_role("button", name=text["send_report"]).click()
    expect(page.get_by_role("status")).to_be_visible()
    _check_page(page, lang)

    # An administrator: the user list and the role form, also with an error.
    _log_in(page, lang, admin.email)
    for path in ["/profile", "/admin/users", f"/admin/users/{resident.id}/role"]:
        response = page.goto(path)
        assert response.status == 200, path
        _check_page(page, lang)
    page.locator("#role").select_option("planner")
    page.get_by_role("button", name=text["save_role"]).click()
    expect(page.locator("#reason-error")).to_be_visible()
    _check_page(page, lang)
    # The audit log, with the entries just made, and with a filter in error.
    for path in ["/admin/audit/", "/admin/audit/?since=0001-01-01"]:
        page.goto(path)
        _check_page(page, lang)
    # The legal pages, a form to edit one, and the reported barriers (one is there);
    # before them the districts and the population table.
    for path in [
        "/admin/districts",
        "/admin/districts/hovsjo",
        "/admin/population",
        "/admin/pages",
        "/admin/pages/terms/sv",
        "/admin/pages/accessibility/en",
        "/admin/pages/feedback",
    ]:
        response = page.goto(path)
        assert response.status == 200, path
        _check_page(page, lang)
    expect(page.locator("main")).to_contain_text("Kartan går inte att använda med tangentbord.")


def test_swedish_is_the_default_and_a_chosen_language_is_kept(new_page, live_server):
    # Neither Swedish nor English accepted: Swedish.
    page = new_page(locale="de-DE")
    page.goto("/login")
    _check_language(page, "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")
    # ?lang=en is kept for the session, on pages without the parameter too.
    page.goto("/login?lang=en")
    _check_language(page, "en")
    page.goto("/register")
    _check_language(page, "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create account")
    # The language link switches back and keeps the visitor on the same page.
    page.get_by_role("link", name="Svenska").click()
    expect(page).to_have_url(re.compile(r"/register\?lang=sv$"))
    _check_language(page, "sv")
    # An English browser gets English when nothing was chosen.
    english = new_page(locale="en-GB")
    english.goto("/login")
    _check_language(english, "en")
    expect(english.get_by_role("heading", level=1)).to_have_text("Log in")


def test_the_axe_check_fails_on_a_violation(page):
    """The checker itself: a page with known WCAG failures must not pass."""
    page.set_content('<html><body><img src="x.png"><button></button></body></html>')
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_accessible(page)
    report = str(failure.value)
    for rule in ("html-has-lang", "image-alt", "button-name"):
        assert rule in report
