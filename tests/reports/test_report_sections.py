"""The themes, geography and moderation sections on a small dialogue whose answers are
known, and how the report page reads them."""

from __future__ import annotations

import pytest

from dialog.accounts.models import User
from dialog.core.db import one_snapshot
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.moderation import services as moderation
from dialog.moderation.models import FlagReason
from dialog.proposals.models import Comment, Proposal, VoteValue
from dialog.reports import services
from dialog.reports.compiling import compile_report
from tests.support import log_in, run_task

VOTING = (("proposals", -48, -1), ("voting", -1, 24, {"capability_overrides": {"comment": True}}))
AREA = {
    "type": "Polygon",
    "coordinates": [
        [[17.60, 59.18], [17.66, 59.18], [17.66, 59.21], [17.60, 59.21], [17.60, 59.18]]
    ],
}


@pytest.fixture
def themed(app, committed_db, make_dialogue, make_user, make_proposal, make_comment, cast_vote):
    """Three themes of which one has no proposals; no proposal names the ecological
    dimension; two named places; flags of known reasons, one upheld by hiding."""
    dialogue = make_dialogue(
        "teman",
        phases=VOTING,
        themes=["Trafik", "Grönska", "Kultur"],
        focus_areas=["Torget"],
        place_area=AREA,
    )
    people = [make_user(display_name=f"Person {n}") for n in range(4)]
    bikes = make_proposal(
        dialogue,
        people[0],
        title="Cykelbana",
        theme="Trafik",
        focus_area="Torget",
        dimensions=["social", "economic"],
        place_name="Stora torget",
        place_lat=59.19,
        place_lon=17.62,
    )
    buses = make_proposal(
        dialogue,
        people[1],
        title="Bussar",
        theme="Trafik",
        dimensions=["economic"],
        place_name="Stora torget",
    )
    trees = make_proposal(
        dialogue,
        people[2],
        title="Träd",
        theme="Grönska",
        place_name="Parken",
        place_lat=59.20,
        place_lon=17.64,
    )
    make_proposal(dialogue, people[3], title="Utan tema")
    spam = make_proposal(dialogue, people[3], title="Köp billigt", theme="Kultur")
    for person in people:
        cast_vote(bikes, person, VoteValue.for_)
    cast_vote(trees, people[0], VoteValue.against)
    make_comment(bikes, people[1], "Ja")
    make_comment(buses, people[2], "Nej")
    rude = make_comment(trees, people[3], "Dumt")
    with app.app_context():
        staff = db.session.get(User, make_user(role="admin").id)
        flagged_spam = db.session.get(Proposal, spam.id)
        for person in people[:2]:
            moderation.flag(
                flagged_spam, by=db.session.get(User, person.id), reason=FlagReason.spam, text=None
            )
        moderation.flag(
            db.session.get(Proposal, trees.id),
            by=db.session.get(User, people[1].id),
            reason=FlagReason.offensive,
            text=None,
        )
        moderation.hide(flagged_spam, by=staff, reason="Reklam")
        moderation.hide(db.session.get(Comment, rude.id), by=staff, reason="Ton")
        moderation.dismiss(db.session.get(Proposal, trees.id), by=staff)
        db.session.commit()
    return dialogue


def _compiled(app, dialogue):
    with app.app_context(), one_snapshot():
        return compile_report(db.session.get(Dialogue, dialogue.id))


def test_input_is_spread_over_every_theme_and_the_missing_dimension_is_named(app, themed):
    themes = _compiled(app, themed)["themes"]

    assert themes["proposals"] == 4  # the hidden one left out
    assert [(t["name"], t["proposals"], t["comments"], t["votes"]) for t in themes["themes"]] == [
        ("Trafik", 2, 2, 4),
        ("Grönska", 1, 0, 1),  # the hidden comment is not counted
        ("Kultur", 0, 0, 0),  # its only proposal is hidden: nobody else wrote about it
        (None, 1, 0, 0),
    ]
    assert themes["themes"][0]["share"] == 0.5
    assert [(f["name"], f["proposals"]) for f in themes["focus_areas"]] == [
        ("Torget", 1),
        (None, 3),
    ]
    assert {d["name"]: d["proposals"] for d in themes["dimensions"]} == {
        "economic": 2,
        "ecological": 0,
        "social": 1,
    }
    assert themes["missing_dimensions"] == ["ecological"]


