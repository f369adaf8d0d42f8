"""A resident reads an official answer formatted, with its date and department; a visitor
logs in from a proposal and is back on it; a person who has not confirmed the address
opens "Lämna förslag", reads why not yet and has the link sent again. axe on each page,
in both languages and on a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dialog.core.db import utcnow
from dialog.proposals.models import AnswerStatus
from tests.e2e.conftest import assert_accessible, log_in, text_body, wait_for_mail
from tests.support import PASSWORD

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 740}
ANSWER = (
    "**Kontakt:** Anna Planerare\n"
    "Telefon 08-123 45\n\n"
    "Vi sätter upp bänkarna i maj. [Läs planen](https://example.org/plan)"
)


@pytest.fixture
def proposal(make_dialogue, make_proposal, make_user):
    now = utcnow()
    dialogue = make_dialogue(
        "stadskarna",
        title="Stadskärnan",
        summary="S",
        reference_prefix="STK",
        phases=[("proposals", now - timedelta(hours=1), now + timedelta(days=1))],
    )
    return make_proposal(dialogue, make_user(), title="Bänkar vid torget", body="Fler bänkar.")


def _check_everywhere(new_page, path: str, check) -> None:
    """`check(page)` then axe: in Swedish, in English, and at 375 px."""
    for options, suffix in (({}, ""), ({}, "?lang=en"), ({"viewport": PHONE}, "")):
        page = new_page(**options)
        page.goto(path + suffix)
        check(page, "en" if suffix else "sv")
        assert_accessible(page)


def test_a_resident_reads_a_formatted_answer_with_its_date_and_department(
    new_page, proposal, make_user, make_answer
):
    make_answer(
        proposal,
        make_user(role="planner"),
        status=AnswerStatus.accepted,
        body=ANSWER,
        department="Stadsbyggnadsförvaltningen",
    )

    def check(page, language):
        answer = page.locator("section.answer")
        expect(answer.locator("strong", has_text="Kontakt:")).to_be_visible()
        expect(answer).not_to_contain_text("**")
        expect(answer.get_by_role("link", name="Läs planen")).to_be_visible()
        # The line break the planner typed stays a line break.
        assert answer.locator(".answer-text br").count() == 1
        label = "Ansvarig förvaltning" if language == "sv" else "Responsible department"
        expect(answer).to_contain_text(f"{label}: Stadsbyggnadsförvaltningen")
        expect(answer.locator("time")).to_contain_text(str(utcnow().year))
        expect(answer).to_contain_text("Publicerat" if language == "sv" else "Published")

    _check_everywhere(new_page, f"/p/{proposal.id}", check)


def test_a_visitor_logs_in_from_a_proposal_and_is_back_on_it(
    page_without_js, new_page, proposal, make_user
):
    person = make_user(display_name="Berit")

    def check(page, language):
        name = "Logga in" if language == "sv" else "Log in"
        expect(page.locator(".refusal").get_by_role("link", name=name).first).to_be_visible()

    _check_everywhere(new_page, f"/p/{proposal.id}", check)
    page = page_without_js
    page.goto(f"/p/{proposal.id}")
    expect(page.get_by_text("Du behöver logga in för att göra det här.").first).to_be_visible()
    page.locator("#comments .refusal").get_by_role("link", name="Logga in").click()
    page.get_by_label("E-postadress").fill(person.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page).to_have_url(re.compile(rf"/p/{proposal.id}$"))
    expect(page.get_by_role("heading", name="Bänkar vid torget")).to_be_visible()
    expect(page.get_by_role("button", name="Publicera kommentaren")).to_be_visible()


def test_an_unconfirmed_person_opens_the_proposal_form_and_has_the_link_sent_again(
    page, new_page, settings, worker, proposal, make_user
):
    person = make_user(verified=False, email="obekraftad@example.org")
    form = "/d/stadskarna/proposals/new"
    for options, suffix in (({}, "?lang=en"), ({"viewport": PHONE}, "")):
        other = new_page(**options)
        log_in(other, person.email)
        other.goto(form + suffix)
        expect(other.locator(".refusal form button")).to_be_visible()
        assert_accessible(other)
    log_in(page, person.email)
    page.goto(form)
    expect(page.get_by_text("Bekräfta din e-postadress först")).to_be_visible()
    expect(page.get_by_text("obekraftad@example.org")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Skicka länken igen").click()
    expect(page.get_by_text("Vi har skickat en ny länk.")).to_be_visible()
    assert page.url.endswith(form)
    assert_accessible(page)
    assert "/verify/" in text_body(wait_for_mail(settings, "obekraftad@example.org"))
