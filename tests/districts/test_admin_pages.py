"""The administrators' districts and population table, and the profile's choice of district."""

from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from dialog.accounts.models import User
from dialog.core.models import AuditEntry
from dialog.districts import queries, services
from dialog.districts.models import District
from dialog.extensions import db
from tests.support import csrf_token, log_in, post_form


def _districts(app) -> list[tuple[str, str]]:
    with app.app_context():
        return queries.choices()


def _population(app) -> dict:
    with app.app_context():
        return queries.population_table()


def _upload(client, data: bytes, filename: str = "befolkning.csv"):
    # Encoded in memory: the test client's own encoding spools a large body to a temporary
    # file it never closes.
    token = csrf_token(client, "/admin/population")
    boundary, body = encode_multipart(
        {"csrf_token": token, "table": FileStorage(io.BytesIO(data), filename)}
    )
    return client.post(
        "/admin/population", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


@pytest.mark.parametrize("path", ["/admin/districts", "/admin/districts/norr", "/admin/population"])
def test_only_administrators_reach_the_pages(app, client, districts, make_user, path):
    assert client.get(path).status_code == 302  # to the login page
    for role in ("resident", "planner"):
        other = app.test_client()
        log_in(other, make_user(role=role).email)
        assert other.get(path).status_code == 403


def test_the_list_shows_the_districts_in_order_with_who_chose_them(
    app, admin_client, districts, make_user
):
    make_user(district="soder")
    page = admin_client.get("/admin/districts").get_data(as_text=True)
    assert page.index("Norr") < page.index("Söder") < page.index("Hölö-Mörkö")
    assert "<code>soder</code>" in page


def test_an_administrator_adds_a_district_with_a_code_of_its_own(app, admin_client, districts):
    response = post_form(admin_client, "/admin/districts", {"code": " Ost-1 ", "name": " Öst "})
    assert response.status_code == 302
    assert _districts(app)[-1] == ("ost-1", "Öst")
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "district_added")
            .order_by(AuditEntry.id.desc())
        ).first()
    assert entry.details == {"code": "ost-1", "name": "Öst"}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"code": "norr", "name": "Norr igen"}, "Another district already has this code."),
        ({"code": "a/b", "name": "Snett"}, "Use only letters a–z"),
        ({"code": "x" * 81, "name": "Lång"}, "at most 80 characters"),
        ({"code": "ny", "name": "\u200b "}, "Enter the district&#39;s name."),
        ({"code": "", "name": "Ingen kod"}, "Enter a code."),
    ],
)
def test_a_refused_district_keeps_what_was_typed_and_says_why(
    app, admin_client, districts, data, error
):
    response = post_form(admin_client, "/admin/districts", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error in page
    assert 'aria-invalid="true"' in page
    assert len(_districts(app)) == 3


def test_renaming_keeps_the_code_people_and_counts_refer_to(
    app, admin_client, districts, make_user
):
    person = make_user(district="hol")
    response = post_form(admin_client, "/admin/districts/hol", {"name": "Hölö"})
    assert response.status_code == 302
    assert ("hol", "Hölö") in _districts(app)
    with app.app_context():
        assert db.session.get(User, person.id).district == "hol"


def test_reordering_moves_a_district_and_stops_at_the_ends(app, admin_client, districts):
    token = csrf_token(admin_client, "/admin/districts")
    admin_client.post("/admin/districts/hol/up", data={"csrf_token": token})
    assert [code for code, _ in _districts(app)] == ["norr", "hol", "soder"]
    admin_client.post("/admin/districts/norr/up", data={"csrf_token": token})
    admin_client.post("/admin/districts/soder/down", data={"csrf_token": token})
    assert [code for code, _ in _districts(app)] == ["norr", "hol", "soder"]
    admin_client.post("/admin/districts/norr/down", data={"csrf_token": token})
    assert [code for code, _ in _districts(app)] == ["hol", "norr", "soder"]


def test_a_district_nobody_chose_is_removed_with_its_population(app, admin_client, districts):
    services_counts = {("norr", "18_29"): 10, ("soder", "18_29"): 20}
    with app.app_context():
        services.replace_population(services_counts, by=None)
        db.session.commit()
    response = post_form(
        admin_client, "/admin/districts/norr/remove", {}, form_path="/admin/districts/norr"
    )
    assert response.status_code == 302
    assert [code for code, _ in _districts(app)] == ["soder", "hol"]
    assert _population(app) == {("soder", "18_29"): 20}


def test_removing_a_chosen_district_needs_the_box_ticked_then_clears_the_choices(
    app, admin_client, districts, make_user
):
    people = [make_user(district="soder") for _ in range(2)]
    refused = post_form(
        admin_client, "/admin/districts/soder/remove", {}, form_path="/admin/districts/soder"
    )
    assert refused.status_code == 400
    assert "2 people have chosen this district. Tick the box" in refused.get_data(as_text=True)
    assert "soder" in dict(_districts(app))

    done = post_form(
        admin_client,
        "/admin/districts/soder/remove",
        {"clear_choices": "y"},
        form_path="/admin/districts/soder",
    )
    assert done.status_code == 302
    assert "soder" not in dict(_districts(app))
    with app.app_context():
        assert [db.session.get(User, p.id).district for p in people] == [None, None]
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "district_removed")
        ).one()
    assert entry.details["choices_cleared"] == 2


