"""Hypothesis over the main forms, posted through the Flask test client with a valid
CSRF token, on the seeded content.

Each field is missing, given once or repeated, with text (unicode, control characters,
huge lengths), numbers and dates at their bounds, valid and invalid choices. Whatever
arrives, the answer is never a 5xx; a re-rendered form (200 or 400) names an error,
and success is a redirect.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.support import CSRF_PATTERN, PASSWORD, first_link, log_in

EXAMPLES_PER_FORM = 40
FORM_SETTINGS = settings(
    derandomize=True,
    max_examples=EXAMPLES_PER_FORM,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# A re-rendered form names what is wrong: a field error, the error summary or a flash;
# a refused request gets the error page with its reason ("Felkod: 400").
ERROR_MARKERS = ('class="error"', 'class="error-summary"', "flash-error", "flash-warning")
ERROR_PAGE = re.compile(r'<p class="muted">(Felkod|Error code): \d{3}</p>')
MISSING = object()
cases_run: list[str] = []

# Values -----------------------------------------------------------------------------

CONTROL = st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp", "Cs"]).filter(
    lambda c: not 0xD800 <= ord(c) <= 0xDFFF
)
UNICODE_TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
HUGE_TEXT = st.builds(
    lambda piece, times: piece * times,
    st.sampled_from(["a", "å", "😀", "\u202e", " ", "\n", "<b>", "0"]),
    st.sampled_from([201, 5_001, 20_001, 200_000]),
)
NUMBERS = st.sampled_from(
    ["0", "-1", "1", "2147483647", "2147483648", "-2147483649", "9223372036854775808",
     "1e308", "-1e308", "1e309", "nan", "inf", "-inf", "0x10", "1_000", "٣", "90", "-90",
     "90.0000001", "180", "-180.0000001", "", " 5 "]
)  # fmt: skip
DATES = st.sampled_from(
    ["0001-01-01T00:00", "0001-01-01T00:59", "9999-12-31T23:59", "2026-02-30T10:00",
     "2026-13-01T10:00", "2026-03-12T24:00", "2026-03-12", "2026-03-12T09:00:00",
     "2026-03-29T02:30", "2026-10-25T02:30", "1970-01-01T00:00", "2038-01-19T03:14", ""]
)  # fmt: skip
ENUMS = st.sampled_from(
    ["for", "against", "abstain", "support", "neutral", "public", "invited", "live",
     "after_voting", "for_against", "sv", "en", "xx", "on", "off", "y", "true", "None",
     "accepted", "voting", "proposals", "result", "ecological", "social", "Grönska"]
)  # fmt: skip
JSONISH = st.sampled_from(
    [" ", "\n", "[" * 10_000, '{"a": ' * 1_000 + "1" + "}" * 1_000,
     '{"type": "Polygon", "coordinates": [[[17.62, 59.19], [17.63, 59.19], [17.63, 59.20], '
     "[17.62, 59.19]]]}", "{}", "[]", "null", '{"type": "Polygon"}', "1e999", '"x"']
)  # fmt: skip
EMAILS = st.sampled_from(
    ["person@example.org", "a@b", "å@ä.se", "@", "x" * 300 + "@example.org", "a@b.c\n",
     "resident@example.org", "nobody@example.org"]
)  # fmt: skip
ANY_VALUE = st.one_of(
    UNICODE_TEXT,
    st.text(CONTROL, min_size=1, max_size=8),
    st.builds(lambda a, c, b: a + c + b, UNICODE_TEXT, CONTROL, UNICODE_TEXT),
    HUGE_TEXT,
    NUMBERS,
    DATES,
    ENUMS,
    JSONISH,
    EMAILS,
)


# A web server refuses a request line past a few kilobytes (gunicorn: 4094 bytes), so
# query strings stay shorter than form bodies; 200 kB of URL only slows the run.
ANY_QUERY_VALUE = ANY_VALUE.filter(lambda value: len(value) <= 20_001)


def field(valid=None, anything=ANY_VALUE):
    """One field: missing, once or repeated; the value valid (when given) or anything."""
    value = anything if valid is None else st.one_of(valid, valid, anything)
    return st.one_of(st.just(MISSING), value, value, value, st.lists(value, min_size=2, max_size=3))


def fields(anything=ANY_VALUE, **specs) -> st.SearchStrategy[dict]:
    """A form's data: every field fuzzed at once, or (twice as often) valid values with
    one field fuzzed, or all valid, so the examples also get past validation into the
    service and its success path."""
    every_field = st.fixed_dictionaries(
        {name: field(valid, anything) for name, valid in specs.items()}
    ).map(lambda data: {k: v for k, v in data.items() if v is not MISSING})
    valid = st.fixed_dictionaries({k: v for k, v in specs.items() if v is not None})
    one_field = st.builds(_replaced, valid, st.sampled_from(sorted(specs)), field(None, anything))
    return st.one_of(valid, one_field, one_field, every_field)


def _replaced(data: dict, name: str, value) -> dict:
    data = dict(data)
    if value is MISSING:
        data.pop(name, None)
    else:
        data[name] = value
    return data


def one_of(*values):
    return st.sampled_from(values)


# Posting ------------------------------------------------------------------------------


def _token(client, form_path: str) -> str:
    page = client.get(form_path)
    assert page.status_code == 200, (form_path, page.status_code)
    match = CSRF_PATTERN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {form_path}"
    return match.group(1)


def _is_accepted_answer(response, success) -> bool:
    if response.status_code >= 500:
        return False
    if response.status_code in (301, 302, 303):
        return True
    if response.status_code in (200, 400, 422):
        html = response.get_data(as_text=True)
        if success and response.status_code == 200 and success.search(html):
            return True
        return any(marker in html for marker in ERROR_MARKERS) or bool(ERROR_PAGE.search(html))
    # 403 (not allowed now), 404 (no such row), 413 (too large), 429 (too many).
    return response.status_code in (403, 404, 413, 429)


def check_answer(response, label: str, data: dict, success=None) -> None:
    shown = {k: (v if len(repr(v)) < 200 else f"<{len(repr(v))} chars>") for k, v in data.items()}
    assert response.status_code < 500, f"{label}: {response.status_code} for {shown}"
    assert _is_accepted_answer(response, success), (
        f"{label}: {response.status_code} without an error message for {shown}"
    )
    cases_run.append(label)


def fuzz_post(client, fresh_limits, label, form_path, post_path, strategy, *, success=None):
    """Post `strategy`'s examples to `post_path` with the token from `form_path`'s page;
    `success` matches a page that answers success without a redirect."""
    token = _token(client, form_path)

    @FORM_SETTINGS
    @given(data=strategy)
    def run(data):
        fresh_limits()
        response = client.post(post_path, data={**data, "csrf_token": token})
        check_answer(response, label, data, success)

    run()


# The forms ------------------------------------------------------------------------


@pytest.fixture
def as_resident(app, seeded):
    client = app.test_client()
    assert log_in(client, seeded.resident_email).status_code == 302
    return client


@pytest.fixture
def as_admin(app, seeded):
    client = app.test_client()
    assert log_in(client, seeded.admin_email).status_code == 302
    return client


NEW_PASSWORD = one_of("another long passphrase")
POLYGON = (
    '{"type": "Polygon", "coordinates": [[[17.62, 59.19], [17.63, 59.19], [17.63, 59.20], '
    "[17.62, 59.19]]]}"
)


def test_registration(app, seeded, fresh_limits):
    strategy = fields(
        email=st.integers(1, 10**6).map(lambda n: f"ny{n}@example.org"),
        display_name=one_of("Åsa", "Anna Berg"),
        password=NEW_PASSWORD,
        confirm=NEW_PASSWORD,
        accept_terms=one_of("y"),
    )
    fuzz_post(app.test_client(), fresh_limits, "register", "/register", "/register", strategy)


def test_login(app, seeded, fresh_limits):
    strategy = fields(
        email=one_of(seeded.resident_email, "nobody@example.org"), password=one_of(PASSWORD)
    )

    @FORM_SETTINGS
    @given(data=strategy)
    def run(data):
        fresh_limits()
        client = app.test_client()  # logging in rotates the session and its token
        token = _token(client, "/login")
        check_answer(client.post("/login", data={**data, "csrf_token": token}), "login", data)

    run()


def test_password_forgotten_and_reset(app, seeded, fresh_limits, mailbox):
    client = app.test_client()
    fuzz_post(
        client, fresh_limits, "password forgot", "/password/forgot", "/password/forgot",
        fields(email=one_of(seeded.resident_email, "nobody@example.org")),
        success=re.compile("Om det finns ett konto|If there is an account"),
    )  # fmt: skip

    def fresh_link():
        fresh_limits()
        token = _token(client, "/password/forgot")
        client.post("/password/forgot", data={"email": seeded.resident_email, "csrf_token": token})
        return first_link(mailbox.last(seeded.resident_email)).replace(app.config["PUBLIC_URL"], "")

    link = [fresh_link()]

    @FORM_SETTINGS
    @given(data=fields(password=NEW_PASSWORD, confirm=NEW_PASSWORD))
    def run(data):
        fresh_limits()
        token = _token(client, link[0])
        response = client.post(link[0], data={**data, "csrf_token": token})
        check_answer(response, "password reset", data)
        if response.status_code == 302:  # the link is used up: the next example needs one
            link[0] = fresh_link()

    run()


def test_profile(as_resident, fresh_limits):
    strategy = fields(
        display_name=one_of("Åsa Öberg"),
        show_name_publicly=one_of("yes", "no"),
        pseudonym=one_of("Fågel"),
        district=one_of(""),
        age_band=one_of(""),
        locale=one_of("sv", "en"),
        follow_what_i_join=one_of("y", ""),
    )
    fuzz_post(as_resident, fresh_limits, "profile", "/profile", "/profile", strategy)


PROPOSAL_FIELDS = dict(
    title=one_of("Träd på torget"),
    body=one_of("Lindar och lönnar."),
    theme=one_of("Grönska", "Stadslivet", ""),
    focus_area=one_of("Torget", ""),
    dimensions=one_of("ecological", "social", "economic"),
    place_name=one_of(""),
    image_key=one_of(""),
    place_lat=one_of("59.3293"),
    place_lon=one_of("18.0686"),
)


def test_proposal_create(as_resident, fresh_limits):
    path = "/d/fuzz-proposals/proposals/new"
    # A proposal like a published one first gets the step that offers to back that one.
    similar_step = re.compile(r"<h1>(Others have proposed something similar|[^<]*liknande)")
    strategy = fields(**PROPOSAL_FIELDS)
    fuzz_post(
        as_resident, fresh_limits, "proposal create", path, path, strategy, success=similar_step
    )


def test_proposal_edit(as_resident, seeded, fresh_limits):
    path = f"/p/{seeded.proposal_in['dialogue']}/edit"
    fuzz_post(as_resident, fresh_limits, "proposal edit", path, path, fields(**PROPOSAL_FIELDS))


def test_comment(as_resident, seeded, fresh_limits):
    proposal = f"/p/{seeded.proposal_in['proposals']}"
    strategy = fields(body=one_of("Bra idé"), stance=one_of("for", "against", "neutral"))
    fuzz_post(as_resident, fresh_limits, "comment", proposal, f"{proposal}/comments", strategy)


def test_vote(as_resident, seeded, fresh_limits):
    proposal = f"/p/{seeded.proposal_in['voting']}"
    strategy = fields(value=one_of("for", "against", "abstain", "support"))
    fuzz_post(as_resident, fresh_limits, "vote", proposal, f"{proposal}/vote", strategy)


@pytest.mark.parametrize("page", ["/d/fuzz-voting/proposals", "/d/fuzz-proposals/proposals/map"])
def test_search_and_list_filters(as_resident, fresh_limits, page):
    strategy = fields(
        ANY_QUERY_VALUE,
        q=one_of("träd", "bänk*", '"lindar"'),
        theme=one_of("Grönska"),
        focus_area=one_of("Torget"),
        status=one_of("unanswered", "accepted"),
        dimension=one_of("social"),
        sort=one_of("newest", "support", "random", "discussed"),
        place=one_of("Torget"),
        page=NUMBERS,
        per_page=NUMBERS,
    )

    @FORM_SETTINGS
    @given(data=strategy)
    def run(data):
        fresh_limits()
        response = as_resident.get(page, query_string=data)
        assert response.status_code < 500, f"{page}: {response.status_code} for {data}"
        assert response.status_code in (200, 400, 404), (page, response.status_code, data)
        cases_run.append(page)

    run()


DIALOGUE_FIELDS = dict(
    reference_prefix=one_of("STK", ""),
    title=one_of("Dialog om torget"),
    summary=one_of("Sammanfattning"),
    background=one_of("Bakgrund **fet**", ""),
    place_name=one_of("Torget", ""),
    place_lat=one_of("59.3293", ""),
    place_lon=one_of("18.0686", ""),
    place_area=one_of(POLYGON, ""),
    named_places=one_of("Torget\nKanalen", ""),
    themes=one_of("Grönska\nStadslivet", ""),
    focus_areas=one_of("Torget", ""),
    visibility=one_of("public", "invited"),
    vote_mode=one_of("for_against", "support"),
    votes_per_participant=one_of("", "3"),
    vote_counts=one_of("live", "after_voting"),
)


def test_dialogue_admin_forms(as_admin, seeded, fresh_limits):
    new = fields(slug=one_of("ny-dialog", "fuzz-voting", "Ogiltig Slug"), **DIALOGUE_FIELDS)
    fuzz_post(as_admin, fresh_limits, "dialogue new", "/admin/dialogues/new",
              "/admin/dialogues/new", new)  # fmt: skip
    edit_path = f"/admin/dialogues/{seeded.dialogue_ids['result']}/edit"
    edit = fields(slug=one_of("fuzz-result"), **DIALOGUE_FIELDS)
    fuzz_post(as_admin, fresh_limits, "dialogue edit", edit_path, edit_path, edit)


PHASE_FIELDS = dict(
    kind=one_of("information", "proposals", "voting", "result"),
    title=one_of("Förslag"),
    description=one_of("Beskrivning", ""),
    # Later than the seeded phases, so the valid base value fits the schedule.
    starts_at=one_of("2030-01-01T10:00"),
    ends_at=one_of("2030-02-01T10:00", ""),
    override_comment=one_of("", "on", "off"),
    override_vote=one_of("", "on", "off"),
    preview=None,
    save=one_of("1"),
)


# "Preview the timeline" answers 200 with the preview: not an error, not yet saved.
PREVIEW = re.compile(r'<h2 id="preview-heading">')


def test_phase_admin_forms(app, as_admin, seeded, fresh_limits):
    from dialog.dialogues.models import Phase
    from dialog.extensions import db

    dialogue_id = seeded.dialogue_ids["information"]
    add_path = f"/admin/dialogues/{dialogue_id}/phases"
    strategy = fields(**PHASE_FIELDS)
    fuzz_post(as_admin, fresh_limits, "phase add", add_path, add_path, strategy, success=PREVIEW)
    with app.app_context():
        phase_id = db.session.scalars(
            select(Phase.id).where(Phase.dialogue_id == seeded.dialogue_ids["review"])
        ).first()
    edit_path = f"/admin/phases/{phase_id}/edit"
    fuzz_post(as_admin, fresh_limits, "phase edit", edit_path, edit_path, strategy, success=PREVIEW)
