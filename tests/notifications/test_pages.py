"""The notification pages cost a fixed number of queries (the list with 1 or 30
notifications of several kinds, merged and not; the settings; the bell on any page), and
hostile proposal titles and comment bodies (the injection corpus) come out harmless in
the list, in the immediate email (subject, HTML and text) and in the digest, sent through
a real SMTP server on loopback. Every notification is made by the real services: events
recorded in the outbox and delivered by the subscribers' own task code."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import flask_babel
import pytest
from markupsafe import escape
from sqlalchemy import func, select

from dialog.accounts.models import User
from dialog.core import outbox
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue
from dialog.extensions import db as database
from dialog.moderation import services as moderation
from dialog.notifications import sending, services
from dialog.notifications.models import (
    Category,
    Delivery,
    Frequency,
    Notification,
)
from dialog.proposals import services as proposal_services
from dialog.proposals.models import Comment, Proposal
from tests.factories import LIVE
from tests.notifications.support import answer, comment, deliver, fresh
from tests.security.injection import assert_harmless
from tests.security.injection_corpus import PAYLOADS
from tests.support import log_in, post_form

# Statements that read the notification table itself (not its preferences or deliveries).
ON_NOTIFICATIONS = re.compile(r"\bnotification\b(?!_)", re.IGNORECASE)


def _measured(count_queries):
    """Counting a request as a fresh one: the test's app context is the request's too
    (Flask reuses it), so what the test loaded would otherwise spare the page queries."""
    database.session.expire_all()
    return count_queries()


def _unread(user) -> int:
    database.session.expire_all()
    return database.session.scalar(
        select(func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


# Queries ------------------------------------------------------------------------------


@pytest.fixture
def reader(ctx, make_dialogue, make_user, make_proposal):
    """A resident with one proposal in a live dialogue, logged-in pages to come."""
    dialogue = make_dialogue("notislista", phases=LIVE)
    resident = make_user()
    proposal = make_proposal(dialogue, author=resident, title="Bänkar vid kanalen")
    return dialogue, resident, proposal


def _thirty_more(app, mailbox, make_dialogue, make_user, make_proposal, dialogue, resident, mine):
    """29 more notifications for `resident` (30 with the first comment on `mine`), of
    six kinds, in two dialogues, merged and not, one about a hidden proposal."""
    other_dialogue = make_dialogue("andra", phases=LIVE)
    planner, admin = make_user(role="planner"), make_user(role="admin")
    second = make_proposal(dialogue, author=resident, title="Träd på torget")
    third = make_proposal(other_dialogue, author=resident, title="Cykelställ vid skolan")
    theirs = make_proposal(dialogue, author=make_user(), title="Lekplats i parken")
    hidden = make_proposal(other_dialogue, author=make_user(), title="Mer parkering")
    on_theirs = comment(theirs, resident, "Ja!")
    on_hidden = comment(hidden, resident, "Nej.")
    extra = comment(theirs, resident, "En sak till.")
    for _ in range(7):  # 8 in all on the first proposal: one line
        comment(mine, make_user())
    for _ in range(5):
        comment(second, make_user())
    for _ in range(5):
        comment(third, make_user())
    for _ in range(4):  # replies to my comment: one line per proposal
        comment(theirs, make_user(), parent=on_theirs)
    for _ in range(3):
        comment(hidden, make_user(), parent=on_hidden)
    proposal_services.follow(fresh(Proposal, theirs), fresh(User, resident))
    database.session.commit()
    answer(mine, planner)  # answer_on_mine
    answer(third, planner)
    answer(theirs, planner)  # answer_on_followed
    moderation.hide(fresh(Comment, extra), by=fresh(User, admin), reason="Utanför ämnet")
    database.session.commit()
    dialogue_services.follow(fresh(Dialogue, dialogue), fresh(User, resident))
    phase = fresh(Dialogue, dialogue).phases[1]
    outbox.record("phase_started", f"phase:{phase.id}:test", {"phase_id": phase.id})
    database.session.commit()
    deliver(app, mailbox)
    # Out of sight: the replies about it are told under its reference (which needs its
    # dialogue: loaded with the notification, never once per row).
    moderation.hide(fresh(Proposal, hidden), by=fresh(User, admin), reason="Reklam")
    database.session.commit()
    deliver(app, mailbox)
    return second


def test_the_list_costs_the_same_queries_with_1_and_with_30_notifications(
    app, client, reader, mailbox, count_queries, make_dialogue, make_user, make_proposal
):
    dialogue, resident, mine = reader
    comment(mine, make_user())
    deliver(app, mailbox)
    assert log_in(client, resident.email).status_code == 302
    assert client.get("/notifications").status_code == 200  # the first page warms caches
    with _measured(count_queries) as one:
        page = client.get("/notifications").get_data(as_text=True)
    assert "En ny kommentar på ditt förslag ”Bänkar vid kanalen”" in page

    second = _thirty_more(
        app, mailbox, make_dialogue, make_user, make_proposal, dialogue, resident, mine
    )
    notifications = database.session.scalars(
        select(Notification).where(Notification.user_id == resident.id)
    ).all()
    kinds = {n.kind for n in notifications}
    assert len(notifications) == 30
    assert kinds == {
        "comment_on_proposal",
        "reply",
        "answer_on_mine",
        "answer_on_followed",
        "content_hide",
        "phase_started",
    }
    # Five read (one line of the list marked read): the list's second part has rows too.
    on_second = next(n for n in notifications if n.proposal_id == second.id)
    marked = post_form(
        client, f"/notifications/{on_second.id}/read", {}, form_path="/notifications"
    )
    assert marked.status_code == 302 and _unread(resident) == 25
    with _measured(count_queries) as thirty:
        response = client.get("/notifications")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    main = page.split("<main", 1)[1]
    assert "8 nya kommentarer på ditt förslag ”Bänkar vid kanalen”" in main
    assert "5 nya kommentarer på ditt förslag ”Cykelställ vid skolan”" in main
    assert main.count("En ny kommentar på ditt förslag ”Träd på torget”") == 5  # read ones
    assert "4 svar på dina kommentarer om ”Lekplats i parken”" in main
    assert re.search(r"3 svar på dina kommentarer om ”[A-Z]+-\d{4}”", main)
    assert "Mer parkering" not in main
    assert "Kommunen har svarat på förslaget ”Lekplats i parken”" in main
    assert main.count('class="notification unread"') == 9
    assert main.count('class="notification"') == 5  # the read ones, each on its own
    assert one.count == thirty.count, "\n".join(thirty.statements)


def test_the_settings_page_costs_a_small_fixed_number_of_queries(client, reader, count_queries):
    dialogue, resident, _ = reader
    assert log_in(client, resident.email).status_code == 302
    assert client.get("/notifications/settings").status_code == 200
    with _measured(count_queries) as defaults:
        assert client.get("/notifications/settings").status_code == 200
    saved = post_form(
        client,
        "/notifications/settings",
        {"phases": "weekly", "comments": "immediately", "answers": "off", "my_content": "daily"},
    )
    assert saved.status_code == 302
    with _measured(count_queries) as chosen:
        page = client.get("/notifications/settings").get_data(as_text=True)
    checked = [
        tag for tag in re.findall(r"<input[^>]*>", page) if "checked" in tag and "radio" in tag
    ]
    assert len(checked) == 4 and any(
        'name="comments"' in tag and 'value="immediately"' in tag for tag in checked
    )
    assert defaults.count == chosen.count
    # The session's account, the bell, the choices: a few, and one for the choices.
    assert chosen.count <= 5, "\n".join(chosen.statements)
    assert sum("notification_preference" in s for s in chosen.statements) == 1


def test_the_bell_costs_one_query_on_an_ordinary_page_whatever_is_unread(
    app, client, reader, mailbox, count_queries, make_user
):
    dialogue, resident, mine = reader
    assert log_in(client, resident.email).status_code == 302
    path = f"/d/{dialogue.slug}"
    assert client.get(path).status_code == 200
    with _measured(count_queries) as nothing_unread:
        page = client.get(path).get_data(as_text=True)
    assert 'class="bell"' in page and "badge" not in page.split("<main")[0]
    for _ in range(12):
        comment(mine, make_user())
    other = proposal_services.create_proposal(
        fresh(Dialogue, dialogue), author=fresh(User, resident), title="Träd", body="Fler."
    )
    database.session.commit()
    for _ in range(3):
        comment(other, make_user())
    deliver(app, mailbox)
    assert _unread(resident) == 15
    with _measured(count_queries) as unread:
        page = client.get(path).get_data(as_text=True)
    assert '<span class="badge" aria-hidden="true">2</span>' in page.split("<main")[0]
    assert unread.count == nothing_unread.count
    bell = [s for s in unread.statements if ON_NOTIFICATIONS.search(s)]
    assert len(bell) == 1, bell


def test_the_error_summary_links_to_the_radio_group_in_error(client, reader):
    dialogue, resident, _ = reader
    assert log_in(client, resident.email).status_code == 302
    bad = post_form(
        client,
        "/notifications/settings",
        {"phases": "sometimes", "comments": "daily", "answers": "daily", "my_content": "daily"},
    )
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    [target] = re.findall(r'<div class="error-summary".*?href="#([^"]+)"', page, re.S)
    assert f'id="{target}"' in page


# The injection corpus -----------------------------------------------------------------


# Headers of every notification email, each there once and in its one form: a title
# cannot slip text into them.
NOTIFICATION_HEADERS = {
    "Auto-Submitted": re.compile(r"auto-generated"),
    "List-Unsubscribe": re.compile(r"<https?://[^\s<>]+/unsubscribe/[\w.\-]+>"),
    "List-Unsubscribe-Post": re.compile(r"List-Unsubscribe=One-Click"),
}


def _assert_harmless_email(message, payload, where: str) -> None:
    for name, expected in NOTIFICATION_HEADERS.items():
        values = message.get_all(name) or []
        assert len(values) == 1 and expected.fullmatch(str(values[0])), (
            f"{where}: {name} is {values!r}"
        )
    assert_harmless(message, payload, "email", where=where)


def _readable(text: str) -> str:
    """The typed text as a reader is meant to see it: controls gone, spaces collapsed."""
    from dialog.core.text import strip_controls

    return " ".join(strip_controls(text).split())


# NUL never reaches a service: the request is refused before any form (core/security.py),
# and PostgreSQL could not store it.
STORABLE = [pytest.param(p, id=p.name) for p in PAYLOADS if "\x00" not in p.text]


@pytest.mark.parametrize("payload", STORABLE)
def test_a_hostile_title_and_comment_come_out_harmless_in_the_list_and_the_emails(
    app, ctx, client, smtp, mailbox, make_dialogue, make_user, make_proposal, payload
):
    dialogue = make_dialogue("injektion", phases=LIVE)
    author, replied, replier = make_user(), make_user(locale="en"), make_user()
    planner = make_user(role="planner")
    proposal = make_proposal(dialogue, author=author, title=payload.text, body=payload.text)
    services.set_frequencies(fresh(User, author), {Category.comments: Frequency.immediately})
    database.session.commit()
    first = comment(proposal, replied, body=payload.text)
    proposal_services.follow(fresh(Proposal, proposal), fresh(User, replied))
    comment(proposal, replier, body=payload.text, parent=first)
    answer(proposal, planner)
    deliver(app, mailbox)
    where = payload.name
    title = fresh(Proposal, proposal).title
    assert payload.mark in title

    # The immediate emails to the author: two comments (one a reply), each its own mail.
    immediate = [m for m in smtp.messages if m["To"] == author.email]
    assert len(immediate) == 2, f"{where}: {[m['Subject'] for m in smtp.messages]}"
    for message in immediate:
        _assert_harmless_email(message, payload, f"{where}: the immediate email")
        subject = message["Subject"]
        assert _readable(title) in subject, f"{where}: the subject {subject!r}"
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert payload.mark in html and payload.mark in text, where
        if "<" in payload.text and "&lt;" not in payload.text:
            # Plain text is never HTML-escaped: the title shows as typed.
            assert "&lt;" not in subject and "&lt;" not in text, f"{where}: escaped twice"

    # The list page shows the title, harmlessly.
    assert log_in(client, author.email).status_code == 302
    response = client.get("/notifications")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert_harmless(page, payload, "html", where=f"{where}: /notifications")
    assert payload.mark in page.split("<main", 1)[1], f"{where}: the list lacks the title"

    # The daily digest: the answer for the author and for the replier (who follows what
    # they join), the reply and the answer for the one replied to (in English).
    smtp.messages.clear()
    [(frequency, key)] = services.digest_periods(datetime(2026, 12, 2, 7, 0, tzinfo=UTC))
    told = services.queue_digest_chunk(frequency, key, after=0)
    database.session.commit()
    assert set(told) == {author.id, replied.id, replier.id}
    deliver(app, mailbox)
    digests = {m["To"]: m for m in smtp.messages}
    assert set(digests) == {author.email, replied.email, replier.email}
    assert digests[replied.email]["Subject"] == "2 new notifications today"
    for to, message in digests.items():
        _assert_harmless_email(message, payload, f"{where}: the digest to {to}")
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert payload.mark in html and payload.mark in text, f"{where}: digest to {to}"


def _escaped(text: str) -> str:
    """The typed text as an HTML page or email part carries it: controls gone, escaped,
    spaces collapsed."""
    return _readable(str(escape(_readable(text))))


@pytest.mark.parametrize("payload", STORABLE)
def test_a_hostile_moderation_reason_and_dialogue_title_come_out_harmless_everywhere(
    app, ctx, client, smtp, mailbox, make_dialogue, make_user, make_proposal, payload
):
    """The other typed text a notification carries: a moderator's reason for hiding and
    for restoring what a resident wrote, and the title of a dialogue they follow."""
    dialogue = make_dialogue("injektion", phases=LIVE, title=payload.text)
    resident, moderator = make_user(locale="en"), make_user(role="admin")
    proposal = make_proposal(dialogue, author=make_user(), title="Bänkar vid kanalen")
    services.set_frequencies(
        fresh(User, resident),
        {Category.my_content: Frequency.immediately, Category.phases: Frequency.immediately},
    )
    dialogue_services.follow(fresh(Dialogue, dialogue), fresh(User, resident))
    database.session.commit()
    said = comment(proposal, resident, "Min kommentar")
    moderation.hide(fresh(Comment, said), by=fresh(User, moderator), reason=payload.text)
    database.session.commit()
    moderation.restore(fresh(Comment, said), by=fresh(User, moderator), reason=payload.text)
    database.session.commit()
    phase = fresh(Dialogue, dialogue).phases[1]
    outbox.record("phase_started", f"phase:{phase.id}:test", {"phase_id": phase.id})
    database.session.commit()
    deliver(app, mailbox)
    where = payload.name
    dialogue_title = fresh(Dialogue, dialogue).title
    assert payload.mark in dialogue_title
    # What each notice says, in the resident's English, with the hostile text as typed.
    told = {
        "content_hide": "A moderator has hidden what you wrote on “Bänkar vid kanalen”:"
        f" {payload.text}",
        "content_restore": "A moderator has shown what you wrote on “Bänkar vid kanalen”"
        f" again: {payload.text}",
        "phase_started": f"“{phase.title}” has started in “{dialogue_title}”",
    }

    # One immediate email for each notice, told apart by its delivery's Message-ID.
    kinds = {
        sending.message_id(delivery): database.session.get(
            Notification, delivery.notification_id
        ).kind
        for delivery in database.session.scalars(
            select(Delivery).where(Delivery.user_id == resident.id)
        )
    }
    mails = [m for m in smtp.messages if m["To"] == resident.email]
    by_kind = {kinds[str(m["Message-ID"])]: m for m in mails}
    assert len(mails) == 3 and set(by_kind) == set(told), (
        f"{where}: {[m['Subject'] for m in mails]}"
    )
    for kind, message in by_kind.items():
        here = f"{where}: the {kind} email"
        _assert_harmless_email(message, payload, here)
        subject = message["Subject"]
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert _readable(told[kind]) in subject, f"{here}: the subject {subject!r}"
        assert _escaped(told[kind]) in _readable(html), f"{here}: the HTML part"
        assert _readable(told[kind]) in _readable(text), f"{here}: the text part"
        assert payload.mark in html and payload.mark in text, here
        if "<" in payload.text and "&lt;" not in payload.text:
            # Plain text is never HTML-escaped: the text shows as typed.
            assert "&lt;" not in subject and "&lt;" not in text, f"{here}: escaped twice"

    # The list page shows each notice with the text escaped, harmlessly.
    assert log_in(client, resident.email).status_code == 302
    # The request runs in the test's app context, where Flask-Babel keeps the locale it
    # chose first (the default): forgotten, the page is in the resident's English.
    flask_babel.refresh()
    response = client.get("/notifications")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert_harmless(page, payload, "html", where=f"{where}: /notifications")
    main = _readable(page.split("<main", 1)[1])
    for kind, sentence in told.items():
        assert _escaped(sentence) in main, f"{where}: /notifications lacks the {kind} notice"
