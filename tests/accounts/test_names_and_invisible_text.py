"""Names that pass for the municipality or its staff, direction controls, and text made
only of invisible characters are refused with a message, on every form that takes them."""

import pytest
from sqlalchemy import select

from dialog.accounts.forms import looks_like_staff
from dialog.accounts.models import User
from dialog.proposals.models import Comment, Proposal
from tests.support import PASSWORD, post_form

PROFILE = {"display_name": "Sanna Ek", "show_name_publicly": "no", "locale": "sv"}
STAFF_LIKE = [
    "Malmö stad",
    "Kommunstyrelsen",
    "Stadsbyggnadskontoret",
    "Södertäljekommun",
    "Miljönämnden",
    "Kommunen",
    "kommunen",
    "KOMMUNEN",
    "K o m m u n e n",
    "Kommunen.",
    "Kоmmunen",  # a Cyrillic о
    "K0mmunen",
    "Planerare",
    "planerare Anna",
    "Admin",
    "ADM1N",
    "Administratör",
    "Moderator",
    "Mоderatоr",
    "\u200bAdmin\u200b",
    "Ｋｏｍｍｕｎｅｎ",  # full-width letters
]
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def _pseudonym_page(client, pseudonym):
    return post_form(client, "/profile", {**PROFILE, "pseudonym": pseudonym})


def _reload(app, user_id):
    from dialog.extensions import db

    with app.app_context():
        return db.session.get(User, user_id).pseudonym


@pytest.mark.parametrize("name", STAFF_LIKE)
def test_a_pseudonym_cannot_pass_for_staff(app, client, resident, login, name):
    login(resident)
    response = _pseudonym_page(client, name)
    assert response.status_code == 200
    assert "kan förväxlas med kommunen" in response.get_data(as_text=True)
    assert _reload(app, resident.id) == resident.pseudonym


@pytest.mark.parametrize(
    "name", ["Kanalfågel", "Kommunalråd-fan", "Anna Planerarsson", "Admira", "Halmstadbo"]
)
def test_ordinary_names_are_accepted(name):
    assert not looks_like_staff(name)


def test_staff_may_keep_a_staff_name(app, client, planner, login):
    login(planner)
    response = _pseudonym_page(client, "Planerare Anna")
    assert response.status_code == 302
    assert _reload(app, planner.id) == "Planerare Anna"


def test_a_direction_control_is_refused(app, client, resident, login):
    login(resident)
    response = _pseudonym_page(client, "Anna \u202enemmuK")
    assert response.status_code == 200
    assert "ändrar textens riktning" in response.get_data(as_text=True)


def test_an_invisible_pseudonym_or_name_is_refused(app, client, resident, login):
    login(resident)
    response = _pseudonym_page(client, ZERO_WIDTH)
    assert "Skriv en pseudonym." in response.get_data(as_text=True)
    response = post_form(
        client, "/profile", {**PROFILE, "display_name": ZERO_WIDTH + " ", "pseudonym": "Fågel"}
    )
    assert response.status_code == 200
    assert "Skriv ditt namn." in response.get_data(as_text=True)


def test_registration_refuses_a_staff_name(app, client):
    response = post_form(
        client,
        "/register",
        {
            "email": "x@example.org",
            "display_name": "Kommunen",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "accept_terms": "y",
        },
    )
    assert response.status_code == 200
    assert "kan förväxlas med kommunen" in response.get_data(as_text=True)


PROPOSING = (("proposals", -1, 24), ("review", 24, 48))


def test_a_proposal_of_invisible_characters_is_refused(
    app, client, ctx, db, resident, login, make_dialogue
):
    make_dialogue(phases=PROPOSING)
    login(resident)
    response = post_form(
        client, "/d/stadskarna/proposals/new", {"title": ZERO_WIDTH, "body": " \u200b\n\u2060"}
    )
    assert response.status_code in (200, 400)
    page = response.get_data(as_text=True)
    assert "Ge förslaget en rubrik." in page and "Beskriv ditt förslag." in page
    assert db.session.scalar(select(Proposal)) is None


def test_a_comment_of_invisible_characters_is_refused(
    app, client, ctx, db, resident, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=PROPOSING)
    proposal = make_proposal(dialogue)
    login(resident)
    response = post_form(
        client,
        f"/p/{proposal.id}/comments",
        {"body": "\u200b\u200b\u00a0", "stance": "neutral"},
        form_path=f"/p/{proposal.id}",
    )
    assert response.status_code in (200, 400)
    assert "Skriv en kommentar." in response.get_data(as_text=True)
    assert db.session.scalar(select(Comment)) is None


# A staff name outlives no staff role -------------------------------------------------


def _named_planner(app, make_user, **names):
    from dialog.extensions import db

    planner = make_user(role="planner")
    with app.app_context():
        user = db.session.get(User, planner.id)
        for field, value in names.items():
            setattr(user, field, value)
        db.session.commit()
    return planner


def _demote(client, login, admin, person, role="resident"):
    login(admin)
    response = post_form(
        client, f"/admin/users/{person.id}/role", {"role": role, "reason": "Slutat"}
    )
    assert response.status_code == 302


def _role_change(app, person):
    from dialog.core.models import AuditEntry
    from dialog.extensions import db

    with app.app_context():
        return db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "role_changed", AuditEntry.object_id == str(person.id)
            )
        ).one()


def test_a_planner_lowered_to_resident_loses_a_staff_pseudonym_on_every_page(
    app, client, admin, login, make_user, make_dialogue, make_proposal
):
    planner = _named_planner(app, make_user, pseudonym="Kommunen", show_name_publicly=False)
    proposal = make_proposal(make_dialogue(phases=PROPOSING), author=planner)
    assert "Kommunen" in client.get(f"/p/{proposal.id}").get_data(as_text=True)
    _demote(client, login, admin, planner)
    user = _reload_user(app, planner.id)
    assert user.pseudonym.startswith("Deltagare ") and not looks_like_staff(user.pseudonym)
    page = app.test_client().get(f"/p/{proposal.id}").get_data(as_text=True)
    assert "Kommunen" not in page and user.pseudonym in page
    entry = _role_change(app, planner)
    assert entry.details["public_name_replaced"] is True and entry.details["new"] == "resident"


def test_a_staff_name_shown_publicly_gives_way_to_the_pseudonym_on_demotion(
    app, client, admin, login, make_user
):
    planner = _named_planner(app, make_user, display_name="Planerare Anna", show_name_publicly=True)
    _demote(client, login, admin, planner)
    user = _reload_user(app, planner.id)
    assert not user.show_name_publicly and user.public_name == user.pseudonym
    assert user.pseudonym == planner.pseudonym  # an ordinary pseudonym is kept
    assert _role_change(app, planner).details["public_name_replaced"] is True


def test_ordinary_names_and_staff_roles_keep_their_names(app, client, admin, login, make_user):
    ordinary = _named_planner(app, make_user, display_name="Anna Ek", show_name_publicly=True)
    _demote(client, login, admin, ordinary)
    assert _reload_user(app, ordinary.id).public_name == "Anna Ek"
    assert "public_name_replaced" not in _role_change(app, ordinary).details
    # An administrator made planner is still staff: the staff name stays.
    staff = make_user(role="admin", display_name="Kommunen")
    _demote(client, login, admin, staff, role="planner")
    assert _reload_user(app, staff.id).public_name == "Kommunen"


def _reload_user(app, user_id):
    from dialog.extensions import db

    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user
