"""What a logged-in person is shown is never stored by a browser or a cache on the way;
what everyone may see stays cacheable for visitors without an account."""

import io

import pytest
from PIL import Image

from dialog.core import images
from tests.factories import LIVE
from tests.support import PASSWORD, post_form


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def public_proposal(ctx, db, make_dialogue, make_proposal):
    dialogue = make_dialogue(phases=LIVE)
    stored = images.store(_png(), "bild.png")
    db.session.commit()
    return make_proposal(dialogue, image_id=stored.id)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/d/stadskarna",
        "/d/stadskarna/proposals",
        "/p/{id}",
        "/p/{id}/image",
        "/profile",
        "/finns-inte",
        "/api/v1/dialogues",
    ],
)
def test_every_response_to_a_logged_in_person_is_no_store(
    client, resident, login, public_proposal, path
):
    login(resident)
    with client.get(path.format(id=public_proposal.id)) as response:
        assert response.status_code in (200, 404)
        assert response.headers["Cache-Control"] == "no-store"


def test_the_login_and_logout_answers_are_no_store(client, resident):
    logged_in = post_form(client, "/login", {"email": resident.email, "password": PASSWORD})
    assert "dialog_session=" in logged_in.headers["Set-Cookie"]
    assert logged_in.headers["Cache-Control"] == "no-store"
    logged_out = post_form(client, "/logout", {}, form_path="/profile")
    assert logged_out.headers["Cache-Control"] == "no-store"


def test_a_response_that_sets_the_session_cookie_is_no_store(client, public_proposal):
    first = client.get("/d/stadskarna/proposals")  # the visitor's order is remembered
    assert "dialog_session=" in first.headers["Set-Cookie"]
    assert first.headers["Cache-Control"] == "no-store"


def test_anonymous_visitors_keep_what_may_be_cached(client, public_proposal):
    client.get("/d/stadskarna/proposals")
    again = client.get("/d/stadskarna/proposals")
    assert "Set-Cookie" not in again.headers
    assert "no-store" not in again.headers.get("Cache-Control", "")
    with client.get(f"/p/{public_proposal.id}/image") as image:
        assert image.headers["Cache-Control"] == "public, max-age=300"
    api = client.get("/api/v1/dialogues")
    assert api.headers["Cache-Control"] == "public, max-age=5"


def test_static_files_keep_their_own_cache_headers(client, resident, login):
    login(resident)
    with client.get("/static/css/main.css") as response:
        assert response.status_code == 200
        assert response.headers.get("Cache-Control") != "no-store"


def test_an_image_of_an_invite_only_dialogue_is_never_kept_by_a_cache(
    app, client, ctx, db, make_dialogue, make_proposal, make_user, login
):
    """The image view marks every image it serves cacheable: it may, because a visitor
    without an account gets none of an invite-only dialogue, and an invited member's
    answer is no-store like every answer to someone logged in."""
    from dialog.dialogues import services
    from dialog.dialogues.models import Dialogue, Visibility

    dialogue = db.session.get(
        Dialogue, make_dialogue("inbjudna", phases=LIVE, visibility=Visibility.invited).id
    )
    stored = images.store(_png(), "bild.png")
    member = make_user(email="medlem@example.org")
    admin = make_user(role="admin")
    [invitation] = services.invite(dialogue, [member.email], by=admin)
    services.accept_invitation(invitation, member)
    db.session.commit()
    proposal = make_proposal(dialogue, image_id=stored.id)
    path = f"/p/{proposal.id}/image"
    with client.get(path) as anonymous:
        assert anonymous.status_code == 404
        assert "public" not in anonymous.headers.get("Cache-Control", "")
    login(member)
    with client.get(path) as invited:
        assert invited.status_code == 200
        assert invited.headers["Cache-Control"] == "no-store"