def test_an_unknown_district_is_not_found(admin_client, districts):
    assert admin_client.get("/admin/districts/atlantis").status_code == 404
    token = csrf_token(admin_client, "/admin/districts")
    assert (
        admin_client.post("/admin/districts/atlantis/up", data={"csrf_token": token}).status_code
        == 404
    )


# The population table -------------------------------------------------------------------


def test_an_uploaded_table_replaces_the_stored_one_and_is_shown(app, admin_client, districts):
    assert _upload(admin_client, b"district_code,age_band,count\nnorr,18_29,1\n").status_code == 302
    response = _upload(
        admin_client, "\ufeffdistrict_code;age_band;count\nsoder;80_plus;1 204\n".encode()
    )
    assert response.status_code == 302
    assert _population(app) == {("soder", "80_plus"): 1204}
    page = admin_client.get(response.location).get_data(as_text=True)
    assert "1,204" in page  # grouped as the reader's language groups thousands
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "population_uploaded")
            .order_by(AuditEntry.id.desc())
        ).first()
    assert entry.details == {"rows": 1, "people": 1204}


def test_a_table_with_problems_stores_nothing_and_lists_them_by_line(app, admin_client, districts):
    _upload(admin_client, b"district_code,age_band,count\nnorr,18_29,7\n")
    response = _upload(
        admin_client,
        b"district_code,age_band,count\nsoder,18_29,5\natlantis,18_29,5\nnorr,30_44,-1\n",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Line 3:" in page and "atlantis" in page
    assert "Line 4:" in page and "negative" in page
    assert _population(app) == {("norr", "18_29"): 7}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (os.urandom(5 * 1024 * 1024), "not"),
        (b"j" * (5 * 1024 * 1024), "Line 1: The line cannot be read as CSV."),
        (b"a,b\n" * (1024 * 1024), "more than 20000 lines"),
    ],
)
def test_junk_gets_a_clear_message_never_an_error_page(admin_client, districts, data, message):
    response = _upload(admin_client, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_file_over_the_request_limit_is_refused_with_the_size_page(app, admin_client, districts):
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = _upload(admin_client, big)
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)


def test_a_form_without_a_file_asks_for_one(admin_client, districts):
    response = post_form(admin_client, "/admin/population", {})
    assert response.status_code == 400
    assert "Choose a CSV file." in response.get_data(as_text=True)


def test_an_upload_without_a_token_is_refused(admin_client, districts, app):
    response = admin_client.post(
        "/admin/population",
        data={"table": (io.BytesIO(b"district_code,age_band,count\nnorr,18_29,1\n"), "t.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert _population(app) == {}


# The profile ------------------------------------------------------------------------------


def test_the_profile_offers_the_districts_and_keeps_the_code(
    app, client, districts, resident, login
):
    login(resident)
    page = client.get("/profile").get_data(as_text=True)
    assert '<option value="hol">Hölö-Mörkö</option>' in page
    response = post_form(
        client,
        "/profile",
        {
            "display_name": resident.display_name,
            "show_name_publicly": "yes",
            "pseudonym": "Deltagare",
            "district": "hol",
            "age_band": "30_44",
            "locale": "sv",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, resident.id).district == "hol"


def test_the_demo_gets_districts_only_when_there_are_none(app, districts, db):
    with app.app_context():
        assert services.ensure_demo_districts() == ["norr", "soder", "hol"]
        db.session.execute(db.delete(District))
        codes = services.ensure_demo_districts()
    assert codes[0] == "centrum" and codes[-1] == "holo-morko" and len(codes) == 14
