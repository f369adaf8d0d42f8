"""Every route, visited as every kind of person, answers as route_table.py declares.

One world is seeded for the module (world.py); each visit runs in a savepoint rolled back
afterwards. POSTs carry a valid CSRF token, so the answer is the permission's; a separate
check proves every POST refuses a request without one. Whatever is refused changes no
stored row.
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from dialog.dialogues.models import Invitation
from tests.security.route_table import (
    BACK,
    COLUMNS,
    CSRF_EXEMPT,
    DONE,
    LOGIN,
    NF,
    ROUTES,
    post_data,
)
from tests.support import PASSWORD

METHODS = ("GET", "POST")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# A part of a rule that takes one of a few words: <any(follow, unfollow):action>.
ANY_PART = re.compile(r"<any\(([^)]*)\):(\w+)>")
REDIRECT = "redirect"
# Placeholders that name an object of one dialogue (the others are accounts and tokens).
DIALOGUE_OBJECTS = {
    "slug",
    "dialogue_id",
    "proposal",
    "fresh_proposal",
    "voted_proposal",
    "comment",
    "held_comment",
    "hidden_comment",
    "unreviewed_comment",
    "decision",
    "phase",
    "future_phase",
    "invitation",
    "access_request",
    "planner_id",
}
STAFF_OF_HIDDEN = {"planner", "admin"}


def _ids(world, dialogue: str) -> dict:
    return {**world.ids[dialogue], "password": PASSWORD, **world.codes()}


def _path(row, ids) -> str:
    return row.path.format(**ids)


def answer_of(response):
    """200, 403 ...; a redirect is LOGIN when it sends the visitor to log in first (to the
    login page, with where they were going), REDIRECT otherwise: a link that has done its
    work may lead to the login page too."""
    if 300 <= response.status_code < 400:
        target = urlsplit(response.location)
        return LOGIN if target.path == "/login" and "next=" in target.query else REDIRECT
    return response.status_code


def outcome(world, response):
    """The answer as the table names it: a redirect is DONE when the check stored
    something, BACK when it stored nothing."""
    got = answer_of(response)
    if got == REDIRECT:
        return DONE if world.changed() else BACK
    return got


def visit(world, who: str, method: str, path: str, data: dict | None = None, *, csrf=True):
    client = world.client(who)
    if method == "GET":
        return client.get(path)
    form = dict(data or {})
    if csrf:
        form["csrf_token"] = world.csrf(who)
    return client.open(path, method=method, data=form)


def _assert_answer(world, row, who, ids, expected) -> None:
    with world.check():
        response = visit(world, who, row.method, _path(row, ids), post_data(row.endpoint, ids))
        response.close()  # a file sent from disk keeps it open until then
        got = outcome(world, response)
        assert got == expected, (
            f"{row.method} {_path(row, ids)} as {who}: got {got} "
            f"({response.status_code} {response.location or ''}), the table says {expected}"
        )
        if got not in (200, DONE):
            assert world.unchanged(), (
                f"{row.method} {_path(row, ids)} as {who} was refused but changed stored rows"
            )


# The table covers the URL map ---------------------------------------------------------


def _route_keys(rule) -> list[tuple]:
    """What needs a row: each method of the rule, for each word of each any() part."""
    words = [
        [(name, word.strip().strip("'\"")) for word in choices.split(",")]
        for choices, name in ANY_PART.findall(rule.rule)
    ]
    return [
        (method, rule.rule, choice)
        for method in METHODS
        if method in rule.methods
        for choice in itertools.product(*words)
    ]


def _row_key(adapter, row, ids) -> tuple:
    rule, args = adapter.match(_path(row, ids), method=row.method, return_rule=True)
    return (
        row.method,
        rule.rule,
        tuple((name, args[name]) for _, name in ANY_PART.findall(rule.rule)),
    )


def test_every_route_and_method_has_a_row_in_the_table(app, world):
    """Keyed on the rule, not the endpoint (two rules may share one), and on each word an
    any() part takes (/d/{slug}/follow and /d/{slug}/unfollow are two rows)."""
    adapter = app.url_map.bind("localhost")
    ids = _ids(world, "a")
    declared, unknown = [], []
    for row in ROUTES:
        try:
            declared.append(_row_key(adapter, row, ids))
        except (NotFound, MethodNotAllowed):
            unknown.append(f"{row.method} {row.path}")
    assert not unknown, f"rows for routes that no longer exist: {unknown}"
    twice = sorted({f"{m} {r} {dict(c)}" for m, r, c in declared if declared.count((m, r, c)) > 1})
    assert not twice, f"routes with more than one row: {twice}"
    missing = [
        f"{method} {rule.endpoint} ({rule.rule}{', ' if choice else ''}"
        f"{', '.join(f'{name}={word}' for name, word in choice)})"
        for rule in app.url_map.iter_rules()
        for method, _, choice in _route_keys(rule)
        if (method, rule.rule, choice) not in declared
    ]
    assert not missing, (
        "These routes have no row in tests/security/route_table.py. Add one per method "
        "(and per word of an any() part) to ROUTES, saying what each kind of person gets "
        "(and POST_DATA for a form):\n  " + "\n  ".join(missing)
    )


def test_every_rows_path_reaches_its_own_endpoint(app, world):
    adapter = app.url_map.bind("localhost")
    for row in ROUTES:
        path = _path(row, _ids(world, "a"))
        endpoint, _ = adapter.match(path, method=row.method)
        assert endpoint == row.endpoint, f"{row.method} {path} reaches {endpoint}"


# Each route as each person ------------------------------------------------------------


def _cases():
    for row in ROUTES:
        for who in COLUMNS:
            yield pytest.param(row, who, id=f"{row.method} {row.path} as {who}")


@pytest.mark.parametrize("row, who", list(_cases()))
def test_route_answers_as_the_table_says(world, row, who):
    _assert_answer(world, row, who, _ids(world, "a"), row.for_role(who))


def _unaccepted_methods():
    seen = set()
    for row in ROUTES:
        if row.path not in seen:
            seen.add(row.path)
            yield pytest.param(row, id=row.path)


@pytest.mark.parametrize("row", list(_unaccepted_methods()))
def test_a_method_a_path_does_not_take_answers_405(app, world, row):
    adapter = app.url_map.bind("localhost")
    path = _path(row, _ids(world, "a"))
    for method in ("GET", "POST", "PUT", "DELETE"):
        try:
            adapter.match(path, method=method)
            continue
        except MethodNotAllowed:
            pass
        except NotFound:  # pragma: no cover - the path test above catches this
            raise
        # Routing answers before any view or permission runs: one person is enough.
        with world.check():
            response = visit(world, "admin", method, path)
            assert response.status_code == 405, f"{method} {path}"


# Objects of other dialogues -----------------------------------------------------------


def _names_dialogue_objects(row) -> bool:
    return bool(DIALOGUE_OBJECTS & set(PLACEHOLDER.findall(row.path)))


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(row, id=f"{row.method} {row.path}")
        for row in ROUTES
        if _names_dialogue_objects(row)
    ],
)
def test_a_planner_gets_on_another_dialogues_objects_what_its_outsiders_get(world, row):
    """The planner of "alfa" on the objects of "beta" (set up alike) gets what the planner
    of "beta" gets on the objects of "alfa": changing an id reaches nothing new."""
    _assert_answer(world, row, "planner", _ids(world, "b"), row.for_role("other_planner"))


def test_an_invitation_of_another_dialogue_cannot_be_revoked_through_ones_own(world):
    from dialog.extensions import db

    own, other = _ids(world, "a"), _ids(world, "b")
    with world.check():
        path = f"/d/{own['slug']}/invitations/{other['invitation']}/revoke"
        response = visit(world, "planner", "POST", path)
        assert response.status_code == 404
        with world.app.app_context():
            assert db.session.get(Invitation, other["invitation"]).revoked_at is None


def _hidden_cases():
    for row in ROUTES:
        if not _names_dialogue_objects(row) or row.path.startswith("/admin/"):
            continue
        for who in COLUMNS:
            if who not in STAFF_OF_HIDDEN:
                yield pytest.param(row, who, id=f"{row.method} {row.path} as {who}")


@pytest.mark.parametrize("row, who", list(_hidden_cases()))
def test_what_belongs_to_a_draft_dialogue_is_not_there_for_others(world, row, who):
    _assert_answer(world, row, who, _ids(world, "hidden"), NF)


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(row, id=f"{row.method} {row.path}")
        for row in ROUTES
        if _names_dialogue_objects(row) and not row.path.startswith("/api/")
    ],
)
def test_a_draft_dialogues_staff_get_what_they_get_in_a_published_one(world, row):
    for who in sorted(STAFF_OF_HIDDEN):
        _assert_answer(world, row, who, _ids(world, "hidden"), row.for_role(who))


# CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(row, id=row.path)
        for row in ROUTES
        if row.method == "POST" and row.endpoint not in CSRF_EXEMPT
    ],
)
def test_every_post_refuses_a_request_without_a_csrf_token(world, row):
    ids = _ids(world, "a")
    for who in ("anonymous", "resident", "admin", _allowed(row)):
        with world.check():
            path = _path(row, ids)
            response = visit(world, who, "POST", path, post_data(row.endpoint, ids), csrf=False)
            assert response.status_code == 400, f"POST {path} as {who} without a token"
            assert "Ladda om sidan" in response.get_data(as_text=True)
            assert world.unchanged(), f"POST {path} as {who}"


def _allowed(row) -> str:
    """Someone the table lets through, so the token, not the permission, refuses."""
    for who in COLUMNS:
        if row.for_role(who) in (200, DONE, BACK):
            return who
    return "admin"


def test_the_unchanged_check_sees_what_an_allowed_request_stores(world):
    """The check behind "a refused request changes nothing" is not blind."""
    ids = _ids(world, "a")
    with world.check():
        assert world.unchanged()
        data = {"body": "Omskrivet", "stance": "against"}
        response = visit(world, "author", "POST", f"/c/{ids['comment']}/edit", data)
        assert outcome(world, response) == DONE
        assert world.writes and not world.unchanged()


def test_a_redirect_that_stores_nothing_is_back_not_done(world):
    """Following a dialogue one follows already answers like following it does: only the
    stored rows tell the two apart."""
    ids = _ids(world, "a")
    with world.check():
        response = visit(world, "author", "POST", f"/d/{ids['slug']}/follow")
        assert answer_of(response) == REDIRECT
        assert outcome(world, response) == BACK
    with world.check():
        response = visit(world, "resident", "POST", f"/d/{ids['slug']}/follow")
        assert outcome(world, response) == DONE


def test_an_access_request_of_another_dialogue_cannot_be_decided_through_ones_own(world):
    from dialog.dialogues.models import AccessRequest, AccessRequestState
    from dialog.extensions import db

    own, other = _ids(world, "a"), _ids(world, "b")
    for decision in ("approve", "refuse"):
        with world.check():
            path = f"/d/{own['slug']}/access-requests/{other['access_request']}/{decision}"
            response = visit(world, "planner", "POST", path)
            assert response.status_code == 404, path
            with world.app.app_context():
                request = db.session.get(AccessRequest, other["access_request"])
                assert request.state is AccessRequestState.pending


def test_a_session_of_someone_else_stays_live_when_another_person_ends_it(world):
    """The stored-row check leaves sessions out (every visit touches its own), so this
    asks the session row itself."""
    from dialog.accounts.models import UserSession
    from dialog.extensions import db

    ids = _ids(world, "a")
    for who in ("resident", "planner", "admin"):
        with world.check():
            response = visit(world, who, "POST", f"/profile/sessions/{ids['session']}/end")
            assert response.status_code == 404, who
            with world.app.app_context():
                assert db.session.get(UserSession, ids["session"]).ended_at is None, who


def test_ones_own_other_session_can_be_ended(world):
    """The sessions row of the table is someone else's session; one's own is ended."""
    from dialog.accounts import services
    from dialog.accounts.models import User, UserSession
    from dialog.extensions import db

    with world.check():
        with world.app.app_context():
            person = db.session.get(User, world.visitors["resident"].user_id)
            services.start_session(person, user_agent="Safari", ip="198.51.100.7")
            db.session.commit()
            own = db.session.scalar(
                db.select(UserSession.id).where(
                    UserSession.user_id == person.id, UserSession.user_agent == "Safari"
                )
            )
        response = visit(world, "resident", "POST", f"/profile/sessions/{own}/end")
        assert outcome(world, response) == DONE
        with world.app.app_context():
            assert db.session.get(UserSession, own).ended_at is not None


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(row, id=row.path)
        for row in ROUTES
        if row.method == "POST" and row.endpoint in CSRF_EXEMPT
    ],
)
def test_a_post_without_csrf_is_refused_without_its_signed_token(world, row):
    """What stands in for the CSRF token: a forged or altered token finds nothing."""
    ids = _ids(world, "a")
    placeholder = CSRF_EXEMPT[row.endpoint]
    forged = {**ids, placeholder: ids[placeholder][:-4] + "AAAA"}
    for who in ("anonymous", "resident", "admin"):
        with world.check():
            response = visit(world, who, "POST", _path(row, forged), {}, csrf=False)
            assert response.status_code == 404, f"POST {row.path} as {who} with a forged token"
            assert world.unchanged()
