from datetime import datetime

import pytest
from sqlalchemy import select

from dialog.accounts.models import User
from dialog.core.models import AuditEntry
from dialog.dialogues import services
from dialog.dialogues.models import (
    AccessRequest,
    Dialogue,
    DialogueFollow,
    DialogueState,
    Invitation,
    Phase,
    PhaseKind,
    Visibility,
    VoteCounts,
)
from tests.factories import LIVE
from tests.support import first_link, post_form


def _user(db, detached):
    return db.session.get(User, detached.id)


# The dialogue page ------------------------------------------------------------------


def test_the_dialogue_page_shows_timeline_background_and_what_is_possible_now(
    client, ctx, db, make_dialogue
):
    make_dialogue(
        phases=LIVE,
        background="## Fakta\n\n**Fotgängare:** 12 000 per dag.",
        themes=["Stadslivet"],
        focus_areas=["Trygghet"],
    )
    page = client.get("/d/stadskarna").get_data(as_text=True)
    assert "<h2>Fakta</h2>" in page and "<strong>Fotgängare:</strong>" in page
    assert page.index("information -72") < page.index("proposals -1") < page.index("voting 24")
    assert 'aria-current="step"' in page.split("proposals -1")[0].rsplit("<li", 1)[1]
    assert "Avslutade" in page or "Avslutad" in page or "Nu" in page
    assert "Röstningen öppnar" in page and " kl. " in page
    assert "Logga in för att följa dialogen" in page


def test_background_markdown_is_sanitised(client, ctx, db, make_dialogue):
    make_dialogue(
        background="<script>alert(1)</script> [x](javascript:alert(1)) "
        "<img src=x onerror=alert(1)>",
    )
    background = client.get("/d/stadskarna").get_data(as_text=True).split("background-heading")[-1]
    assert "<script>" not in background and "<img" not in background
    assert 'href="javascript:' not in background
    assert "&lt;script&gt;" in background and "&lt;img" in background


def test_what_you_can_do_explains_login_and_confirmation(
    client, ctx, db, make_user, login, make_dialogue
):
    make_dialogue(phases=LIVE)
    anonymous = client.get("/d/stadskarna").get_data(as_text=True)
    assert "Du behöver logga in för att göra det här." in anonymous
    login(make_user(verified=False))
    unverified = client.get("/d/stadskarna").get_data(as_text=True)
    assert "Bekräfta din e-postadress först" in unverified


def test_the_start_page_groups_open_upcoming_and_finished(client, ctx, db, make_dialogue):
    make_dialogue("oppen", title="Öppen dialog", phases=(("proposals", -1, 5),))
    make_dialogue("kommande", title="Kommande dialog", phases=(("proposals", 5, 9),))
    make_dialogue("slut", title="Slutförd dialog", phases=(("proposals", -9, -5),))
    page = client.get("/").get_data(as_text=True)
    open_part, rest = page.split("<h2>Kommande</h2>")
    upcoming_part, finished_part = rest.split("<h2>Avslutade</h2>")
    assert "Öppen dialog" in open_part and "Kommande dialog" in upcoming_part
    assert "Slutförd dialog" in finished_part


@pytest.mark.parametrize("path", ["/", "/d/dialog-0"])
def test_public_pages_cost_a_fixed_number_of_queries(
    client, ctx, db, count_queries, path, make_dialogue
):
    make_dialogue("dialog-0", phases=LIVE)
    with count_queries() as few:
        assert client.get(path).status_code == 200
    for n in range(1, 8):
        make_dialogue(f"dialog-{n}", phases=LIVE)
    with count_queries() as many:
        client.get(path)
    assert few.count == many.count


def test_follow_and_unfollow(client, ctx, db, resident, login, make_dialogue):
    dialogue = make_dialogue(phases=LIVE)
    login(resident)
    post_form(client, "/d/stadskarna/follow", {}, form_path="/d/stadskarna")
    assert db.session.scalar(
        select(DialogueFollow).where(
            DialogueFollow.dialogue_id == dialogue.id, DialogueFollow.user_id == resident.id
        )
    )
    assert "Sluta följa" in client.get("/d/stadskarna").get_data(as_text=True)
    post_form(client, "/d/stadskarna/follow", {}, form_path="/d/stadskarna")  # twice is fine
    post_form(client, "/d/stadskarna/unfollow", {}, form_path="/d/stadskarna")
    assert db.session.scalar(select(DialogueFollow)) is None


