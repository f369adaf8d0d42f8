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
