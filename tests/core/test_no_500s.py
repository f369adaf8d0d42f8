"""Every page, asked with odd parameters by anyone, answers without a server error."""

import re

import pytest

from dialog.proposals.models import Stance
from tests.factories import LIVE
from tests.support import csrf_token

HUGE = 10**20  # beyond any 64-bit integer column

JUNK = [
    "",
    "?page=-1",
    "?page=abc&per_page=%00",
    "?sort=%27;drop&theme=%25&dimension=_",
    "?q=%22%27%3Cscript%3E&status=x&place=%00",
    "?comments_page=99999",
    f"?page={HUGE}&comments_page={HUGE}&per_page={HUGE}",
    "?lang=xx&next=//evil",
    "?actor=%00&action=%22&object_type=x&object_id=-1&since=0001-01-01&until=99999-01-01",
]


@pytest.fixture
def route_values(make_dialogue, make_proposal, make_comment, make_user):
    """A value for every kind of URL parameter, most of them rows that exist."""

    def build():
        dialogue = make_dialogue(phases=LIVE)
        proposal = make_proposal(dialogue, title="T", body="B")
        make_user()  # user_id 1 below: a resident who is not the comment's author
        comment = make_comment(proposal, make_user(), "C", stance=Stance.neutral)
        return {
            "slug": dialogue.slug,
            "dialogue_id": dialogue.id,
            "phase_id": dialogue.phases[0].id,
            "proposal_id": proposal.id,
            "comment_id": comment.id,
            "user_id": 1,
            "token": "forged.token",
            "filename": "leaflet.css",
            "invitation_id": 1,
            "request_id": 1,
            "decision": "approve",
            "decision_id": 1,
            "key": f"p{proposal.id}",
            "word_id": 1,
            "session_id": 1,
            "notification_id": 1,
            "delivery_id": 1,
            "state": "published",
            "action": "open",
            "kind": "terms",
            "language": "sv",
            "version": 1,
            "code": "glasberga",
            "direction": "up",
            "file_format": "json",
            "name": "logo",
            "attachment_id": 1,
            "section": "proposals",
        }

    return build


def _fitted(rule, values: dict) -> dict:
    """The values the rule takes; a part that takes one of a few words (`<any(a, b):x>`)
    gets its first word when the shared value is not one of them."""
    arguments = {k: v for k, v in values.items() if k in rule.arguments}
    for words, name in re.findall(r"<any\(([^)]*)\):(\w+)>", rule.rule):
        choices = [word.strip() for word in words.split(",")]
        if arguments.get(name) not in choices:
            arguments[name] = choices[0]
    return arguments


@pytest.mark.parametrize("role", ["anonymous", "resident", "planner", "admin"])
def test_no_get_route_answers_500(app, client, ctx, db, make_user, login, role, route_values):
    values = route_values()
    if role != "anonymous":
        login(make_user(role=role))
    failures = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "accounts.logout"):
            continue
        path = rule.build(_fitted(rule, values), append_unknown=False)[1]
        for junk in JUNK:
            with client.get(path + junk) as response:  # closed: a file it serves, too
                if response.status_code >= 500:
                    failures.append(f"{path}{junk} -> {response.status_code}")
        huge_ids = re.sub(r"<int:\w+>", str(HUGE), rule.rule)
        if huge_ids != rule.rule and "<" not in huge_ids:
            with client.get(huge_ids) as response:
                if response.status_code >= 500:
                    failures.append(f"{huge_ids} -> {response.status_code}")
    assert failures == []


JUNK_FORMS = [
    {},
    {
        "value": "maybe",
        "stance": "sideways",
        "status": "done",
        "source": "pigeon",
        "role": "emperor",
        "kind": "party",
        "state": "liquid",
        "dimensions": ["cultural"],
        "theme": "x" * 5000,
        "title": "x" * 100_000,
        "body": "<script>alert(1)</script>" * 500,
        "place_lat": "1e400",
        "place_lon": "nan",
        "starts_at": "2026-13-45T25:61",
        "ends_at": "yesterday",
        "votes_per_participant": str(HUGE),
        "user_id": str(HUGE),
        "emails": "not an address\n" * 50,
        "email": "@",
        "password": "",
        "reason": "",
        # Two-step login, deletion, the audit filters and the reset on the role page
        "code": "１２３４５６" * 1000,
        "current_password": "x" * 100_000,
        "off-current_password": "\u202e" * 5000,
        "codes-current_password": "",
        "understood": "perhaps",
        "reset-reason": "x" * 100_000,
        "actor": "x" * 5000,
        "object_id": str(HUGE),
        "since": "0001-01-01",
        "until": "9999-12-31",
    },
]


@pytest.mark.parametrize("role", ["anonymous", "resident", "planner", "admin"])
def test_no_post_route_answers_500(app, client, ctx, db, make_user, login, role, route_values):
    values = route_values()
    if role != "anonymous":
        login(make_user(role=role))
    token = csrf_token(client, "/login" if role == "anonymous" else "/profile")
    failures = []
    for rule in app.url_map.iter_rules():
        # Logging out (here or everywhere) would turn the rest of the run anonymous.
        logs_out = ("accounts.logout", "accounts.end_session", "accounts.end_all_sessions")
        if "POST" not in rule.methods or rule.endpoint in logs_out:
            continue
        arguments = {k: v for k, v in values.items() if k in rule.arguments}
        if "follow" in rule.rule:
            arguments["action"] = "follow"
        if (
            words := re.search(r"<any\(([^)]*)\):action>", rule.rule)
        ) and "follow" not in rule.rule:
            arguments["action"] = words.group(1).split(",")[0].strip()  # e.g. a moderator's action
        path = rule.build(arguments, append_unknown=False)[1]
        for form in JUNK_FORMS:
            response = client.post(path, data={"csrf_token": token, **form})
            if response.status_code >= 500:
                failures.append(f"POST {path} {sorted(form)[:3]} -> {response.status_code}")
    assert failures == []
