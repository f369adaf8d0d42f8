"""Comments as a resident uses them: replying in place and landing at the reply, with and
without JavaScript; loading more replies into the thread; deleting after confirming, with
the count equal to the comments on the page. axe in both languages and at 375 px."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, log_in
from tests.factories import LIVE

pytestmark = pytest.mark.e2e


@pytest.fixture
def thread(make_dialogue, make_user, make_proposal, make_comment):
    """A proposal with two comments; the first has five replies."""
    dialogue = make_dialogue("kanalen", phases=LIVE)
    writer, replier = make_user(), make_user()
    proposal = make_proposal(dialogue, author=make_user(), title="Bänkar vid kanalen", body="Fler.")
    top = make_comment(proposal, writer, body="Bänkar med ryggstöd, tack")
    replies = [
        make_comment(proposal, replier, body=f"Svar nummer {n}", parent=top) for n in range(5)
    ]
    other = make_comment(proposal, replier, body="Och papperskorgar")
    return proposal, writer, top, replies, other


def _visible_comments(page) -> int:
    return page.locator("#comments .comment-body").count()


def _heading_count(page) -> int:
    return int(re.match(r"\d+", page.locator("#comments-heading").inner_text()).group())


def test_a_reply_written_in_place_lands_at_the_reply(page, thread):
    proposal, writer, top, _, other = thread
    log_in(page, writer.email)
    page.goto(f"/p/{proposal.id}")
    page.locator(f"#c{other.id} .comment-actions").get_by_role("link", name="Svara").click()
    form = page.locator(f"#c{other.id} form.reply-form")
    expect(form).to_be_visible()
    expect(form.get_by_label("Din kommentar")).to_be_focused()
    expect(page).to_have_url(re.compile(rf"/p/{proposal.id}$"))  # still on the proposal
    assert_accessible(page)
    form.get_by_role("button", name="Avbryt").click()
    expect(form).to_have_count(0)
    page.locator(f"#c{other.id} .comment-actions").get_by_role("link", name="Svara").click()
    form.get_by_label("Din kommentar").fill("Gärna gröna papperskorgar")
    form.get_by_label("För", exact=True).check()
    form.get_by_role("button", name="Publicera svaret").click()
    expect(page.get_by_role("status").first).to_contain_text("Ditt svar är publicerat.")
    expect(page).to_have_url(re.compile(rf"/p/{proposal.id}\?open={other.id}#c\d+$"))
    anchor = page.url.rsplit("#", 1)[1]
    reply = page.locator(f"#{anchor}")
    expect(reply).to_contain_text("Gärna gröna papperskorgar")
    expect(page.locator(f"#c{other.id} #{anchor}")).to_have_count(1)  # under its comment
    assert top


def test_without_javascript_reply_goes_through_the_form_page_and_back(page_without_js, thread):
    page = page_without_js
    proposal, writer, top, _, _ = thread
    log_in(page, writer.email)
    page.goto(f"/p/{proposal.id}")
    expect(page.locator(f"#c{top.id} .reply-form")).to_have_count(0)
    page.locator(f"#c{top.id} > .comment-actions").get_by_role("link", name="Svara").click()
    expect(page).to_have_url(re.compile(rf"/c/{top.id}#reply-form$"))
    form = page.locator(f'form[action="/c/{top.id}/reply"]')
    form.get_by_role("button", name="Publicera svaret").click()  # empty first
    expect(page.get_by_role("alert")).to_contain_text("Skriv en kommentar.")
    form.get_by_label("Din kommentar").fill("Ett sjätte svar")
    form.get_by_role("button", name="Publicera svaret").click()
    expect(page.get_by_role("status").first).to_contain_text("Ditt svar är publicerat.")
    expect(page).to_have_url(re.compile(rf"/p/{proposal.id}\?open={top.id}#c\d+$"))
    anchor = page.url.rsplit("#", 1)[1]
    expect(page.locator(f"#c{top.id} #{anchor}")).to_contain_text("Ett sjätte svar")
    # The rest of a thread is on its own page without JavaScript.
    page.goto(f"/p/{proposal.id}")
    page.get_by_role("link", name=re.compile("Visa 3 svar till")).click()
    expect(page).to_have_url(re.compile(rf"/c/{top.id}$"))
    expect(page.get_by_text("Svar nummer 4")).to_be_visible()
    # (axe needs JavaScript; these pages are checked with it in the last test)


def test_more_replies_load_in_place(page, thread):
    proposal, _, top, replies, _ = thread
    page.goto(f"/p/{proposal.id}")
    expect(page.get_by_text("Svar nummer 2")).to_be_visible()
    expect(page.get_by_text("Svar nummer 3")).to_have_count(0)
    page.get_by_role("link", name=re.compile("Visa 2 svar till")).click()
    expect(page.get_by_text("Svar nummer 4")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/p/{proposal.id}$"))
    expect(page.locator("[data-replies-status]")).to_have_text("2 svar till visas.")
    expect(page.locator(f"#c{replies[3].id}")).to_be_focused()
    expect(page.locator(".more-replies")).to_have_count(0)
    assert page.locator(f"#c{top.id} .comment").count() == 5
    assert_accessible(page)


def test_deleting_asks_first_and_the_count_follows(page, thread):
    proposal, writer, top, _, _ = thread
    log_in(page, writer.email)
    page.goto(f"/p/{proposal.id}")
    assert _heading_count(page) == 7 == _visible_comments(page) + 2  # two replies not loaded
    page.locator(f"#c{top.id} > .comment-actions").get_by_role("link", name="Ta bort").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ta bort din kommentar?")
    assert_accessible(page)
    page.get_by_role("link", name="Nej, behåll kommentaren").click()
    expect(page).to_have_url(re.compile(rf"/p/{proposal.id}#c{top.id}$"))
    page.locator(f"#c{top.id} > .comment-actions").get_by_role("link", name="Ta bort").click()
    page.get_by_role("button", name="Ja, ta bort kommentaren").click()
    expect(page.get_by_role("status").first).to_contain_text("Din kommentar är borttagen.")
    expect(page.locator(f"#c{top.id}")).to_contain_text("Den här kommentaren har tagits bort.")
    page.get_by_role("link", name=re.compile("Visa 2 svar till")).click()
    expect(page.locator(".more-replies")).to_have_count(0)
    assert _heading_count(page) == 6 == _visible_comments(page)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_comment_pages_are_accessible_in_both_languages_and_on_a_phone(new_page, thread, lang):
    proposal, writer, top, _, _ = thread
    for viewport in ({"width": 1280, "height": 900}, {"width": 375, "height": 800}):
        page = new_page(viewport=viewport)
        log_in(page, writer.email)
        page.goto(f"/p/{proposal.id}?lang={lang}")
        assert_accessible(page)
        page.locator(f"#c{top.id} > .comment-actions a[data-reply-url]").click()
        expect(page.locator(f"#c{top.id} form.reply-form")).to_be_visible()
        assert_accessible(page)
        page.locator(f"#c{top.id} .more-replies a").click()
        expect(page.locator(".more-replies")).to_have_count(0)
        assert_accessible(page)
        page.goto(f"/c/{top.id}/delete")
        assert_accessible(page)
        page.goto(f"/c/{top.id}")
        assert_accessible(page)
        if viewport["width"] == 375:
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= 375, f"the page is {scroll} px wide on a phone"
