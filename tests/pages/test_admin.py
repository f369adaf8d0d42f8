"""Administrators edit each legal page per language; every change and reset is audited,
and nobody else reaches the pages under /admin/pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dialog.pages import permissions
from dialog.pages.models import AccessibilityFeedback, LegalPage, PageKind
from tests.pages.helpers import client_for, rows, text
from tests.support import csrf_token

ADMIN_PAGES = ["/admin/pages", "/admin/pages/terms/sv", "/admin/pages/feedback"]


def _post(client, path, data):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def _audit(app, action):
    from dialog.core.models import AuditEntry
    from dialog.extensions import db

    with app.app_context():
        return list(
            db.session.execute(
                select(AuditEntry.actor_id, AuditEntry.object_type, AuditEntry.details)
                .where(AuditEntry.action == action)
                .order_by(AuditEntry.id)
            )
        )


def test_an_admin_saves_a_page_and_it_is_audited(app, db, admin):
    client = client_for(app, admin, "en")
    form = client.get("/admin/pages/privacy/en")
    assert form.status_code == 200 and "shows the built-in text now" in text(form)
    response = _post(client, "/admin/pages/privacy/en", {"body": "Our notice.", "save": "1"})
    assert response.status_code == 302 and response.location.endswith("/admin/pages")
    assert "The text is saved." in text(client.get("/admin/pages"))
    [page] = rows(app, LegalPage)
    assert (page.kind, page.language, page.body, page.updated_by_id) == (
        PageKind.privacy,
        "en",
        "Our notice.",
        admin.id,
    )
    [(actor, target, details)] = _audit(app, "legal_page_updated")
    assert (actor, target) == (admin.id, "LegalPage")
    assert details == {"kind": "privacy", "language": "en", "reset": False, "characters": 11}
    assert "Our notice." in text(client.get("/privacy"))
    overview = text(client.get("/admin/pages"))
    assert (
        "Own text, changed" in overview and overview.count("Built-in text") == 7
    )  # 4 pages × 2 languages, 1 own


def test_the_form_shows_the_saved_text_for_editing(app, db, admin):
    client = client_for(app, admin)
    _post(client, "/admin/pages/terms/sv", {"body": "Villkor & regler", "save": "1"})
    form = text(client.get("/admin/pages/terms/sv"))
    assert "Villkor &amp; regler</textarea>" in form


@pytest.mark.parametrize("how", [{"body": "", "save": "1"}, {"body": "Kvar", "reset": "1"}])
def test_an_empty_text_or_the_reset_button_brings_back_the_built_in_text(app, db, admin, how):
    client = client_for(app, admin, "en")
    _post(client, "/admin/pages/terms/en", {"body": "Own terms.", "save": "1"})
    assert "CC BY 4.0" not in text(client.get("/terms"))
    response = _post(client, "/admin/pages/terms/en", how)
    assert response.status_code == 302
    assert "The page now shows the built-in text." in text(client.get("/admin/pages"))
    assert "CC BY 4.0" in text(client.get("/terms"))
    [page] = rows(app, LegalPage)
    assert page.body == "" and page.is_default
    assert [d["reset"] for _, _, d in _audit(app, "legal_page_updated")] == [False, True]


def test_a_too_long_text_is_refused_beside_the_field_and_kept(app, db, admin):
    client = client_for(app, admin, "en")
    response = _post(client, "/admin/pages/terms/sv", {"body": "å" * 50_001, "save": "1"})
    assert response.status_code == 400
    page = text(response)
    assert 'id="body-error"' in page and "at most 50000 characters" in page
    assert "å" * 100 in page
    assert rows(app, LegalPage) == []


def test_an_unknown_page_or_language_is_not_found(app, db, admin):
    client = client_for(app, admin)
    assert client.get("/admin/pages/cookies/sv").status_code == 404
    assert client.get("/admin/pages/terms/de").status_code == 404


def test_the_admin_reads_the_reported_barriers(app, db, admin):
    visitor = client_for(app, None)
    _post(visitor, "/accessibility", {"description": "Fokus syns inte", "email": "a@example.org"})
    page = text(client_for(app, admin, "en").get("/admin/pages/feedback"))
    assert "Fokus syns inte" in page and "a@example.org" in page


@pytest.mark.parametrize("who", [None, "resident", "planner"])
def test_nobody_but_an_admin_reaches_the_admin_pages(app, db, make_user, who):
    user = make_user(role=who) if who else None
    client = client_for(app, user)
    for path in ADMIN_PAGES:
        response = client.get(path)
        if user is None:
            assert response.status_code == 302 and "/login" in response.location, path
        else:
            assert response.status_code == 403, path
    # Nor can they save a page: refused before anything is stored.
    token = csrf_token(client, "/login" if user is None else "/profile")
    refused = client.post("/admin/pages/terms/sv", data={"csrf_token": token, "body": "Hack"})
    assert refused.status_code == (302 if user is None else 403)
    assert rows(app, LegalPage) == []


def test_the_permissions_say_why(app, db, make_user):
    from flask_login import AnonymousUserMixin

    from dialog.accounts.models import User
    from dialog.extensions import db as database

    with app.test_request_context():
        resident = database.session.get(User, make_user().id)
        admin = database.session.get(User, make_user(role="admin").id)
        assert permissions.can_edit_pages(AnonymousUserMixin()).reason == "login_required"
        assert permissions.can_edit_pages(resident).reason == "not_an_admin"
        assert permissions.can_read_feedback(resident).reason == "not_an_admin"
        assert permissions.can_edit_pages(admin) and permissions.can_read_feedback(admin)
        assert permissions.can_send_feedback(AnonymousUserMixin())


def test_the_admin_menu_links_the_pages(app, db, admin, resident):
    assert 'href="/admin/pages"' in text(client_for(app, admin).get("/"))
    assert 'href="/admin/pages"' not in text(client_for(app, resident).get("/"))
    assert rows(app, AccessibilityFeedback) == []
