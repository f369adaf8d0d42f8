"""Admin actions that hide or cut short what residents see ask first (issue 14).

Back to draft, archiving, removing a phase, opening a later phase now and closing the
current one now: the POST without the confirmation of what the page showed answers with
the page that says what will happen, and changes nothing; the page's own button does it.
Saving a phase whose dates have passed takes an explicit yes, keeping what was typed.
"""

from __future__ import annotations

import re
from datetime import timedelta

from babel.dates import get_month_names
from sqlalchemy import func, select

from dialog.core.db import utcnow
from dialog.core.models import AuditEntry
from dialog.core.timezone import to_local
from dialog.dialogues import services
from dialog.dialogues.models import Dialogue, DialogueState, Phase
from tests.factories import LIVE
from tests.support import post_form


def _audited(db, action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


def _state(db, dialogue_id: int) -> DialogueState:
    db.session.expire_all()
    return db.session.get(Dialogue, dialogue_id).state


def _text(response) -> str:
    # The page's words without tags, so a sentence reads whole around its <strong>.
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _dialogue_with_proposals(make_dialogue, make_proposal, make_user, db, follower=True):
    from dialog.accounts.models import User

    dialogue = make_dialogue(phases=LIVE, title="Stadskärnan")
    make_proposal(dialogue, title="Fler bänkar")
    make_proposal(dialogue, title="Fler träd")
    if follower:
        services.follow(dialogue, db.session.get(User, make_user().id))
        db.session.commit()
    return dialogue


# Archive and back to draft --------------------------------------------------------------


def test_archiving_asks_first_and_says_what_residents_keep_and_lose(
    client, ctx, db, admin, login, make_dialogue, make_proposal, make_user
):
    dialogue = _dialogue_with_proposals(make_dialogue, make_proposal, make_user, db)
    login(admin)
    path = f"/admin/dialogues/{dialogue.id}/state/archived"
    asked = post_form(client, path, {}, form_path="/admin/dialogues")
    assert asked.status_code == 200
    page = _text(asked)
    assert "Arkivera ”Stadskärnan”?" in page
    assert (
        "Dialogen stängs: invånarna kan fortfarande läsa den och dess 2 förslag, men ingen kan "
        "längre lämna förslag, kommentera eller rösta." in page
    )
    # The phase open now is named, with the end it was meant to have.
    assert "Fasen ”proposals -1” är öppen nu och stängs med dialogen" in page
    assert 'name="confirmed" type="hidden" value="archived"' in asked.get_data(as_text=True)
    assert 'href="/admin/dialogues">Nej, tillbaka till dialogerna' in asked.get_data(as_text=True)
    assert _state(db, dialogue.id) is DialogueState.published
    assert _audited(db, "dialogue_archived") == 0

    done = post_form(client, path, {"confirmed": "archived"}, form_path="/admin/dialogues")
    assert done.status_code == 302
    assert _state(db, dialogue.id) is DialogueState.archived
    assert _audited(db, "dialogue_archived") == 1


def test_back_to_draft_says_residents_will_no_longer_see_it(
    client, ctx, db, admin, login, make_dialogue, make_proposal, make_user
):
    dialogue = _dialogue_with_proposals(make_dialogue, make_proposal, make_user, db)
    login(admin)
    path = f"/admin/dialogues/{dialogue.id}/state/draft"
    asked = post_form(client, path, {}, form_path="/admin/dialogues")
    page = _text(asked)
    assert asked.status_code == 200 and "Gör ”Stadskärnan” till utkast?" in page
    assert "Invånarna kommer inte längre att se dialogen och dess 2 förslag." in page
    assert "1 person följer dialogen och kommer inte att kunna öppna den." in page
    assert (
        "Fasen ”proposals -1” är öppen nu: ingen kan delta förrän dialogen publiceras igen." in page
    )
    # A confirmation of another move is not this one's.
    wrong = post_form(client, path, {"confirmed": "archived"}, form_path="/admin/dialogues")
    assert wrong.status_code == 200
    assert _state(db, dialogue.id) is DialogueState.published

    assert (
        post_form(client, path, {"confirmed": "draft"}, form_path="/admin/dialogues").status_code
        == 302
    )
    assert _state(db, dialogue.id) is DialogueState.draft
    assert _audited(db, "dialogue_draft") == 1


def test_publishing_needs_no_confirmation(client, ctx, db, admin, login, make_dialogue):
    dialogue = make_dialogue(state=DialogueState.draft)
    login(admin)
    response = post_form(
        client, f"/admin/dialogues/{dialogue.id}/state/published", {}, form_path="/admin/dialogues"
    )
    assert response.status_code == 302
    assert _state(db, dialogue.id) is DialogueState.published


def test_a_confirmation_without_the_csrf_token_does_nothing(
    client, ctx, db, admin, login, make_dialogue
):
    dialogue = make_dialogue(phases=LIVE)
    login(admin)
    response = client.post(
        f"/admin/dialogues/{dialogue.id}/state/archived", data={"confirmed": "archived"}
    )
    assert response.status_code in (302, 400)
    assert _state(db, dialogue.id) is DialogueState.published


def test_only_admins_get_the_confirmation_or_act(client, ctx, db, make_user, login, make_dialogue):
    dialogue = make_dialogue(phases=LIVE)
    planner = make_user(role="planner")
    services.assign_planner(dialogue, _user(db, planner), by=None)
    db.session.commit()
    login(planner)
    for path, data in (
        (f"/admin/dialogues/{dialogue.id}/state/archived", {}),
        (f"/admin/dialogues/{dialogue.id}/state/archived", {"confirmed": "archived"}),
        (
            f"/admin/phases/{dialogue.phases[1].id}/remove",
            {"confirmed": str(dialogue.phases[1].id)},
        ),
    ):
        assert post_form(client, path, data, form_path="/profile").status_code == 403
    assert _state(db, dialogue.id) is DialogueState.published
    assert len(db.session.get(Dialogue, dialogue.id).phases) == len(LIVE)


def _user(db, detached):
    from dialog.accounts.models import User

    return db.session.get(User, detached.id)


# Removing a phase ---------------------------------------------------------------------


def test_removing_a_phase_asks_first_and_names_what_residents_lose(
    client, ctx, db, admin, login, make_dialogue
):
    dialogue = make_dialogue(phases=LIVE)
    current = dialogue.phases[1]
    login(admin)
    path = f"/admin/phases/{current.id}/remove"
    phases_page = f"/admin/dialogues/{dialogue.id}/phases"
    asked = post_form(client, path, {}, form_path=phases_page)
    page = _text(asked)
    assert asked.status_code == 200 and "Ta bort fasen ”proposals -1”?" in page
    assert "tas bort ur tidslinjen för ”Dialog stadskarna”" in page
    assert (
        "Den är öppen nu: när den tas bort kan invånarna inte längre lämna förslag, "
        "kommentera, svara på kommentarer." in page
    )
    assert f'href="{phases_page}">Nej, behåll fasen' in asked.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Phase, current.id) is not None
    assert _audited(db, "phase_removed") == 0

    # Another phase's confirmation does not remove this one.
    other = post_form(
        client, path, {"confirmed": str(dialogue.phases[2].id)}, form_path=phases_page
    )
    assert other.status_code == 200
    assert (
        post_form(client, path, {"confirmed": str(current.id)}, form_path=phases_page).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Phase, current.id) is None
    assert _audited(db, "phase_removed") == 1


