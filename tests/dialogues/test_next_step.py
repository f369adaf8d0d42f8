"""The dialogue page leads with the one thing to do now as its main button, then the
background (with its images and documents), then the timeline."""

from __future__ import annotations

import re

import pytest

from dialog.accounts.models import User
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue, DialogueState
from dialog.reports import services as reports
from dialog.reports.compiling import compile_report, without_people

PROPOSING = (("proposals", -24, 240),)
VOTING = (("proposals", -48, -1), ("voting", -1, 240))
INFORMING = (("information", -24, 240),)


def _main_button(html: str) -> tuple[str, str]:
    found = re.search(r'<a class="button button-large" href="([^"]+)">([^<]+)</a>', html)
    return found.group(1), found.group(2)


@pytest.mark.parametrize(
    ("phases", "who", "label", "target"),
    [
        (PROPOSING, "resident", "Lämna ett förslag", "/d/stadskarna/proposals/new"),
        (PROPOSING, "anonymous", "Logga in för att delta", "/login?next=/d/stadskarna"),
        (VOTING, "resident", "Rösta på förslagen", "/d/stadskarna/proposals"),
        (VOTING, "anonymous", "Logga in för att delta", "/login?next=/d/stadskarna"),
        (INFORMING, "resident", "Se förslagen", "/d/stadskarna/proposals"),
        (INFORMING, "anonymous", "Se förslagen", "/d/stadskarna/proposals"),
    ],
)
def test_the_main_button_is_what_this_person_can_do_now(
    client, ctx, make_dialogue, resident, login, phases, who, label, target
):
    make_dialogue(phases=phases)
    if who == "resident":
        login(resident)
    assert _main_button(client.get("/d/stadskarna").get_data(as_text=True)) == (target, label)


def test_an_unconfirmed_person_is_offered_the_link_again(
    client, ctx, make_dialogue, make_user, login
):
    make_dialogue(phases=PROPOSING)
    login(make_user(verified=False))
    html = client.get("/d/stadskarna").get_data(as_text=True)
    lead = html.split('class="panel next-step"', 1)[1].split("</section>", 1)[0]
    assert "Skicka länken igen" in lead and "button-large" not in lead


def test_an_archived_dialogue_leads_to_what_we_heard_once_published(
    client, ctx, db, make_dialogue, make_proposal, make_user
):
    dialogue = make_dialogue(phases=VOTING, state=DialogueState.archived)
    make_proposal(dialogue, title="Bänkar")
    db.session.commit()
    assert _main_button(client.get("/d/stadskarna").get_data(as_text=True)) == (
        "/d/stadskarna/proposals",
        "Se förslagen",
    )
    # Compiled and published as the worker and a planner would, here at once.
    planner = db.session.get(User, make_user(role="planner").id)
    dialogue = db.session.get(Dialogue, dialogue.id)
    dialogue_services.assign_planner(dialogue, planner, by=None)
    report = reports.request_report(dialogue, by=planner)
    reports.start(report.id)
    reports.finish(report, without_people(compile_report(dialogue)))
    reports.publish(report, by=planner)
    db.session.commit()
    html = client.get("/d/stadskarna").get_data(as_text=True)
    assert _main_button(html) == ("/d/stadskarna/what-we-heard", "Läs vad vi har hört")


def test_the_page_reads_in_order_action_background_timeline(client, ctx, make_dialogue):
    make_dialogue(phases=PROPOSING, background="Marenplan behöver ljus.")
    html = client.get("/d/stadskarna").get_data(as_text=True)
    order = [
        html.index(mark)
        for mark in ('id="now-heading"', 'id="background-heading"', 'id="timeline-heading"')
    ]
    assert order == sorted(order)
    assert html.index("button-large") < html.index("Marenplan behöver ljus.")
