"""The accessibility statement's form for reporting barriers: anyone may send it, without
JavaScript; it is stored, mailed to ACCESSIBILITY_FEEDBACK_EMAIL and rate limited."""

from __future__ import annotations

from dialog.pages.models import AccessibilityFeedback
from tests.pages.helpers import client_for, rows, text
from tests.support import body, csrf_token

GOOD = {
    "description": "Knappen Skicka går inte att nå med tangentbordet.",
    "page_address": "https://dialog.example/d/stadskarna",
    "email": "Sanna.Ek@Example.org",
}


def _send(client, **changes):
    data = {**GOOD, **changes}
    return client.post(
        "/accessibility", data={"csrf_token": csrf_token(client, "/accessibility"), **data}
    )


def test_a_visitor_without_an_account_reports_a_barrier(app, db, smtp_inbox, monkeypatch):
    monkeypatch.setitem(app.config, "ACCESSIBILITY_FEEDBACK_EMAIL", "tillganglighet@kommun.se")
    client = client_for(app, None)
    response = _send(client)
    assert response.status_code == 302 and response.location.endswith("/accessibility")
    assert "Tack! Din anmälan har skickats" in text(client.get("/accessibility"))
    [report] = rows(app, AccessibilityFeedback)
    assert report.description == GOOD["description"]
    assert report.page_url == GOOD["page_address"]
    assert report.email == "sanna.ek@example.org"
    assert (report.user_id, report.locale) == (None, "sv")
    message = smtp_inbox.last("tillganglighet@kommun.se")
    assert message["Subject"] == "En anmäld brist i tillgängligheten"
    plain = body(message)
    assert GOOD["description"] in plain and GOOD["page_address"] in plain
    assert "sanna.ek@example.org" in plain
    assert f"{app.config['PUBLIC_URL']}/admin/pages/feedback" in plain


def test_the_report_goes_to_the_sender_address_unless_another_is_set(app, db, mailbox):
    _send(client_for(app, None), email="")
    sender = app.config["MAIL_DEFAULT_SENDER"]
    assert app.config["ACCESSIBILITY_FEEDBACK_EMAIL"] == sender
    message = mailbox.last(sender)
    assert "ingen adress angiven" in body(message)


def test_a_logged_in_resident_is_linked_to_the_report(app, db, resident):
    _send(client_for(app, resident, "en"), email="")
    [report] = rows(app, AccessibilityFeedback)
    assert (report.user_id, report.email, report.locale) == (resident.id, None, "en")


def test_what_is_wrong_is_said_beside_the_field_and_the_input_is_kept(app, db):
    client = client_for(app, None, "en")
    response = _send(client, description="   ", email="not-an-address")
    assert response.status_code == 400
    page = text(response)
    assert 'id="description-error"' in page and "Describe what was hard to use." in page
    assert 'id="email-error"' in page and "name@example.se" in page
    assert 'value="not-an-address"' in page and f'value="{GOOD["page_address"]}"' in page
    assert 'aria-invalid="true"' in page and "Check what you entered" in page
    too_long = _send(client, description="x" * 5001)
    assert too_long.status_code == 400
    assert "at most 5000 characters" in text(too_long) and "x" * 5001 in text(too_long)
    assert rows(app, AccessibilityFeedback) == []


def test_the_address_and_the_page_are_optional(app, db):
    response = _send(client_for(app, None), page_address="", email="")
    assert response.status_code == 302
    [report] = rows(app, AccessibilityFeedback)
    assert (report.page_url, report.email) == (None, None)


def test_a_report_without_a_csrf_token_is_refused(app, db):
    client = client_for(app, None)
    response = client.post("/accessibility", data=GOOD)
    assert response.status_code == 400
    assert rows(app, AccessibilityFeedback) == []


def test_reports_are_rate_limited(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_WRITES", "2 per minute")
    client = client_for(app, None, "en")
    assert [_send(client).status_code for _ in range(2)] == [302, 302]
    blocked = _send(client)
    assert blocked.status_code == 429
    assert "You have sent many changes in a short while." in text(blocked)
    assert len(rows(app, AccessibilityFeedback)) == 2