# Opening and closing now ----------------------------------------------------------------


def test_open_now_states_which_phase_closes_early_and_when_it_was_meant_to_end(
    client, ctx, db, admin, login, make_dialogue
):
    dialogue = make_dialogue(phases=LIVE)
    current, upcoming = dialogue.phases[1], dialogue.phases[2]
    planned_end, planned_start = current.ends_at, upcoming.starts_at
    login(admin)
    path = f"/admin/phases/{upcoming.id}/open-now"
    page = client.get(path)
    text = _text(page)
    when = to_local(planned_end)
    end_words = f"{when.day} {get_month_names('wide', locale='sv')[when.month]}"
    assert "”voting 24” öppnar nu i stället för" in text
    assert "”proposals -1” stängs i förtid: den skulle ha slutat" in text
    assert end_words in text.split("stängs i förtid")[1]
    assert f"kl. {when:%H:%M}" in text.split("stängs i förtid")[1]
    assert "Invånarna kan då inte längre: lämna förslag, kommentera, svara på kommentarer." in text
    assert "Från och med nu kan invånarna: rösta." in text
    assert f'value="{current.id}"' in page.get_data(as_text=True)

    # A reason alone is no confirmation: the page comes back and nothing moves.
    asked = post_form(client, path, {"reason": "Beslut i nämnden"})
    assert asked.status_code == 200 and "stängs i förtid" in _text(asked)
    # A confirmation of other consequences (nothing closing) is refused with the reason.
    stale = post_form(client, path, {"reason": "Beslut i nämnden", "confirmed": "none"})
    assert stale.status_code == 200
    assert "Schemat har ändrats sedan sidan visades." in _text(stale)
    db.session.expire_all()
    assert db.session.get(Phase, current.id).ends_at == planned_end
    assert db.session.get(Phase, upcoming.id).starts_at == planned_start
    assert _audited(db, "phase_opened_now") == 0

    done = post_form(client, path, {"reason": "Beslut i nämnden", "confirmed": str(current.id)})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Phase, current.id).ends_at == db.session.get(Phase, upcoming.id).starts_at
    assert db.session.get(Phase, current.id).ends_at < planned_end
    assert _audited(db, "phase_opened_now") == 1