def test_unverified_people_may_follow_but_anonymous_visitors_log_in_first(
    client, ctx, db, make_user, login, make_dialogue
):
    make_dialogue(phases=LIVE)
    response = client.post("/d/stadskarna/follow")
    assert response.status_code in (302, 400)
    login(make_user(verified=False))
    response = post_form(client, "/d/stadskarna/follow", {}, form_path="/d/stadskarna")
    assert response.status_code == 302
    assert db.session.scalar(select(DialogueFollow)) is not None


# Invite-only dialogues --------------------------------------------------------------


def test_invite_only_dialogues_are_404_for_everyone_not_invited(
    client, ctx, db, make_user, login, make_dialogue
):
    dialogue = make_dialogue(
        "slutet", visibility=Visibility.invited, phases=LIVE, title="Sluten dialog"
    )
    other_planner = make_user(role="planner")
    other = make_dialogue("annan", phases=LIVE)
    services.assign_planner(other, _user(db, other_planner), by=None)
    db.session.commit()
    assert client.get("/d/slutet").status_code == 404
    assert "Sluten dialog" not in client.get("/").get_data(as_text=True)
    for person in (make_user(), other_planner):
        login(person)
        assert client.get("/d/slutet").status_code == 404
        assert client.get("/d/slutet/invitations").status_code == 404
        assert "Sluten dialog" not in client.get("/").get_data(as_text=True)
        post_form(client, "/logout", {}, form_path="/profile")
    assert dialogue.id


def test_invitations_by_email_link_and_revocation(
    app, client, ctx, db, make_user, login, mailbox, make_dialogue
):
    dialogue = make_dialogue(
        "slutet", visibility=Visibility.invited, phases=LIVE, title="Sluten dialog"
    )
    planner = make_user(role="planner")
    services.assign_planner(dialogue, _user(db, planner), by=None)
    db.session.commit()
    login(planner)
    response = post_form(
        client,
        "/d/slutet/invitations",
        {"emails": "Ada@Example.org, bo@example.org\nnot-an-address"},
    )
    assert response.status_code == 200
    assert "not-an-address" in response.get_data(as_text=True)
    response = post_form(
        client, "/d/slutet/invitations", {"emails": "Ada@Example.org, bo@example.org"}
    )
    assert response.status_code == 302
    assert {i.email for i in db.session.scalars(select(Invitation))} == {
        "ada@example.org",
        "bo@example.org",
    }
    link = first_link(mailbox.last("bo@example.org"))
    assert mailbox.last("bo@example.org")["Subject"].startswith("Du är inbjuden")
    post_form(client, "/logout", {}, form_path="/profile")

    # Ada registers with the invited address: her confirmed address gives access.
    ada = make_user(email="ada@example.org")
    login(ada)
    assert client.get("/d/slutet").status_code == 200
    assert "Sluten dialog" in client.get("/").get_data(as_text=True)
    post_form(client, "/logout", {}, form_path="/profile")

    # Bo follows the link with an account under another address: he may only ask.
    path = link.replace(app.config["PUBLIC_URL"], "")
    anonymous_page = client.get(path)
    assert anonymous_page.status_code == 200 and "Logga in" in anonymous_page.get_data(as_text=True)
    bo = make_user(email="bo.private@example.org")
    login(bo)
    assert "Be om att få vara med" in client.get(path).get_data(as_text=True)
    assert client.get("/d/slutet").status_code == 404
    assert post_form(client, f"{path}/request", {}, form_path=path).status_code == 302
    post_form(client, "/logout", {}, form_path="/profile")

    # The planner approves; revoking takes the access away again.
    login(planner)
    (asked,) = db.session.scalars(select(AccessRequest))
    post_form(
        client,
        f"/d/slutet/access-requests/{asked.id}/approve",
        {},
        form_path="/d/slutet/invitations",
    )
    post_form(client, "/logout", {}, form_path="/profile")
    login(bo)
    assert client.get("/d/slutet").status_code == 200
    assert client.get(path).location.endswith("/d/slutet")
    post_form(client, "/logout", {}, form_path="/profile")
    login(planner)
    invitation = db.session.scalar(select(Invitation).where(Invitation.email == "bo@example.org"))
    post_form(
        client,
        f"/d/slutet/invitations/{invitation.id}/revoke",
        {},
        form_path="/d/slutet/invitations",
    )
    post_form(client, "/logout", {}, form_path="/profile")
    login(bo)
    assert client.get("/d/slutet").status_code == 404
    assert client.get(path).status_code == 404


def test_a_forged_invitation_link_is_refused(client, ctx, db):
    assert client.get("/i/forged").status_code == 404


# Administration ---------------------------------------------------------------------

