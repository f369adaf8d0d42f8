"""Odd input to the dialogue and phase forms is an inline error, never a 500."""

import pytest
from sqlalchemy import select

from dialog.dialogues.models import Dialogue, Phase
from tests.support import post_form

VALUES = {
    "slug": "ny-park",
    "title": "Ny park",
    "summary": "En park.",
    "visibility": "public",
    "vote_mode": "for_against",
    "vote_counts": "live",
}
POLYGON_HINT = "Ange området som en GeoJSON-polygon"


def test_an_area_of_only_whitespace_is_no_area(client, ctx, db, admin, login):
    login(admin)
    response = post_form(client, "/admin/dialogues/new", {**VALUES, "place_area": "  \r\n\t "})
    assert response.status_code == 302
    dialogue = db.session.scalar(select(Dialogue).where(Dialogue.slug == "ny-park"))
    assert dialogue.place_area is None


@pytest.mark.parametrize("depth", [50, 100_000 // 2 - 10])
def test_deeply_nested_json_is_an_inline_error(client, ctx, db, admin, login, depth):
    login(admin)
    nested = "[" * depth + "]" * depth
    response = post_form(client, "/admin/dialogues/new", {**VALUES, "place_area": nested})
    assert response.status_code == 200
    assert POLYGON_HINT in response.get_data(as_text=True)
    assert db.session.scalar(select(Dialogue)) is None


def test_only_the_polygon_of_an_area_is_kept(client, ctx, db, admin, login):
    login(admin)
    area = (
        '{"type": "Polygon", "coordinates": [[[17.62, 59.19], [17.63, 59.19], [17.63, 59.2], '
        '[17.62, 59.19]]], "extra": ' + "[" * 900 + "]" * 900 + "}"
    )
    response = post_form(client, "/admin/dialogues/new", {**VALUES, "place_area": area})
    assert response.status_code == 302
    dialogue = db.session.scalar(select(Dialogue).where(Dialogue.slug == "ny-park"))
    assert set(dialogue.place_area) == {"type", "coordinates"}


def test_true_and_false_are_not_coordinates(client, ctx, db, admin, login):
    login(admin)
    area = '{"type": "Polygon", "coordinates": [[[true, 1], [2, 1], [2, 2], [true, 1]]]}'
    response = post_form(client, "/admin/dialogues/new", {**VALUES, "place_area": area})
    assert POLYGON_HINT in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "field, starts, ends",
    [
        ("starts_at", "0001-01-01T00:00", ""),
        ("starts_at", "0001-01-01T00:30", "2030-01-01T00:00"),
        ("ends_at", "2030-01-01T00:00", "9999-12-31T23:59"),
        ("starts_at", "1969-12-31T23:59", "2030-01-01T00:00"),
    ],
)
@pytest.mark.parametrize("button", ["save", "preview"])
def test_dates_far_from_now_are_inline_errors(
    client, ctx, db, admin, login, make_dialogue, field, starts, ends, button
):
    dialogue = make_dialogue()
    login(admin)
    response = post_form(
        client,
        f"/admin/dialogues/{dialogue.id}/phases",
        {
            "kind": "proposals",
            "title": "Förslag",
            "starts_at": starts,
            "ends_at": ends,
            button: "1",
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Välj ett datum mellan åren 1970 och 2999." in page
    assert f'id="{field}"' in page and 'aria-invalid="true"' in page
    assert db.session.scalar(select(Phase)) is None


def test_a_time_at_the_edge_of_the_range_is_accepted(client, ctx, db, admin, login, make_dialogue):
    dialogue = make_dialogue()
    login(admin)
    response = post_form(
        client,
        f"/admin/dialogues/{dialogue.id}/phases",
        {
            "kind": "proposals",
            "title": "Förslag",
            "starts_at": "1970-01-01T00:00",
            "ends_at": "2999-12-31T23:59",
            "save": "1",
            # A start in 1970 has passed: saving it takes the explicit yes.
            "confirm_past": "y",
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Phase)) is not None


def test_the_schedule_refuses_far_times_from_every_caller(ctx):
    from datetime import datetime

    from dialog.core.timezone import from_local
    from dialog.dialogues import schedule

    assert from_local(datetime(1, 1, 1)) is None
    assert from_local(datetime(9999, 12, 31, 23, 59)) is None
    with pytest.raises(schedule.ScheduleInvalid) as invalid:
        schedule.local_to_utc(datetime(1, 1, 1), "starts_at")
    assert invalid.value.problems[0].field == "starts_at"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("slug", "abc\n", "Använd små bokstäver a–z, siffror och bindestreck."),
        ("reference_prefix", "ABC\n", "Använd 2 till 6 bokstäver A–Z."),
    ],
)
def test_a_trailing_newline_in_an_address_or_prefix_is_an_inline_error(
    client, ctx, db, admin, login, field, value, message
):
    """'$' matches before a final newline: the patterns must not let one through."""
    login(admin)
    response = post_form(client, "/admin/dialogues/new", {**VALUES, field: value})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Dialogue)) is None