def test_places_are_counted_by_name_and_drawn_inside_the_outline(app, themed):
    geography = _compiled(app, themed)["geography"]

    assert geography["named"] == [
        {"place": "Stora torget", "proposals": 2, "votes": 4},
        {"place": "Parken", "proposals": 1, "votes": 1},
    ]
    assert geography["located"] == 2
    assert geography["unplaced"] == 1
    drawing = geography["drawing"]
    [outline] = drawing["outline"]
    assert len(outline) == 5
    for x, y in drawing["points"]:
        assert 0 <= x <= drawing["width"] and 0 <= y <= drawing["height"]
    # North is up: the tree at 59.20 lies above the bike lane at 59.19; east is right.
    bikes, trees = sorted(drawing["points"], key=lambda p: p[0])
    assert trees[1] < bikes[1]
    # A kilometre is as long either way: the 0.06° × 0.03° box is wider than tall by cos(lat).
    assert drawing["width"] / drawing["height"] == pytest.approx(2 * 0.5120, rel=0.01)


def test_moderation_is_counted_by_reason_and_action(app, themed):
    figures = _compiled(app, themed)["moderation"]

    assert figures["flags"] == {"spam": {"upheld": 2}, "offensive": {"dismissed": 1}}
    assert figures["actions"] == {"hide": 2, "dismiss": 1}
    assert figures["hidden"] == {"spam": 1, "moderator": 1}
    assert figures["reports"] == 3
    assert figures["hidden_items"] == 2
    assert figures["main_reason"] == "spam"


def test_the_report_page_reads_the_sections_and_draws_them_without_inline_styles(
    app, themed, make_user
):
    client = app.test_client()
    with app.app_context():
        admin = db.session.get(User, make_user(role="admin", email="chef@example.org").id)
        report = services.request_report(db.session.get(Dialogue, themed.id), by=admin)
        report_id, version = report.id, report.version
        db.session.commit()
        assert run_task(app, "reports.compile", report_id) == "done"
    log_in(client, "chef@example.org")
    page = client.get(f"/d/teman/reports/{version}").get_data(as_text=True)

    assert "Inget förslag nämner den ekologiska dimensionen." in page
    assert "Ingen skrev om Kultur." in page
    assert "Skräppost eller reklam" in page  # the hidden spam, by its flags' reason
    assert "Stora torget" in page
    assert 'class="place-map"' in page and "<polygon" in page
    assert 'class="day-chart"' in page
    assert "style=" not in page


# The dot map's parts: the same information as the dots, in words -------------------

# Thirds of AREA: longitude 17.60 | 17.62 | 17.64 | 17.66, latitude 59.18 | 59.19 | 59.20 | 59.21.
SPOTS = {
    "north-west": [(59.205, 17.61)] * 3,
    "centre": [(59.195, 17.63)] * 2,
    "east": [(59.195, 17.655)],
    "south-east": [(59.185, 17.65)],
}
PARTS = {"north-west": 3, "centre": 2, "east": 1, "south-east": 1}


@pytest.fixture
def spread(app, committed_db, make_dialogue, make_user, make_proposal):
    """Seven proposals at known points of the area, one more hidden in its north, one
    naming a place but marking none."""
    dialogue = make_dialogue("platser", phases=VOTING, place_area=AREA)
    author = make_user()
    for part, spots in SPOTS.items():
        for n, (lat, lon) in enumerate(spots):
            make_proposal(dialogue, author, title=f"{part} {n}", place_lat=lat, place_lon=lon)
    hidden = make_proposal(dialogue, author, title="Dold", place_lat=59.205, place_lon=17.63)
    make_proposal(dialogue, author, title="Namngiven", place_name="Torget")
    with app.app_context():
        staff = db.session.get(User, make_user(role="admin", email="karta@example.org").id)
        moderation.hide(db.session.get(Proposal, hidden.id), by=staff, reason="Reklam")
        db.session.commit()
    return dialogue


