"""axe-core on every page, in Swedish and in English."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible
from tests.support import PASSWORD, UserFactory

PUBLIC_PAGES = [
    "/",
    "/d/framtidens-stadskarna",
    "/login",
    "/register",
    "/register/check-email",
    "/password/forgot",
    "/privacy",
    "/accessibility",
    "/finns-inte",
]
LOGIN = {
    "sv": ("E-postadress", "Lösenord", "Logga in"),
    "en": ("Email address", "Password", "Log in"),
}


@pytest.fixture
def demo(app, committed_db):
    from dialog import demo

    with app.app_context():
        demo.seed()
        committed_db.session.commit()


def _choose_language(page, lang):
    page.goto(f"/?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang


def _log_in(page, user, lang):
    email, password, button = LOGIN[lang]
    page.goto("/login")
    page.get_by_label(email).fill(user.email)
    page.get_by_label(password).fill(PASSWORD)
    page.get_by_role("button", name=button).click()


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_public_pages(page, demo, lang):
    _choose_language(page, lang)
    for path in PUBLIC_PAGES:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == lang, path
        assert_accessible(page)
    page.goto("/login")
    expect(page.get_by_role("button", name=LOGIN[lang][2])).to_be_visible()


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_forms_with_errors(page, lang):
    _choose_language(page, lang)
    page.goto("/login")
    page.get_by_role("button", name=LOGIN[lang][2]).click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.goto("/register")
    page.locator("#password").fill("short")
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator("#password-error")).to_be_visible()
    assert (
        page.locator("#password").get_attribute("aria-describedby")
        == "password-hint password-error"
    )
    assert_accessible(page)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_pages_for_logged_in_people_and_admins(app, page, lang):
    admin = UserFactory(app)(role="admin")
    resident = UserFactory(app)(verified=False)
    _choose_language(page, lang)
    _log_in(page, admin, lang)
    for path in [
        "/profile",
        "/profile/password",
        "/profile/email",
        "/admin/users",
        f"/admin/users/{resident.id}/role",
    ]:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == lang, path
        assert_accessible(page)
    page.goto(f"/admin/users/{resident.id}/role")
    page.locator("#role").select_option("planner")
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator("#reason-error")).to_be_visible()
    assert_accessible(page)
