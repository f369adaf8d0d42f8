from sqlalchemy import select

from dialog.accounts.models import Role, User
from dialog.core.models import AuditEntry
from tests.support import post_form


def _reload(app, user_id):
    from dialog.extensions import db

    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_profile_saves_name_visibility_district_age_band_and_language(app, client, resident, login):
    login(resident)
    response = post_form(
        client,
        "/profile",
        {
            "display_name": "Sanna Ek",
            "show_name_publicly": "no",
            "pseudonym": "Kanalfågel",
            "district": "hovsjo",
            "age_band": "30_44",
            "locale": "en",
        },
    )
    assert response.status_code == 302
    user = _reload(app, resident.id)
    assert (user.display_name, user.show_name_publicly, user.pseudonym) == (
        "Sanna Ek",
        False,
        "Kanalfågel",
    )
    assert (user.district, user.age_band, user.locale) == ("hovsjo", "30_44", "en")
    assert user.public_name == "Kanalfågel"
    assert resident.follow_what_i_join and not user.follow_what_i_join  # box left unticked
    assert '<html lang="en">' in client.get("/profile").get_data(as_text=True)


def test_profile_refuses_values_outside_the_lists(app, client, resident, login):
    login(resident)
    response = post_form(
        client,
        "/profile",
        {
            "display_name": "Sanna",
            "show_name_publicly": "yes",
            "pseudonym": "P",
            "district": "Atlantis",
            "age_band": "200",
            "locale": "sv",
        },
    )
    assert response.status_code == 200
    assert _reload(app, resident.id).district is None


def test_the_statistics_fields_are_optional(app, client, resident, login):
    login(resident)
    response = post_form(
        client,
        "/profile",
        {
            "display_name": "Sanna",
            "show_name_publicly": "yes",
            "pseudonym": "P",
            "district": "",
            "age_band": "",
            "locale": "sv",
        },
    )
    assert response.status_code == 302


def test_admin_pages_are_closed_to_anonymous_residents_and_planners(
    client, make_user, login, resident
):
    assert "/login" in client.get("/admin/users").location
    for role in ("resident", "planner"):
        user = make_user(role=role)
        login(user)
        assert client.get("/admin/users").status_code == 403
        assert client.get(f"/admin/users/{resident.id}/role").status_code == 403
        token_page = client.get("/profile").get_data(as_text=True)
        assert token_page
        response = post_form(
            client,
            f"/admin/users/{resident.id}/role",
            {"role": "admin", "reason": "x"},
            form_path="/profile",
        )
        assert response.status_code == 403
        post_form(client, "/logout", {}, form_path="/profile")


def test_an_admin_grants_and_revokes_roles_with_a_reason_in_the_audit_log(
    app, client, admin, resident, login
):
    login(admin)
    listing = client.get("/admin/users").get_data(as_text=True)
    assert resident.email in listing
    path = f"/admin/users/{resident.id}/role"
    response = post_form(client, path, {"role": "planner", "reason": "Ny planerare"})
    assert response.status_code == 302
    assert _reload(app, resident.id).role is Role.planner
    post_form(client, path, {"role": "resident", "reason": "Slutat"})
    assert _reload(app, resident.id).role is Role.resident
    from dialog.extensions import db

    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "role_changed").order_by(AuditEntry.id)
        ).all()
    assert [(e.actor_id, e.object_id, e.reason, e.details["new"]) for e in entries] == [
        (admin.id, str(resident.id), "Ny planerare", "planner"),
        (admin.id, str(resident.id), "Slutat", "resident"),
    ]


def test_a_role_change_needs_a_reason_and_an_admin_cannot_demote_themself(
    app, client, admin, resident, login
):
    login(admin)
    no_reason = post_form(
        client,
        f"/admin/users/{resident.id}/role",
        {"role": "admin", "reason": ""},
        form_path=f"/admin/users/{resident.id}/role",
    )
    assert no_reason.status_code == 400
    assert _reload(app, resident.id).role is Role.resident
    own = post_form(
        client,
        f"/admin/users/{admin.id}/role",
        {"role": "resident", "reason": "oops"},
        form_path=f"/admin/users/{admin.id}/role",
    )
    assert own.status_code == 400
    assert _reload(app, admin.id).role is Role.admin


def test_admins_search_users(client, admin, make_user, login):
    make_user(display_name="Zlatan Söderberg")
    login(admin)
    page = client.get("/admin/users?q=zlatan").get_data(as_text=True)
    assert "Zlatan Söderberg" in page
    assert admin.email not in page.split("<tbody>")[1]


def test_times_are_shown_in_stockholm_time(client, admin, make_user, login):
    from datetime import UTC, datetime

    make_user(display_name="Vintergäst", created_at=datetime(2026, 1, 15, 23, 30, tzinfo=UTC))
    make_user(display_name="Sommargäst", created_at=datetime(2026, 7, 15, 22, 30, tzinfo=UTC))
    login(admin)
    page = client.get("/admin/users?lang=sv").get_data(as_text=True)
    assert "2026-01-16 00:30" in page  # UTC+1 in winter
    assert "2026-07-16 00:30" in page  # UTC+2 in summer
