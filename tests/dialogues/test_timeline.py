"""What the schedule tells residents (issue 14): the real state of a dialogue on its card
and page, a timeline that names the kind of a phase only when the title does not, lists
only what a resident can do, and dates that carry the year whenever it is not obvious."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from dialog.core import permissions as core_permissions
from dialog.core.db import utcnow
from dialog.core.permissions import MOMENT_FORMAT, MOMENT_FORMAT_WITH_YEAR, moment_format
from dialog.core.timezone import from_local, to_local
from dialog.dialogues import permissions
from dialog.dialogues.models import DialogueState
from tests.factories import LIVE


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _card(page: str, title: str) -> str:
    return page.split(f">{title}</a>")[1].split("</li>")[0]


# The kind and what a resident can do ------------------------------------------------------


def test_the_kind_is_named_only_when_the_title_does_not_say_it(client, ctx, db, make_dialogue):
    make_dialogue(
        phases=(
            ("proposals", -1, 24, {"title": "Lämna förslag"}),
            ("voting", 24, 48, {"title": "Rösta om parken"}),
            ("review", 48, 72, {"title": "Kommunen svarar"}),
        )
    )
    page = client.get("/d/stadskarna").get_data(as_text=True)
    assert "Kommunen svarar (Kommunen svarar)" not in page
    assert "Kommunen svarar</h3>" in page
    assert 'Rösta om parken <span class="timeline-kind">(Omröstning)</span>' in page
    # "Förslag" is already in "Lämna förslag".
    assert "Lämna förslag</h3>" in page


def test_the_timeline_lists_only_what_residents_can_do_in_their_words(
    client, ctx, db, make_dialogue
):
    make_dialogue(
        phases=(
            ("proposals", -1, 24),
            ("voting", 24, 48),
            ("review", 48, 72),
            ("result", 72, None),
        )
    )
    text = _text(client.get("/d/stadskarna"))
    assert "officiella svar" not in text and "se resultatet" not in text
    assert "Du kan: lämna förslag, kommentera, svara på kommentarer." in text
    assert "Då kan du: rösta." in text
    # What the municipality does is said as a description, not as the reader's to do.
    review = text.split("review 48")[1].split("result 72")[0]
    assert "Kommunen svarar på förslagen." in review and "Du kan:" not in review
    assert "Resultatet visas." in text.split("result 72")[1]


# The real state of a dialogue ------------------------------------------------------------


def test_an_archived_dialogue_says_so_on_its_card_and_page_never_now(
    client, ctx, db, make_dialogue
):
    make_dialogue("arkiv", title="Arkivet", phases=LIVE, state=DialogueState.archived)
    start = client.get("/").get_data(as_text=True)
    card = _card(start, "Arkivet")
    assert "Arkiverad" in card and "Nu:" not in card and "proposals -1" not in card

    html = client.get("/d/arkiv").get_data(as_text=True)
    text = _text(client.get("/d/arkiv"))
    assert "Arkiverad. Dialogen är avslutad men går fortfarande att läsa." in text
    assert 'aria-current="step"' not in html
    assert "Du kan:" not in text and "Då kan du:" not in text
    # Each entry's status stands just before its title.
    assert text.split("proposals -1")[0].endswith("Stängd i förtid ")
    assert text.split("voting 24")[0].endswith("Blir inte av ")
    assert text.split("information -72")[0].endswith("Avslutad ")
    assert "Det går inte längre att lämna förslag, kommentera eller rösta." in text


def test_an_ended_dialogue_says_when_it_ended(client, ctx, db, make_dialogue):
    dialogue = make_dialogue("slut", title="Slutet", phases=(("proposals", -72, -24),))
    end = to_local(dialogue.phases[0].ends_at)
    card = _card(client.get("/").get_data(as_text=True), "Slutet")
    assert f"Avslutad {end.day} " in card and "Nu:" not in card
    text = _text(client.get("/d/slut"))
    assert f"Avslutad. Dialogen avslutades {end.day} " in text
    assert "Du kan:" not in text


def test_an_open_dialogue_still_shows_the_phase_now(client, ctx, db, make_dialogue):
    make_dialogue("oppen", title="Öppen", phases=LIVE)
    card = _card(client.get("/").get_data(as_text=True), "Öppen")
    assert "Nu: proposals -1" in card


# Dates with the year whenever it is not obvious ------------------------------------------


def _local_utc(year, month, day, hour=9, minute=0) -> datetime:
    return from_local(datetime(year, month, day, hour, minute))


def test_the_year_is_left_out_only_when_every_date_is_in_this_year(app, monkeypatch):
    monkeypatch.setattr(core_permissions, "utcnow", lambda: datetime(2026, 12, 7, 12, tzinfo=UTC))
    december, february = _local_utc(2026, 12, 10), _local_utc(2027, 2, 10)
    assert moment_format() == str(MOMENT_FORMAT)
    assert moment_format(december) == str(MOMENT_FORMAT)
    assert moment_format(february) == str(MOMENT_FORMAT_WITH_YEAR)
    # A December date read with a dialogue that runs into February.
    assert moment_format(december, [december, february]) == str(MOMENT_FORMAT_WITH_YEAR)
    assert moment_format(_local_utc(2025, 5, 1)) == str(MOMENT_FORMAT_WITH_YEAR)
    # Local time decides: 23:30 UTC on 31 December is already next year in Stockholm.
    assert moment_format(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == str(MOMENT_FORMAT_WITH_YEAR)
    assert moment_format(None, [None]) == str(MOMENT_FORMAT)


def test_a_refusal_writes_the_year_when_the_dialogue_spans_new_year(
    app, ctx, db, make_user, make_dialogue, monkeypatch
):
    monkeypatch.setattr(core_permissions, "utcnow", lambda: datetime(2026, 12, 7, 12, tzinfo=UTC))
    dialogue = make_dialogue(
        "nyar",
        phases=(
            ("proposals", _local_utc(2026, 12, 1), _local_utc(2026, 12, 20)),
            ("voting", _local_utc(2026, 12, 20), _local_utc(2027, 2, 10)),
        ),
    )
    resident = make_user()
    at = datetime(2026, 12, 7, 12, tzinfo=UTC)
    with app.test_request_context():
        from dialog.accounts.models import User

        decision = permissions.can_vote(db.session.get(User, resident.id), dialogue, at=at)
        assert decision.message == "Röstningen öppnar 20 december 2026 kl. 09:00."
        # The same date in a dialogue within this year needs no year.
        alone = make_dialogue(
            "i-ar",
            phases=(
                ("proposals", _local_utc(2026, 12, 1), _local_utc(2026, 12, 20)),
                ("voting", _local_utc(2026, 12, 20), _local_utc(2026, 12, 30)),
            ),
        )
        assert (
            permissions.can_vote(db.session.get(User, resident.id), alone, at=at).message
            == "Röstningen öppnar 20 december kl. 09:00."
        )


def test_a_dialogue_from_december_to_february_shows_the_year_everywhere(
    client, ctx, db, admin, login, make_dialogue
):
    year = to_local(utcnow()).year
    make_dialogue(
        "vinter",
        title="Vinterdialogen",
        phases=(
            ("proposals", _local_utc(year, 12, 1), _local_utc(year + 1, 1, 15)),
            ("voting", _local_utc(year + 1, 1, 15), _local_utc(year + 1, 2, 20)),
        ),
    )
    make_dialogue(
        "i-ar",
        title="Januaridialogen",
        phases=(("information", _local_utc(year, 1, 1, 10), _local_utc(year, 1, 2, 10)),),
    )
    text = _text(client.get("/d/vinter"))
    assert f"1 december {year} kl. 09:00" in text
    assert f"15 januari {year + 1} kl. 09:00" in text and f"20 februari {year + 1}" in text
    # The permission message too (voting opens after today, whatever day the test runs).
    assert f"Röstningen öppnar 15 januari {year + 1} kl. 09:00" in text
    start = client.get("/").get_data(as_text=True)
    assert re.search(rf"\b({year}|{year + 1})\b", _card(start, "Vinterdialogen"))
    # A dialogue within this year: no year on its page or card.
    january = _text(client.get("/d/i-ar"))
    assert "1 januari kl. 10:00" in january and f"1 januari {year}" not in january
    assert str(year) not in _card(start, "Januaridialogen")

    login(admin)
    dialogue_id = re.search(
        r"/admin/dialogues/(\d+)/phases\"[^>]*>Faser<span class=\"visually-hidden\"> Vinterdialogen",
        client.get("/admin/dialogues").get_data(as_text=True),
    ).group(1)
    phases = _text(client.get(f"/admin/dialogues/{dialogue_id}/phases"))
    assert f"1 december {year} kl. 09:00" in phases


@pytest.mark.parametrize("lang, pattern", [("sv", "kl."), ("en", "at")])
def test_the_year_pattern_is_translated(client, db, make_dialogue, lang, pattern):
    # No `ctx`: a request inside the test's app context would share its cached locale.
    year = to_local(utcnow()).year
    make_dialogue(
        "vinter",
        phases=(("proposals", _local_utc(year, 12, 1), _local_utc(year + 1, 1, 15)),),
    )
    text = _text(client.get(f"/d/vinter?lang={lang}", follow_redirects=True))
    assert re.search(rf"1 (december|December) {year} {pattern} 09:00", text)


def test_cards_count_no_more_queries_for_more_dialogues(
    client, ctx, db, count_queries, make_dialogue
):
    make_dialogue("a-0", phases=LIVE, state=DialogueState.archived)
    with count_queries() as few:
        client.get("/")
    for n in range(1, 5):
        make_dialogue(f"a-{n}", phases=LIVE, state=DialogueState.archived)
        make_dialogue(f"b-{n}", phases=(("proposals", -72, -24),))
    with count_queries() as many:
        client.get("/")
    assert few.count == many.count


def test_the_timeline_helper_is_the_same_for_plans_and_phases(app, ctx, db, make_dialogue):
    from dialog.dialogues import schedule, timeline

    dialogue = make_dialogue(phases=LIVE)
    now = utcnow()
    plans = [schedule._plan_of(phase) for phase in dialogue.phases]
    saved = [e.status for e in timeline.timeline(dialogue.phases, now)]
    planned = [e.status for e in timeline.timeline(plans, now)]
    assert saved == planned == ["past", "current", "upcoming", "upcoming"]
    assert timeline.standing(dialogue, now + timedelta(days=400)).state == timeline.OPEN
