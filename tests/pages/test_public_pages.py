"""/terms, /privacy and /accessibility: the built-in texts in both languages, or the
administrators' text for the visitor's language, always through the safe Markdown."""

from __future__ import annotations

import pytest

from dialog.pages import services
from dialog.pages.models import PageKind
from tests.pages.helpers import client_for, text
from tests.support import log_in

DIGG = 'href="https://www.digg.se/tdosanmalan"'


def _save(app, admin, kind, language, body):
    from dialog.accounts.models import User
    from dialog.extensions import db

    with app.app_context():
        services.save_page(kind, language, body, by=db.session.get(User, admin.id))
        db.session.commit()


@pytest.mark.parametrize(
    "lang, words",
    [
        (
            "sv",
            {
                "/terms": ["Användarvillkor", "CC BY 4.0", "Din e-postadress visas aldrig"],
                "/privacy": [
                    "Personuppgiftsansvarig",
                    "Integritetsskyddsmyndigheten",
                    "myndighetsutövning",
                ],
                "/accessibility": [
                    "Tillgänglighetsredogörelse",
                    "delvis förenlig",
                    "Anmäl brister",
                ],
            },
        ),
        (
            "en",
            {
                "/terms": ["Terms of use", "CC BY 4.0", "Your email address is never shown"],
                "/privacy": [
                    "Controller",
                    "Swedish Authority for Privacy Protection",
                    "official authority",
                ],
                "/accessibility": [
                    "Accessibility statement",
                    "partially compliant",
                    "Report a barrier",
                ],
            },
        ),
    ],
)
def test_the_built_in_texts_in_each_language(app, db, lang, words):
    client = client_for(app, None, lang)
    for path, expected in words.items():
        response = client.get(path)
        assert response.status_code == 200, path
        page = text(response)
        assert f'<html lang="{lang}">' in page
        for word in expected:
            assert word in page, f"{path} ({lang}) lacks {word!r}"


def test_the_terms_state_the_licence_of_the_open_data(client):
    page = text(client.get("/terms?lang=en"))
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in page
    assert "open-data API" in page and "pseudonym" in page


def test_the_privacy_notice_quotes_the_retention_settings(app, client, monkeypatch):
    for name, value in {
        "SESSION_RECORD_RETENTION_DAYS": 91,
        "IP_ADDRESS_RETENTION_DAYS": 31,
        "MAIL_LOG_RETENTION_DAYS": 32,
        "INACTIVE_WARN_AFTER_DAYS": 733,
        "INACTIVE_ANONYMISE_AFTER_WARNING_DAYS": 34,
    }.items():
        monkeypatch.setitem(app.config, name, value)
    page = text(client.get("/privacy?lang=en"))
    assert "deleted after 91 days" in page
    assert "IP addresses are deleted after 31 days" in page
    assert "is deleted after 32 days" in page
    assert "not been used for 733 days" in page and "anonymised 34 days later" in page
    assert 'href="/profile/my-data"' in page
    assert 'href="https://www.imy.se/"' in page


def test_the_privacy_notice_names_the_controller_or_says_it_is_not_set(app, client, monkeypatch):
    page = text(client.get("/privacy?lang=en"))
    assert "the installation must set PRIVACY_CONTROLLER" in page
    assert "the installation must set PRIVACY_DPO_CONTACT" in page
    monkeypatch.setitem(app.config, "PRIVACY_CONTROLLER", "Södertälje kommun, 212000-0142")
    monkeypatch.setitem(app.config, "PRIVACY_DPO_CONTACT", "dataskyddsombud@sodertalje.se")
    page = text(client.get("/privacy"))
    assert "Södertälje kommun, 212000-0142" in page
    assert "dataskyddsombud@sodertalje.se" in page
    assert "PRIVACY_CONTROLLER" not in page and "PRIVACY_DPO_CONTACT" not in page