ADMIN_GETS = [
    "/admin/dialogues",
    "/admin/dialogues/new",
    "/admin/dialogues/{d}/edit",
    "/admin/dialogues/{d}/phases",
    "/admin/phases/{p}/edit",
    "/admin/phases/{p}/close-now",
    "/admin/dialogues/{d}/planners",
]
ADMIN_POSTS = [
    "/admin/dialogues/{d}/state/archived",
    "/admin/phases/{p}/remove",
    "/admin/dialogues/{d}/planners/1/remove",
]


@pytest.mark.parametrize("role", ["anonymous", "resident", "planner"])
def test_admin_pages_are_refused_to_everyone_but_admins(
    client, ctx, db, make_user, login, role, make_dialogue
):
    dialogue = make_dialogue(phases=LIVE)
    if role == "planner":
        planner = make_user(role="planner")
        services.assign_planner(dialogue, _user(db, planner), by=None)
        db.session.commit()
        login(planner)
    elif role == "resident":
        login(make_user())
    phase_id = dialogue.phases[1].id
    for path in ADMIN_GETS:
        response = client.get(path.format(d=dialogue.id, p=phase_id))
        expected = 302 if role == "anonymous" else 403
        assert response.status_code == expected, path
    token_source = "/profile" if role != "anonymous" else "/login"
    for path in ADMIN_POSTS:
        response = post_form(
            client, path.format(d=dialogue.id, p=phase_id), {}, form_path=token_source
        )
        assert response.status_code in (302, 403), path
        if role != "anonymous":
            assert response.status_code == 403, path
    assert db.session.get(Dialogue, dialogue.id).state is DialogueState.published
    assert len(db.session.get(Dialogue, dialogue.id).phases) == len(LIVE)


def test_an_admin_creates_edits_publishes_and_archives_a_dialogue(client, ctx, db, admin, login):
    login(admin)
    values = {
        "slug": "ny-park-hovsjo",
        "title": "Ny park i Hovsjö",
        "summary": "En park.",
        "background": "## Underlag",
        "place_name": "Hovsjö",
        "place_lat": "59.18",
        "place_lon": "17.58",
        "themes": "Stadslivet\nSå bygger vi staden",
        "focus_areas": "Trygghet",
        "visibility": "public",
        "vote_mode": "support",
        "vote_counts": "after_voting",
        "votes_per_participant": "3",
    }
    response = post_form(client, "/admin/dialogues/new", values)
    assert response.status_code == 302
    dialogue = db.session.scalar(select(Dialogue).where(Dialogue.slug == "ny-park-hovsjo"))
    assert dialogue.state is DialogueState.draft
    assert dialogue.themes == ["Stadslivet", "Så bygger vi staden"]
    assert (dialogue.votes_per_participant, dialogue.vote_mode.value) == (3, "support")
    assert dialogue.vote_counts is VoteCounts.after_voting
    again = post_form(client, "/admin/dialogues/new", values)
    assert "En annan dialog använder redan adressnamnet." in again.get_data(as_text=True)

    edit = post_form(
        client,
        f"/admin/dialogues/{dialogue.id}/edit",
        {**values, "title": "Parken i Hovsjö", "place_lat": "", "place_lon": ""},
    )
    assert edit.status_code == 302
    db.session.expire_all()
    assert db.session.get(Dialogue, dialogue.id).title == "Parken i Hovsjö"
    assert db.session.get(Dialogue, dialogue.id).place_lat is None

    half = post_form(
        client,
        f"/admin/dialogues/{dialogue.id}/edit",
        {**values, "place_lat": "59.1", "place_lon": ""},
    )
    assert "Ange både latitud och longitud" in half.get_data(as_text=True)

    for state in ("published", "archived"):
        asked = post_form(
            client,
            f"/admin/dialogues/{dialogue.id}/state/{state}",
            {},
            form_path="/admin/dialogues",
        )
        if state == "archived":
            # Archiving asks first; the confirmation page's button repeats the POST.
            assert asked.status_code == 200
            db.session.expire_all()
            assert db.session.get(Dialogue, dialogue.id).state is DialogueState.published
            post_form(
                client,
                f"/admin/dialogues/{dialogue.id}/state/{state}",
                {"confirmed": state},
                form_path="/admin/dialogues",
            )
        db.session.expire_all()
        assert db.session.get(Dialogue, dialogue.id).state.value == state
    actions = list(
        db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "Dialogue"))
    )
    assert actions == [
        "dialogue_created",
        "dialogue_updated",
        "dialogue_published",
        "dialogue_archived",
    ]