def _page(app, dialogue) -> str:
    """The report's page in English, compiled by the worker's task in this process."""
    client = app.test_client()
    with app.app_context():
        staff = db.session.scalar(db.select(User).where(User.email == "karta@example.org"))
        report = services.request_report(db.session.get(Dialogue, dialogue.id), by=staff)
        report_id, version = report.id, report.version
        db.session.commit()
        assert run_task(app, "reports.compile", report_id) == "done"
    log_in(client, "karta@example.org")
    return client.get(f"/d/{dialogue.slug}/reports/{version}?lang=en").get_data(as_text=True)


def _map_title(page: str) -> str:
    return page[
        page.index('<title id="place-map-title">') : page.index(
            "</title>", page.index("place-map-title")
        )
    ]


def _parts_table(page: str) -> list[tuple[str, str]]:
    import re

    table = page[page.index('<table class="table" id="place-parts">') :]
    table = table[: table.index("</table>")]
    return re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', table)


def test_every_located_proposal_is_counted_in_its_part_of_the_area(app, spread):
    geography = _compiled(app, spread)["geography"]

    assert geography["located"] == 7
    assert geography["parts"] == [
        {"part": part, "proposals": PARTS.get(part, 0)}
        for part in (
            "north-west",
            "north",
            "north-east",
            "west",
            "centre",
            "east",
            "south-west",
            "south",
            "south-east",
        )
    ]
    # The drawing and the parts share the frame: the area's box, north up, west left.
    drawing = geography["drawing"]
    north_west = [p for p in drawing["points"] if p[0] < drawing["width"] / 3]
    assert len(north_west) == 3 and all(y < drawing["height"] / 3 for _x, y in north_west)


def test_the_parts_frame_takes_in_a_proposal_outside_the_area(app, spread, make_proposal):
    """The frame widens to a point east of the area, so the thirds move east with it."""
    make_proposal(spread, None, title="Långt österut", place_lat=59.195, place_lon=17.72)

    parts = {p["part"]: p["proposals"] for p in _compiled(app, spread)["geography"]["parts"]}

    # Longitude thirds now 17.60 | 17.64 | 17.68 | 17.72: the centre's two move west, the
    # east's and the south-east's one each into the middle column, the new one is east.
    assert parts == {
        "north-west": 3,
        "north": 0,
        "north-east": 0,
        "west": 2,
        "centre": 1,
        "east": 1,
        "south-west": 0,
        "south": 1,
        "south-east": 0,
    }


def test_the_page_says_how_many_dots_it_draws_and_tables_the_parts(app, spread):
    page = _page(app, spread)

    title = _map_title(page)
    assert "a dot for each of the 7 proposals marked on the map" in title
    assert "2000" not in title
    assert page.count('class="place-point"') == 7
    assert 'aria-describedby="place-parts-caption"' in page
    assert '<caption id="place-parts-caption">' in page
    assert _parts_table(page) == [
        ("North-west", "3"),
        ("North", "0"),
        ("North-east", "0"),
        ("West", "0"),
        ("Centre", "2"),
        ("East", "1"),
        ("South-west", "0"),
        ("South", "0"),
        ("South-east", "1"),
    ]
    # Under the figure, before the table of named places.
    assert (
        page.index("</figure>") < page.index("place-parts") < page.index("Proposals by named place")
    )


def test_a_sampled_map_says_how_many_of_how_many_and_the_parts_count_them_all(
    app, spread, monkeypatch
):
    from dialog.reports import compiling

    monkeypatch.setattr(compiling, "MAP_POINTS", 4)
    page = _page(app, spread)

    assert "with 4 dots, for a sample of the 7 proposals marked on the map" in _map_title(page)
    assert page.count('class="place-point"') == 4
    assert sum(int(count) for _part, count in _parts_table(page)) == 7


def test_a_report_stored_before_the_parts_still_shows_its_map(app, spread):
    """Versions compiled before the section had parts are still read."""
    from flask import render_template

    content = _compiled(app, spread)
    del content["geography"]["parts"]
    with app.test_request_context("/?lang=en"):
        html = render_template("reports/_geography.html", c=content)
    assert "place-map" in html and "place-parts" not in html
    assert "a dot for each of the 7 proposals" in html
