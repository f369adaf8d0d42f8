"""Migration 0021 turns the DISTRICTS setting into the administered list and the names
people hold into codes, losing none; its downgrade gives the names back."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError


def _set_districts(connection, districts: dict[int, str | None]) -> None:
    for user_id, value in districts.items():
        connection.execute(
            text("UPDATE user_account SET district = :value WHERE id = :id"),
            {"value": value, "id": user_id},
        )


def _districts_of(connection, ids) -> list[str | None]:
    return [
        connection.scalar(text("SELECT district FROM user_account WHERE id = :id"), {"id": i})
        for i in ids
    ]


def test_names_become_codes_and_an_unlisted_name_keeps_a_district_of_its_own(
    app, committed_db, make_user, monkeypatch
):
    from flask_migrate import downgrade, upgrade

    people = [make_user().id for _ in range(4)]
    old = dict(zip(people, ["Hovsjö", "Ny by", "Gamla stan", None], strict=True))
    with app.app_context():
        committed_db.session.remove()
        downgrade(revision="0020")
        with committed_db.engine.begin() as connection:
            _set_districts(connection, old)
        monkeypatch.setenv("DISTRICTS", " Hovsjö ,Ny by,,Hovsjö")
        upgrade()
        with committed_db.engine.connect() as connection:
            listed = connection.execute(
                text("SELECT code, name, position FROM district ORDER BY position")
            ).all()
            migrated = _districts_of(connection, people)
        downgrade(revision="0020")
        with committed_db.engine.connect() as connection:
            restored = _districts_of(connection, people)
        monkeypatch.delenv("DISTRICTS")
        upgrade()
    assert [tuple(row) for row in listed] == [
        ("hovsjo", "Hovsjö", 1),
        ("ny-by", "Ny by", 2),
        ("gamla-stan", "Gamla stan", 3),
    ]
    assert migrated == ["hovsjo", "ny-by", "gamla-stan", None]
    assert restored == ["Hovsjö", "Ny by", "Gamla stan", None]


def test_without_the_setting_the_shipped_list_is_used_and_names_match_it(
    app, committed_db, make_user, monkeypatch
):
    from flask_migrate import downgrade, upgrade

    person = make_user().id
    monkeypatch.delenv("DISTRICTS", raising=False)
    with app.app_context():
        committed_db.session.remove()
        downgrade(revision="0020")
        with committed_db.engine.begin() as connection:
            _set_districts(connection, {person: "Hölö-Mörkö"})
        upgrade()
        with committed_db.engine.connect() as connection:
            codes = list(connection.scalars(text("SELECT code FROM district ORDER BY position")))
            migrated = _districts_of(connection, [person])
    assert len(codes) == 14
    assert codes[:3] == ["centrum", "ostertalje", "vastergard"]
    assert codes[-1] == "holo-morko"
    assert migrated == ["holo-morko"]


def test_a_chosen_district_must_exist(app, committed_db, make_user):
    person = make_user().id
    with (
        app.app_context(),
        pytest.raises(IntegrityError),
        committed_db.engine.begin() as connection,
    ):
        _set_districts(connection, {person: "atlantis"})