def _phase_values(**changes):
    values = {
        "kind": "proposals",
        "title": "Förslag",
        "description": "",
        "starts_at": "2027-03-01T09:00",
        "ends_at": "2027-03-20T17:00",
    }
    values.update(changes)
    return values


def test_scheduling_a_phase_through_the_form(client, ctx, db, admin, login, make_dialogue):
    dialogue = make_dialogue()
    login(admin)
    path = f"/admin/dialogues/{dialogue.id}/phases"
    preview = post_form(client, path, {**_phase_values(), "preview": "1"})
    assert preview.status_code == 200 and "Förhandsgranskning" in preview.get_data(as_text=True)
    assert db.session.scalar(select(Phase)) is None
    saved = post_form(client, path, {**_phase_values(), "save": "1", "override_comment": "off"})
    assert saved.status_code == 302
    phase = db.session.scalar(select(Phase))
    assert phase.starts_at == datetime.fromisoformat("2027-03-01T08:00:00+00:00")
    assert phase.ends_at == datetime.fromisoformat("2027-03-20T16:00:00+00:00")
    assert phase.capability_overrides == {"comment": False}
    assert phase.kind is PhaseKind.proposals


def test_schedule_errors_are_shown_inline_and_keep_what_was_typed(
    client, ctx, db, admin, login, make_dialogue
):
    dialogue = make_dialogue()
    login(admin)
    path = f"/admin/dialogues/{dialogue.id}/phases"
    post_form(client, path, {**_phase_values(), "save": "1"})
    gap = post_form(
        client,
        path,
        {
            **_phase_values(title="Natt", starts_at="2027-03-28T02:30", ends_at="2027-03-29T10:00"),
            "save": "1",
        },
    )
    page = gap.get_data(as_text=True)
    assert gap.status_code == 200
    assert "finns inte i svensk tid" in page and 'id="starts_at-error"' in page
    assert 'value="Natt"' in page and 'value="2027-03-28T02:30"' in page
    overlap = post_form(
        client,
        path,
        {
            **_phase_values(
                title="Krock", starts_at="2027-03-10T09:00", ends_at="2027-03-25T09:00"
            ),
            "save": "1",
        },
    )
    assert "överlappar ”Förslag”" in overlap.get_data(as_text=True)
    backwards = post_form(
        client,
        path,
        {**_phase_values(starts_at="2027-05-10T09:00", ends_at="2027-05-01T09:00"), "save": "1"},
    )
    assert "Fasen måste sluta efter att den börjar." in backwards.get_data(as_text=True)
    garbage = post_form(client, path, {**_phase_values(starts_at="not a date"), "save": "1"})
    assert garbage.status_code == 200
    assert len(db.session.scalars(select(Phase)).all()) == 1


def test_opening_the_next_phase_now_closes_the_current_one_with_an_audit_record(
    client, ctx, db, admin, login, make_dialogue
):
    dialogue = make_dialogue(phases=LIVE)
    current, upcoming = dialogue.phases[1], dialogue.phases[2]
    login(admin)
    path = f"/admin/phases/{upcoming.id}/open-now"
    refused = post_form(client, path, {"reason": "", "confirmed": str(current.id)})
    assert refused.status_code == 200 and "Skriv varför" in refused.get_data(as_text=True)
    # Without the confirmation of what closes early, the page asks instead of acting.
    asked = post_form(client, path, {"reason": "Tidigare start efter beslut i nämnden"})
    assert asked.status_code == 200
    assert f"”{current.title}” stängs i förtid" in asked.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Dialogue, dialogue.id).current_phase.id == current.id
    response = post_form(
        client,
        path,
        {"reason": "Tidigare start efter beslut i nämnden", "confirmed": str(current.id)},
    )
    assert response.status_code == 302
    db.session.expire_all()
    current, upcoming = db.session.get(Phase, current.id), db.session.get(Phase, upcoming.id)
    assert current.ends_at == upcoming.starts_at
    assert db.session.get(Dialogue, dialogue.id).current_phase.id == upcoming.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "phase_opened_now"))
    assert entry.actor_id == admin.id and entry.reason == "Tidigare start efter beslut i nämnden"
    assert entry.details["closed_phase_id"] == current.id


