"""The demo resident finds news in the bell on first login, told by the worker from the
demo's own events; seed-scale gives its dialogue a large audience of followers."""

from __future__ import annotations

import re

from sqlalchemy import select

from dialog.accounts.models import User
from dialog.demo import services as demo
from dialog.dialogues import scheduler
from dialog.dialogues.models import Dialogue, DialogueFollow
from dialog.extensions import db as database
from dialog.notifications import queries
from dialog.notifications.models import Notification
from tests.support import log_in

UNREAD = re.compile(r'<li class="notification unread">\s*<a href="[^"]*">([^<]*)</a>')
BELL = re.compile(r'class="bell">Notiser <span class="badge" aria-hidden="true">(\d+)</span>')


def _deliver_outbox(mailbox) -> None:
    """Every pending outbox delivery, fan-out chunks too, as the worker runs them."""
    while mailbox.deliver():
        pass


def test_the_demo_resident_finds_an_answer_and_a_reply_on_first_login(app, db, client, mailbox):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert "Demo data loaded" in result.output, result.output
    with app.app_context():
        resident = database.session.scalar(select(User).where(User.email == "resident@example.org"))
        # Nothing is written into the bell directly: the worker tells of the events.
        assert not database.session.scalars(
            select(Notification).where(Notification.user_id == resident.id)
        ).all()
    _deliver_outbox(mailbox)
    with app.app_context():
        told = database.session.scalars(
            select(Notification).where(Notification.user_id == resident.id)
        ).all()
        assert {"answer_on_mine", "reply"} <= {n.kind for n in told}
        assert all(n.event_id is not None and n.read_at is None for n in told)

    assert log_in(client, "resident@example.org", demo.DEMO_PASSWORD).status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    entries = UNREAD.findall(page)
    assert any(
        entry.startswith(
            "Kommunen har svarat på ditt förslag ”Belysning i gångtunneln vid Hovsjövägen”: "
        )
        for entry in entries
    ), entries
    assert "Ett svar på din kommentar om ”Lokala matproducenter på torget varje lördag”" in (
        entries
    )
    # The bell counts what the list shows unread, things about the same proposal once.
    bell = BELL.search(page)
    assert bell and int(bell.group(1)) == len(entries) >= 2
    assert f"{len(entries)} olästa" in page


def test_seed_scale_adds_verified_followers_in_bulk(app, db):
    result = app.test_cli_runner().invoke(
        args=[
            "seed-scale",
            "--proposals",
            "5",
            "--participants",
            "4",
            "--votes",
            "8",
            "--comments",
            "3",
            "--followers",
            "12",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "12 followers" in result.output
    with app.app_context():
        dialogue = database.session.scalar(select(Dialogue).where(Dialogue.slug == "skala"))
        followers = database.session.scalars(
            select(User)
            .join(DialogueFollow, DialogueFollow.user_id == User.id)
            .where(DialogueFollow.dialogue_id == dialogue.id)
        ).all()
        assert len(followers) == 12 == len({f.email for f in followers})
        assert all(f.active and f.email_verified_at is not None for f in followers)
        # They are the audience of the dialogue's phase events: each may be told.
        phase = dialogue.phases[0]
        (audience,) = queries.audiences(
            "phase_ending_soon", {"phase_id": phase.id, "dialogue_id": dialogue.id}
        )
        assert len(queries.recipients(audience, after=0, limit=100)) == 12
        # The schedule's past is history: the first run of the phase scheduler does not
        # tell them that phases began and ended weeks ago.
        assert scheduler.record_due_transitions() == 0
