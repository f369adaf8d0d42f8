"""The audit log viewer: what administrators do shows up, filters narrow it, the CSV is safe."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from dialog.core import audit
from dialog.core.db import utcnow
from dialog.core.models import AuditEntry
from dialog.core.timezone import to_local
from dialog.dialogues.models import DialogueState
from tests.support import csrf_token, post_form

AUDIT = "/admin/audit/"


@pytest.fixture
def logged_admin(client, admin, login):
    login(admin)
    return admin


def _rows(page: str) -> int:
    return page.count("<tr>") - 1  # the header row


def test_role_phase_and_publishing_actions_are_in_the_log(
    client, db, logged_admin, resident, make_dialogue
):
    dialogue = make_dialogue("draft", state=DialogueState.draft)
    post_form(
        client,
        f"/admin/users/{resident.id}/role",
        {"role": "planner", "reason": "Ny handläggare"},
        form_path=f"/admin/users/{resident.id}/role",
    )
    start = to_local(utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    post_form(
        client,
        f"/admin/dialogues/{dialogue.id}/phases",
        {"kind": "proposals", "title": "Förslag", "starts_at": start, "save": "1"},
    )
    post_form(
        client,
        f"/admin/dialogues/{dialogue.id}/state/published",
        {},
        form_path="/admin/dialogues",
    )
    page = client.get(AUDIT).get_data(as_text=True)
    for action in ("role_changed", "phase_scheduled", "dialogue_published"):
        assert f"<code>{action}</code>" in page, action
    assert "Ny handläggare" in page  # the reason given
    assert logged_admin.email in page  # who did it


def test_filters_narrow_by_actor_action_object_and_date(client, db, ctx, logged_admin, resident):
    audit.record("something_done", actor=resident.id, reason="av invånaren")
    audit.record("something_done", actor=logged_admin.id, reason="av admin")
    audit.record("other_thing", reason="av systemet")
    db.session.commit()
    by_email = client.get(AUDIT, query_string={"actor": resident.email.upper()})
    assert "av invånaren" in by_email.get_data(as_text=True)
    assert "av admin" not in by_email.get_data(as_text=True)
    by_id = client.get(
        AUDIT, query_string={"actor": str(logged_admin.id), "action": "something_done"}
    )
    assert _rows(by_id.get_data(as_text=True)) == 1
    by_action = client.get(AUDIT, query_string={"action": "other_thing"}).get_data(as_text=True)
    assert "av systemet" in by_action and "Systemet" in by_action
    today = to_local(utcnow()).date()
    yesterday = (today - timedelta(days=1)).isoformat()
    before = client.get(AUDIT, query_string={"until": yesterday}).get_data(as_text=True)
    assert "Inga händelser matchar" in before
    within = client.get(
        AUDIT, query_string={"since": today.isoformat(), "until": today.isoformat()}
    )
    assert "av invånaren" in within.get_data(as_text=True)


def test_the_object_filter_finds_one_objects_history(client, db, ctx, logged_admin, make_dialogue):
    first, second = make_dialogue("forsta"), make_dialogue("andra")
    page = client.get(AUDIT, query_string={"object_type": "Dialogue", "object_id": str(second.id)})
    text = page.get_data(as_text=True)
    assert "slug: andra" in text and "slug: forsta" not in text
    assert first.id != second.id


@pytest.mark.parametrize(
    "args",
    [
        {"since": "0001-01-01"},
        {"until": "9999-12-31"},
        {"since": "2026-02-30"},
        {"since": "2026-05-02", "until": "2026-05-01"},
        {"action": "no_such_action"},
        {"actor": "x" * 300},
    ],
)
def test_bad_filters_get_an_inline_message_not_a_500(client, logged_admin, args):
    response = client.get(AUDIT, query_string=args)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page and 'aria-invalid="true"' in page


def test_only_administrators_read_the_log(client, login, resident, planner):
    anonymous = client.get(AUDIT)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for person in (resident, planner):
        login(person)
        assert client.get(AUDIT).status_code == 403
        assert client.post("/admin/audit/export").status_code in (400, 403)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_the_export_is_formula_safe_filtered_and_itself_logged(client, db, ctx, logged_admin):
    audit.record("comment_deleted", reason='=HYPERLINK("http://evil.example","klicka")')
    audit.record("comment_deleted", reason="+46 8 123 45 67")
    audit.record("other_thing", reason="inte med")
    db.session.commit()
    token = csrf_token(client, AUDIT)
    response = client.post(
        "/admin/audit/export",
        query_string={"action": "comment_deleted"},
        data={"csrf_token": token},
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert sorted(row["reason"] for row in rows) == [
        "'+46 8 123 45 67",
        '\'=HYPERLINK("http://evil.example","klicka")',
    ]
    exported = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "audit_log_exported")
    )
    assert exported.actor_id == logged_admin.id
    assert exported.details == {"filters": {"action": "comment_deleted"}}


def test_the_export_needs_the_csrf_token(client, db, logged_admin):
    response = client.post("/admin/audit/export")
    assert response.status_code == 400
    assert "audit_log_exported" not in client.get(AUDIT).get_data(as_text=True)


def test_the_page_costs_the_same_statements_for_few_or_many_entries(
    app, client, db, logged_admin, resident, count_queries
):
    def page_cost() -> int:
        with count_queries() as counted:
            assert client.get(AUDIT).status_code == 200
        return counted.count

    with app.app_context():
        audit.record("one_thing", actor=resident.id)
        db.session.commit()
    few = page_cost()
    with app.app_context():
        for n in range(30):
            audit.record(f"thing_{n % 5}", actor=resident.id if n % 2 else logged_admin.id)
        db.session.commit()
    assert page_cost() == few


def test_the_page_sends_its_filters_in_the_export_forms_body(client, db, ctx, logged_admin):
    """What was typed into a filter stays out of the export form's action (a target built
    from input); the export reads the filters from the body as it reads them from a link."""
    audit.record("comment_deleted", reason="med")
    audit.record("other_thing", reason="inte med")
    db.session.commit()
    page = client.get(AUDIT, query_string={"action": "comment_deleted"}).get_data(as_text=True)
    assert 'action="/admin/audit/export"' in page
    assert '<input type="hidden" name="action" value="comment_deleted">' in page
    response = client.post(
        "/admin/audit/export",
        data={"csrf_token": csrf_token(client, AUDIT), "action": "comment_deleted"},
    )
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["reason"] for row in rows] == ["med"]