def test_closing_the_current_phase_now(client, ctx, db, admin, login, make_dialogue):
    dialogue = make_dialogue(phases=LIVE)
    current = dialogue.phases[1]
    login(admin)
    path = f"/admin/phases/{current.id}/close-now"
    asked = post_form(client, path, {"reason": "Storm"})
    assert asked.status_code == 200 and "slutar nu i stället för" in asked.get_data(as_text=True)
    assert db.session.get(Dialogue, dialogue.id).current_phase.id == current.id
    response = post_form(client, path, {"reason": "Storm", "confirmed": str(current.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Dialogue, dialogue.id).current_phase is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "phase_closed_now"))
    past = dialogue.phases[0]
    again = post_form(
        client,
        f"/admin/phases/{past.id}/close-now",
        {"reason": "x", "confirmed": str(past.id)},
        form_path=f"/admin/phases/{current.id}/close-now",
    )
    assert "Bara den fas som är öppen nu" in again.get_data(as_text=True)


def test_admins_assign_planners_of_a_dialogue(
    client, ctx, db, admin, make_user, login, make_dialogue
):
    dialogue = make_dialogue()
    planner, resident = make_user(role="planner"), make_user()
    login(admin)
    path = f"/admin/dialogues/{dialogue.id}/planners"
    not_planner = post_form(client, path, {"email": resident.email})
    assert "Ge först personen rollen planerare" in not_planner.get_data(as_text=True)
    assert post_form(client, path, {"email": planner.email}).status_code == 302
    db.session.expire_all()
    assert [p.user_id for p in db.session.get(Dialogue, dialogue.id).planners] == [planner.id]
    post_form(client, f"{path}/{planner.id}/remove", {}, form_path=path)
    db.session.expire_all()
    assert db.session.get(Dialogue, dialogue.id).planners == []


def test_drafts_are_visible_to_staff_only(client, ctx, db, admin, make_user, login, make_dialogue):
    dialogue = make_dialogue("utkast", state=DialogueState.draft)
    planner = make_user(role="planner")
    services.assign_planner(dialogue, _user(db, planner), by=None)
    db.session.commit()
    assert client.get("/d/utkast").status_code == 404
    login(planner)
    assert client.get("/d/utkast").status_code == 200
    post_form(client, "/logout", {}, form_path="/profile")
    login(admin)
    assert client.get("/d/utkast").status_code == 200


def test_the_area_is_a_geojson_polygon(client, ctx, db, admin, login, make_dialogue):
    dialogue = make_dialogue()
    login(admin)
    base = {
        "title": "T",
        "summary": "S",
        "visibility": "public",
        "vote_mode": "for_against",
        "vote_counts": "live",
    }
    bad = post_form(
        client,
        f"/admin/dialogues/{dialogue.id}/edit",
        {**base, "place_area": '{"type": "Point", "coordinates": [17, 59]}'},
    )
    assert bad.status_code == 200 and "GeoJSON" in bad.get_data(as_text=True)
    not_json = post_form(
        client, f"/admin/dialogues/{dialogue.id}/edit", {**base, "place_area": "{not json"}
    )
    assert 'value="' not in not_json.get_data(as_text=True).split('id="place_area"')[0][-5:]
    assert "{not json" in not_json.get_data(as_text=True)
    polygon = (
        '{"type": "Polygon", "coordinates": [[[17.62, 59.19], [17.63, 59.19], '
        "[17.63, 59.2], [17.62, 59.19]]]}"
    )
    good = post_form(
        client, f"/admin/dialogues/{dialogue.id}/edit", {**base, "place_area": polygon}
    )
    assert good.status_code == 302
    db.session.expire_all()
    assert db.session.get(Dialogue, dialogue.id).place_area["type"] == "Polygon"


def test_the_cli_schedules_phases_by_the_same_rules(app, ctx, db, make_dialogue):
    make_dialogue()
    runner = app.test_cli_runner()
    ok = runner.invoke(
        args=[
            "add-phase",
            "stadskarna",
            "proposals",
            "Förslag",
            "--starts",
            "2027-03-01 09:00",
            "--ends",
            "2027-03-20 17:00",
        ]
    )
    assert ok.exit_code == 0, ok.output
    gap = runner.invoke(
        args=[
            "add-phase",
            "stadskarna",
            "voting",
            "Natt",
            "--starts",
            "2027-03-28 02:30",
            "--ends",
            "2027-04-01 09:00",
        ]
    )
    assert gap.exit_code != 0 and "02:30" in gap.output
    overlap = runner.invoke(
        args=["add-phase", "stadskarna", "voting", "Krock", "--starts", "2027-03-10 09:00"]
    )
    assert overlap.exit_code != 0 and "Förslag" in overlap.output
    assert (
        runner.invoke(
            args=["add-phase", "saknas", "voting", "X", "--starts", "2027-01-01 09:00"]
        ).exit_code
        != 0
    )
    assert len(db.session.scalars(select(Phase)).all()) == 1