def test_open_now_with_nothing_open_says_no_other_phase_changes(
    client, ctx, db, admin, login, make_dialogue
):
    dialogue = make_dialogue(phases=(("information", -48, -24), ("voting", 24, 48)))
    upcoming = dialogue.phases[1]
    login(admin)
    path = f"/admin/phases/{upcoming.id}/open-now"
    assert "Ingen annan fas är öppen nu, så ingen annan fas ändras." in _text(client.get(path))
    assert post_form(client, path, {"reason": "Tidigare", "confirmed": "none"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Dialogue, dialogue.id).current_phase.id == upcoming.id


def test_open_now_that_the_schedule_refuses_says_why_and_offers_no_button(
    client, ctx, db, admin, login, make_dialogue
):
    # The result phase cannot open now: the voting phase still lies between.
    dialogue = make_dialogue(phases=LIVE)
    result = dialogue.phases[3]
    login(admin)
    page = client.get(f"/admin/phases/{result.id}/open-now")
    text = _text(page)
    assert "Fasen kan inte öppnas nu:" in text and "överlappar" in text
    assert 'name="confirmed"' not in page.get_data(as_text=True)


def test_close_now_states_the_planned_end_and_asks_first(
    client, ctx, db, admin, login, make_dialogue
):
    dialogue = make_dialogue(phases=LIVE)
    current = dialogue.phases[1]
    planned_end = current.ends_at
    login(admin)
    path = f"/admin/phases/{current.id}/close-now"
    text = _text(client.get(path))
    assert "”proposals -1” slutar nu i stället för" in text
    assert "Invånarna kan då inte längre: lämna förslag, kommentera" in text
    assert post_form(client, path, {"reason": "Storm"}).status_code == 200
    db.session.expire_all()
    assert db.session.get(Phase, current.id).ends_at == planned_end
    assert (
        post_form(client, path, {"reason": "Storm", "confirmed": str(current.id)}).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Phase, current.id).ends_at < planned_end


# Dates in the past ------------------------------------------------------------------


def _local(moment) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def _phase_form(**changes):
    values = {"kind": "proposals", "title": "Förslag", "description": "Skriv gärna"}
    values.update(changes)
    return values


def test_a_phase_wholly_in_the_past_is_saved_only_after_an_explicit_yes(
    client, ctx, db, admin, login, make_dialogue
):
    dialogue = make_dialogue()
    login(admin)
    path = f"/admin/dialogues/{dialogue.id}/phases"
    start, end = utcnow() - timedelta(days=20), utcnow() - timedelta(days=10)
    typed = _phase_form(starts_at=_local(start), ends_at=_local(end), save="1")
    warned = post_form(client, path, typed)
    html = warned.get_data(as_text=True)
    assert warned.status_code == 200
    assert "Hela fasen ligger bakåt i tiden" in _text(warned)
    assert "invånarna kommer aldrig att kunna delta i den" in _text(warned)
    # Everything typed is still there, and the yes is a checkbox of its own.
    assert 'value="Förslag"' in html and "Skriv gärna" in html
    assert f'value="{_local(start)}"' in html and f'value="{_local(end)}"' in html
    assert 'type="checkbox"' in html and 'name="confirm_past"' in html
    assert db.session.scalar(select(Phase)) is None

    saved = post_form(client, path, {**typed, "confirm_past": "y"})
    assert saved.status_code == 302
    assert db.session.scalar(select(Phase)).title == "Förslag"


def test_a_start_in_the_past_warns_that_the_phase_opens_at_once(
    client, ctx, db, admin, login, make_dialogue
):
    dialogue = make_dialogue()
    login(admin)
    path = f"/admin/dialogues/{dialogue.id}/phases"
    typed = _phase_form(
        starts_at=_local(utcnow() - timedelta(days=1)),
        ends_at=_local(utcnow() + timedelta(days=5)),
        save="1",
    )
    warned = post_form(client, path, typed)
    assert "Fasen börjar bakåt i tiden" in _text(warned)
    assert "när den sparas är den öppen direkt" in _text(warned)
    # The preview warns too, and saves nothing either way.
    preview = post_form(client, path, {**typed, "save": "", "preview": "1", "confirm_past": "y"})
    assert "Förhandsgranskning" in _text(preview) and "Fasen börjar bakåt i tiden" in _text(preview)
    assert db.session.scalar(select(Phase)) is None


def test_future_dates_and_an_edit_that_keeps_past_dates_need_no_yes(
    client, ctx, db, admin, login, make_dialogue
):
    # To the minute, as phases scheduled through the form are.
    base = utcnow().replace(second=0, microsecond=0)
    dialogue = make_dialogue(
        phases=[
            (kind, base + timedelta(hours=a), base + timedelta(hours=b)) for kind, a, b in LIVE[:3]
        ]
    )
    current = dialogue.phases[1]
    login(admin)
    future = post_form(
        client,
        f"/admin/dialogues/{dialogue.id}/phases",
        _phase_form(
            kind="result",
            starts_at=_local(utcnow() + timedelta(days=400)),
            ends_at=_local(utcnow() + timedelta(days=410)),
            save="1",
        ),
    )
    assert future.status_code == 302
    # The phase running now keeps its start (in the past): a new description saves at once.
    path = f"/admin/phases/{current.id}/edit"
    edit = post_form(
        client,
        path,
        _phase_form(
            title=current.title,
            starts_at=_local(current.starts_at),
            ends_at=_local(current.ends_at),
            description="Ny beskrivning",
            save="1",
        ),
    )
    assert edit.status_code == 302
    db.session.expire_all()
    assert db.session.get(Phase, current.id).description == "Ny beskrivning"
    # Moving its start to another moment in the past is a new past date: asked again.
    earlier = post_form(
        client,
        path,
        _phase_form(
            title=current.title,
            starts_at=_local(current.starts_at + timedelta(minutes=30)),
            ends_at=_local(current.ends_at),
            save="1",
        ),
    )
    assert earlier.status_code == 200 and "Fasen börjar bakåt i tiden" in _text(earlier)


# The open end, on the field it is about ------------------------------------------------------


def test_the_open_end_message_lands_on_the_field_it_is_about(
    client, ctx, db, admin, login, make_dialogue
):
    dialogue = make_dialogue(phases=(("voting", 24, 48), ("result", 48, None)))
    login(admin)
    path = f"/admin/dialogues/{dialogue.id}/phases"
    # After the open-ended last phase: the new phase's start is what collides with it.
    after = post_form(
        client,
        path,
        _phase_form(
            starts_at=_local(utcnow() + timedelta(days=30)),
            ends_at=_local(utcnow() + timedelta(days=40)),
            save="1",
        ),
    )
    html = after.get_data(as_text=True)
    start_error = html.split('id="starts_at-error"')[1].split("</p>")[0]
    assert "”result 48” saknar slut" in start_error
    assert 'id="ends_at-error"' not in html
    summary = html.split('class="error-summary"')[1].split("</div>")[0]
    assert '<a href="#starts_at">' in summary and "”result 48” saknar slut" in summary

    # An open end before the others: this phase's end is what is wrong.
    before = post_form(
        client,
        path,
        _phase_form(starts_at=_local(utcnow() + timedelta(hours=2)), ends_at="", save="1"),
    )
    html = before.get_data(as_text=True)
    end_error = html.split('id="ends_at-error"')[1].split("</p>")[0]
    assert "Bara den sista fasen får sakna slut." in end_error
    summary = html.split('class="error-summary"')[1].split("</div>")[0]
    assert '<a href="#ends_at">' in summary and "Bara den sista fasen får sakna slut." in summary
    assert len(db.session.get(Dialogue, dialogue.id).phases) == 2
