"""Invitation links: only the account whose confirmed address was invited accepts;
anyone else with the link asks, and the dialogue's staff approve or refuse. Revoking
takes back everything the invitation gave; inviting again sends a link that replaces
the old one. Staff see who accepted, who asked and who decided."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from dialog.accounts.models import User
from dialog.core.models import AuditEntry
from dialog.core.timezone import to_local
from dialog.dialogues import services
from dialog.dialogues.models import AccessRequest, AccessRequestState, Invitation, Visibility
from tests.factories import LIVE
from tests.support import first_link, log_in, post_form

INVITATIONS = "/d/slutet/invitations"


def _user(db, detached):
    return db.session.get(User, detached.id)


def _logout(client):
    post_form(client, "/logout", {}, form_path="/profile")


def _page(client, path) -> str:
    return client.get(path).get_data(as_text=True)


def _audit(db, action):
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def closed(app, client, ctx, db, make_user, make_dialogue, login, mailbox):
    """An invite-only dialogue with its planner, and a way to invite through the page
    and read the link each address was sent."""
    dialogue = make_dialogue(
        "slutet", visibility=Visibility.invited, phases=LIVE, title="Sluten dialog"
    )
    planner = make_user(role="planner", display_name="Pia Planerare")
    services.assign_planner(dialogue, _user(db, planner), by=None)
    db.session.commit()

    def invite(*emails):
        login(planner)
        response = post_form(client, INVITATIONS, {"emails": ", ".join(emails)})
        assert response.status_code == 302
        _logout(client)

    def link(email):
        return first_link(mailbox.last(email)).replace(app.config["PUBLIC_URL"], "")

    def as_planner(path, **data):
        login(planner)
        response = post_form(client, path, data, form_path=INVITATIONS)
        _logout(client)
        return response

    return SimpleNamespace(
        dialogue=dialogue, planner=planner, invite=invite, link=link, as_planner=as_planner
    )


def _invitation(db, email) -> Invitation:
    db.session.expire_all()
    return db.session.scalar(select(Invitation).where(Invitation.email == email))


def _request_of(db, person) -> AccessRequest:
    db.session.expire_all()
    return db.session.scalar(select(AccessRequest).where(AccessRequest.user_id == person.id))


# The defects ---------------------------------------------------------------------------


def test_a_link_opened_by_another_account_binds_nothing(client, db, closed, make_user, login):
    closed.invite("ada@example.org")
    link = closed.link("ada@example.org")
    login(make_user(email="mallory@example.org"))

    page = client.get(link)
    assert page.status_code == 200
    assert "Be om att få vara med" in page.get_data(as_text=True)
    assert client.get("/d/slutet").status_code == 404
    invitation = _invitation(db, "ada@example.org")
    assert invitation.user_id is None and invitation.accepted_at is None
    assert _audit(db, "invitation_accepted") == []


def test_the_invited_confirmed_address_accepts_whatever_its_case(
    client, db, closed, make_user, login
):
    closed.invite(" Ada@Example.ORG ")
    ada = make_user(email="ada@example.org")
    login(ada)
    assert client.get(closed.link("ada@example.org")).location.endswith("/d/slutet")
    invitation = _invitation(db, "ada@example.org")
    assert invitation.user_id == ada.id and invitation.accepted_at is not None
    (accepted,) = _audit(db, "invitation_accepted")
    assert accepted.actor_id == ada.id and accepted.object_id == str(invitation.id)


def test_revoking_then_renewing_does_not_readmit_the_account_that_accepted(
    client, db, closed, make_user, login
):
    closed.invite("ada@example.org")
    ada = make_user(email="ada@example.org")
    login(ada)
    client.get(closed.link("ada@example.org"))
    _logout(client)
    # Ada moves to another address: the account that accepted keeps its access...
    _user(db, ada).email = "ada.ny@example.org"
    db.session.commit()
    log_in(client, "ada.ny@example.org")
    assert client.get("/d/slutet").status_code == 200
    _logout(client)

    # ...until the invitation is revoked. Renewing it invites the address, not the account.
    invitation = _invitation(db, "ada@example.org")
    closed.as_planner(f"{INVITATIONS}/{invitation.id}/revoke")
    assert _invitation(db, "ada@example.org").user_id is None
    closed.invite("ada@example.org")
    log_in(client, "ada.ny@example.org")
    assert client.get("/d/slutet").status_code == 404


def test_revoking_then_renewing_does_not_readmit_those_let_in_on_request(
    client, db, closed, make_user, login
):
    closed.invite("ada@example.org")
    link = closed.link("ada@example.org")
    bo = make_user(email="bo@example.org")
    login(bo)
    post_form(client, f"{link}/request", {}, form_path=link)
    _logout(client)
    closed.as_planner(f"/d/slutet/access-requests/{_request_of(db, bo).id}/approve")
    invitation = _invitation(db, "ada@example.org")

    closed.as_planner(f"{INVITATIONS}/{invitation.id}/revoke")
    closed.invite("ada@example.org")
    login(bo)
    assert client.get("/d/slutet").status_code == 404
    assert _request_of(db, bo) is None
    (revoked,) = _audit(db, "invitation_revoked")
    assert revoked.details["access_requests"] == {str(bo.id): "approved"}


def test_an_old_link_stops_working_once_the_address_is_invited_again(
    client, db, closed, make_user, login
):
    closed.invite("bo@example.org")
    old = closed.link("bo@example.org")
    closed.as_planner(f"{INVITATIONS}/{_invitation(db, 'bo@example.org').id}/revoke")
    closed.invite("bo@example.org")
    new = closed.link("bo@example.org")
    assert new != old

    page = client.get(old)
    assert page.status_code == 404 and "Inbjudan fungerar inte" in page.get_data(as_text=True)
    assert client.get(new).status_code == 200
    bo = make_user(email="bo@example.org")
    login(bo)
    assert client.get(old).status_code == 404
    assert _invitation(db, "bo@example.org").user_id is None
    assert client.get(new).location.endswith("/d/slutet")


# Asking for access, approving and refusing -------------------------------------------


def test_someone_with_the_link_asks_and_the_planner_approves(
    client, db, closed, make_user, login, mailbox
):
    closed.invite("ada@example.org")
    link = closed.link("ada@example.org")
    bo = make_user(email="bo@example.org", display_name="Bo Bengtsson")
    login(bo)
    assert "bo@example.org" in _page(client, link)  # says which account would ask
    response = post_form(client, f"{link}/request", {}, form_path=link, follow_redirects=True)
    assert "Din förfrågan är skickad" in response.get_data(as_text=True)
    assert "Du har bett om att få vara med" in _page(client, link)
    assert client.get("/d/slutet").status_code == 404
    # Asking twice is refused, and stores nothing more.
    assert post_form(client, f"{link}/request", {}, form_path="/profile").status_code == 403
    assert len(db.session.scalars(select(AccessRequest)).all()) == 1
    (asked,) = _audit(db, "access_requested")
    assert asked.actor_id == bo.id
    _logout(client)

    login(closed.planner)
    page = _page(client, INVITATIONS)
    requests = page.split("Förfrågningar om att få vara med")[1].split("Inbjudna")[0]
    assert "Bo Bengtsson" in requests and "bo@example.org" in requests
    assert "ada@example.org" in requests  # through which invitation
    assert "Godkänn" in requests and "Avslå" in requests
    _logout(client)
    access_request = _request_of(db, bo)
    closed.as_planner(f"/d/slutet/access-requests/{access_request.id}/approve")

    assert _request_of(db, bo).state is AccessRequestState.approved
    (approved,) = _audit(db, "access_approved")
    assert approved.actor_id == closed.planner.id and approved.details["user_id"] == bo.id
    told = mailbox.last("bo@example.org")
    assert "Sluten dialog" in told["Subject"] and first_link(told).endswith("/d/slutet")
    login(bo)
    assert client.get("/d/slutet").status_code == 200
    assert client.get(link).location.endswith("/d/slutet")
    _logout(client)
    login(closed.planner)
    requests = _page(client, INVITATIONS).split("Förfrågningar om att få vara med")[1]
    assert "godkänd" in requests and "Pia Planerare" in requests
    # Decided once: approving or refusing again is refused.
    for decision in ("approve", "refuse"):
        response = post_form(
            client,
            f"/d/slutet/access-requests/{access_request.id}/{decision}",
            {},
            form_path=INVITATIONS,
        )
        assert response.status_code == 403
    assert _request_of(db, bo).state is AccessRequestState.approved


def test_a_refused_request_keeps_the_dialogue_closed(client, db, closed, make_user, login, mailbox):
    closed.invite("ada@example.org")
    link = closed.link("ada@example.org")
    carl = make_user(email="carl@example.org")
    login(carl)
    post_form(client, f"{link}/request", {}, form_path=link)
    _logout(client)
    closed.as_planner(f"/d/slutet/access-requests/{_request_of(db, carl).id}/refuse")

    assert _request_of(db, carl).state is AccessRequestState.refused
    (refused,) = _audit(db, "access_refused")
    assert refused.actor_id == closed.planner.id
    login(carl)
    assert client.get("/d/slutet").status_code == 404
    assert mailbox.messages("carl@example.org") == []
    assert "har sagt nej" in _page(client, link)
    assert post_form(client, f"{link}/request", {}, form_path="/profile").status_code == 403


def test_an_unconfirmed_account_with_the_invited_address_is_asked_to_confirm(
    client, db, closed, make_user, login
):
    closed.invite("ada@example.org")
    link = closed.link("ada@example.org")
    ada = make_user(email="ada@example.org", verified=False)
    login(ada)
    page = client.get(link)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Bekräfta din e-postadress först" in text and "/profile" in text
    assert "Be om att få vara med" not in text
    assert _invitation(db, "ada@example.org").user_id is None
    assert client.get("/d/slutet").status_code == 404
    assert post_form(client, f"{link}/request", {}, form_path="/profile").status_code == 403
    assert db.session.scalar(select(AccessRequest)) is None

    _user(db, ada).email_verified_at = _invitation(db, "ada@example.org").created_at
    db.session.commit()
    assert client.get(link).location.endswith("/d/slutet")
    assert _invitation(db, "ada@example.org").user_id == ada.id


def test_staff_see_which_account_accepted_and_when(client, db, closed, make_user, login):
    closed.invite("ada@example.org", "bo@example.org")
    ada = make_user(email="ada@example.org", display_name="Ada Andersson")
    login(ada)
    client.get(closed.link("ada@example.org"))
    _logout(client)

    login(closed.planner)
    rows = _page(client, INVITATIONS).split("Inbjudna")[1].split("<tr>")
    ada_row = next(row for row in rows if "ada@example.org" in row)
    bo_row = next(row for row in rows if "bo@example.org" in row)
    accepted_at = _invitation(db, "ada@example.org").accepted_at
    assert "accepterad" in ada_row and "Ada Andersson" in ada_row
    assert str(to_local(accepted_at).day) in ada_row  # the day in Swedish time
    assert "skickad" in bo_row and "accepterad" not in bo_row


def test_the_invitations_page_costs_the_same_for_one_or_five(
    client, db, closed, make_user, login, count_queries
):
    counts = []
    for batch in (1, 4):
        emails = [f"gast{len(counts)}-{n}@example.org" for n in range(batch)]
        closed.invite(*emails)
        for email in emails:
            asker = make_user()
            services.request_access(_invitation(db, email), _user(db, asker))
            make_user(email=email)
        db.session.commit()
        for email in emails:
            invitation = _invitation(db, email)
            services.accept_invitation(
                invitation, db.session.scalar(select(User).where(User.email == email))
            )
        db.session.commit()
        login(closed.planner)
        client.get(INVITATIONS)
        with count_queries() as counted:
            assert client.get(INVITATIONS).status_code == 200
        counts.append(counted.count)
        _logout(client)
    assert counts[0] == counts[1], counts


# Who may use the new routes ----------------------------------------------------------


def test_asking_needs_an_account_and_a_real_link(client, db, closed):
    closed.invite("ada@example.org")
    link = closed.link("ada@example.org")
    token = client.get("/login")  # a session with a CSRF token, as a browser has
    assert token.status_code == 200
    response = post_form(client, f"{link}/request", {}, form_path="/login")
    assert response.status_code == 302 and "/login" in response.location
    assert post_form(client, "/i/forged/request", {}, form_path="/login").status_code == 404
    assert db.session.scalar(select(AccessRequest)) is None


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 404), ("resident", 404), ("other_planner", 404), ("invited", 403)],
)
@pytest.mark.parametrize("decision", ["approve", "refuse"])
def test_only_the_dialogues_staff_decide_requests(
    client, db, closed, make_user, make_dialogue, login, who, status, decision
):
    closed.invite("ada@example.org")
    link = closed.link("ada@example.org")
    asker = make_user(email="bo@example.org")
    login(asker)
    post_form(client, f"{link}/request", {}, form_path=link)
    _logout(client)
    access_request = _request_of(db, asker)
    people = {
        "resident": make_user(),
        "other_planner": make_user(role="planner"),
        "invited": make_user(email="ada@example.org"),
    }
    other = make_dialogue("annan", phases=LIVE)
    services.assign_planner(other, _user(db, people["other_planner"]), by=None)
    db.session.commit()

    path = f"/d/slutet/access-requests/{access_request.id}/{decision}"
    if who == "anonymous":
        response = post_form(client, path, {}, form_path="/login")
    else:
        login(people[who])
        response = post_form(client, path, {}, form_path="/profile")
    assert response.status_code == status
    assert _request_of(db, asker).state is AccessRequestState.pending
    assert _audit(db, f"access_{decision}d") == []


def test_a_request_cannot_be_decided_through_another_dialogue(
    client, db, closed, make_user, make_dialogue, login
):
    closed.invite("ada@example.org")
    link = closed.link("ada@example.org")
    asker = make_user(email="bo@example.org")
    login(asker)
    post_form(client, f"{link}/request", {}, form_path=link)
    _logout(client)
    other_planner = make_user(role="planner")
    other = make_dialogue("annan", phases=LIVE)
    services.assign_planner(other, _user(db, other_planner), by=None)
    db.session.commit()

    login(other_planner)
    path = f"/d/annan/access-requests/{_request_of(db, asker).id}/approve"
    assert post_form(client, path, {}, form_path="/profile").status_code == 404
    assert post_form(client, "/d/annan/access-requests/999999/approve", {}, form_path="/profile")
    assert _request_of(db, asker).state is AccessRequestState.pending


def test_deciding_needs_the_forms_csrf_token(client, db, closed, make_user, login):
    closed.invite("ada@example.org")
    link = closed.link("ada@example.org")
    asker = make_user(email="bo@example.org")
    login(asker)
    post_form(client, f"{link}/request", {}, form_path=link)
    _logout(client)
    login(closed.planner)
    response = client.post(f"/d/slutet/access-requests/{_request_of(db, asker).id}/approve")
    assert response.status_code == 400
    assert _request_of(db, asker).state is AccessRequestState.pending