def test_the_accessibility_statement_has_every_part_mdffs_asks_for(app, client, monkeypatch):
    monkeypatch.setitem(
        app.config, "ACCESSIBILITY_FEEDBACK_EMAIL", "Tillgänglighet <tillganglig@kommun.se>"
    )
    page = text(client.get("/accessibility?lang=en"))
    for part in (
        "This statement covers the website",  # which site
        "partially compliant",  # compliance status
        "Content that is not accessible",
        # what is not accessible, by the law's reason for it
        "<h3>Non-compliance with the accessibility requirements</h3>",
        "<h3>Disproportionate burden</h3>",
        "<h3>Content outside the scope of the law</h3>",
        # the form has an alternative: the address it is mailed to
        '<a href="mailto:tillganglig@kommun.se">tillganglig@kommun.se</a>',
        "How we tested the site",
        "The statement was made on",
        "Report a barrier",  # the feedback form
        'id="feedback"',
        "Enforcement procedure",
        DIGG,
    ):
        assert part in page, part


def test_the_admins_text_is_shown_in_its_language_and_the_other_keeps_the_built_in(app, db, admin):
    _save(app, admin, PageKind.terms, "sv", "## Våra villkor\n\nGäller i **Södertälje**.")
    swedish = text(client_for(app, None).get("/terms"))
    assert "<h2>Våra villkor</h2>" in swedish and "<strong>Södertälje</strong>" in swedish
    assert "Senast ändrad" in swedish
    assert "CC BY 4.0" not in swedish  # the built-in text is replaced
    english = text(client_for(app, None, "en").get("/terms"))
    assert "Våra villkor" not in english and "CC BY 4.0" in english


def test_the_statement_keeps_its_form_and_digg_link_under_the_admins_text(app, db, admin):
    _save(app, admin, PageKind.accessibility, "en", "Our own statement.")
    page = text(client_for(app, None, "en").get("/accessibility"))
    assert "Our own statement." in page and "partially compliant" not in page
    assert 'id="feedback"' in page and DIGG in page
    assert 'href="mailto:noreply@localhost"' in page  # the default, MAIL_DEFAULT_SENDER's


def test_a_refused_barrier_report_keeps_the_email_alternative(app, db):
    from tests.support import post_form

    client = client_for(app, None, "en")
    response = post_form(client, "/accessibility", {"description": ""})
    assert response.status_code == 400
    assert 'href="mailto:noreply@localhost"' in text(response)


def test_the_privacy_notice_keeps_the_controller_above_the_admins_text(app, db, admin, monkeypatch):
    monkeypatch.setitem(app.config, "PRIVACY_CONTROLLER", "Södertälje kommun")
    _save(app, admin, PageKind.privacy, "sv", "Kommunens egen information.")
    page = text(client_for(app, None).get("/privacy"))
    assert "Kommunens egen information." in page and "Södertälje kommun" in page


def test_a_script_in_the_admins_text_is_harmless(app, db, admin):
    hostile = (
        '<script>alert("x")</script>\n\n[klicka](javascript:alert(1)) '
        "<img src=x onerror=alert(1)> <h1>Rubrik</h1>"
    )
    _save(app, admin, PageKind.terms, "sv", hostile)
    page = text(client_for(app, None).get("/terms"))
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert 'href="javascript:' not in page and "<img" not in page
    assert page.count("<h1") == 1  # the page's own heading only


def test_the_registration_form_links_the_terms_and_the_privacy_notice(client):
    page = text(client.get("/register"))
    assert 'href="/terms"' in page and 'href="/privacy"' in page
    assert 'name="accept_terms"' in page


def test_every_page_links_the_three_pages_in_its_footer(client):
    page = text(client.get("/login"))
    footer = page[page.index('<footer class="site-footer">') :]
    for path in ("/terms", "/privacy", "/accessibility"):
        assert f'href="{path}"' in footer


def test_the_privacy_notice_describes_the_one_cookie_the_service_sets(app, db, resident):
    """Choosing a language, logging in and using pages sets one cookie, the session's, and
    it ends with the browser: the notice says exactly that, and promises no other."""
    client = app.test_client()
    set_cookies = []
    for response in (
        client.get("/?lang=en"),
        log_in(client, resident.email),
        client.get("/profile"),
        client.get("/privacy"),
    ):
        set_cookies += response.headers.getlist("Set-Cookie")
    names = {header.split("=", 1)[0] for header in set_cookies}
    assert names == {app.config["SESSION_COOKIE_NAME"]}
    assert not any("expires=" in header.lower() for header in set_cookies)
    page = text(client.get("/privacy"))
    assert "only the one cookie the service needs" in page
    assert "deletes it when you close it" in page
    assert "keeps you logged in" not in page
