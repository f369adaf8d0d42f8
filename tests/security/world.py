"""One seeded world for the security harness, built once per module and never committed.

The whole module runs inside one outer transaction on one connection; each check runs in
a savepoint of its own that is rolled back afterwards, so a POST that deletes a phase or
changes a password leaves the next check the same world. The people log in once, while
the world is built; a check starts a fresh test client from the session cookie they got
then (a logout in one check cannot log them out of the next).
"""

from __future__ import annotations

import hashlib
import io
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pyotp
from PIL import Image
from sqlalchemy import event

from dialog.accounts.two_factor_views import PENDING_KEY
from tests import factories
from tests.support import CSRF_PATTERN, PASSWORD, log_in

# The people every route is visited as; "demoted" was a planner of the dialogue until an
# administrator lowered their role to resident. The planner has two-step login on; the
# anonymous visitor is half-way through logging in as "target" (who has it on too): the
# password given, the code not yet.
ROLES = (
    "anonymous",
    "unverified",
    "resident",
    "author",
    "planner",
    "other_planner",
    "demoted",
    "admin",
)

# Whose two-step login is on; their codes are the `{planner_code}` and `{target_code}` of
# the paths and forms.
TWO_FACTOR = ("planner", "target")

# Who has voted in each dialogue: everyone confirmed who sees it.
CONFIRMED = ("resident", "author", "planner", "other_planner", "demoted", "admin")
VOTERS = {"a": CONFIRMED, "b": CONFIRMED, "hidden": ("planner", "admin")}

# Every phase of both dialogues allows everything a phase can allow, so the person, not
# the schedule, decides each answer.
EVERYTHING = {"vote": True, "answer": True, "revise": True, "show_results": True}


@dataclass
class Visitor:
    """A person's session cookie and a CSRF token valid for it; `pending` is the code
    step of a login under way, kept in that cookie."""

    name: str
    cookie: str | None
    csrf: str
    user_id: int | None = None
    pending: dict | None = None


@dataclass
class World:
    app: object
    connection: object
    baseline: dict[str, str] = field(default_factory=dict)  # a digest per table
    writes: list[str] = field(default_factory=list)
    visitors: dict[str, Visitor] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)
    totp: dict[str, pyotp.TOTP] = field(default_factory=dict)
    # The ids a route's path names, per dialogue: "a" (public, the planner's), "b" (public,
    # the other planner's) and "hidden" (a draft only the planner and admins see).
    ids: dict[str, dict[str, object]] = field(default_factory=dict)

    def client(self, who: str):
        """A fresh test client carrying `who`'s session."""
        client = self.app.test_client()
        visitor = self.visitors[who]
        if visitor.cookie is not None:
            client.set_cookie(self.app.config["SESSION_COOKIE_NAME"], visitor.cookie)
        if visitor.pending is not None:
            # The code step lasts TWO_FACTOR_PENDING_MINUTES: it starts afresh each visit.
            with client.session_transaction() as session:
                session[PENDING_KEY] = {**visitor.pending, "at": int(time.time())}
        return client

    def codes(self) -> dict[str, str]:
        """The current code of each person with two-step login."""
        return {f"{name}_code": totp.now() for name, totp in self.totp.items()}

    def csrf(self, who: str) -> str:
        return self.visitors[who].csrf

    @contextmanager
    def check(self):
        """A savepoint rolled back after the check; rate limits and caches start empty."""
        from dialog.extensions import cache, db, limiter

        nested = self.connection.begin_nested()
        with self.app.app_context():
            limiter.reset()
            cache.clear()
        self.writes = []
        event.listen(self.connection, "before_cursor_execute", self._note_write)
        try:
            yield
        finally:
            event.remove(self.connection, "before_cursor_execute", self._note_write)
            with self.app.app_context():
                db.session.remove()
            nested.rollback()

    def _note_write(self, _conn, _cursor, statement, *_args) -> None:
        if WRITE.match(statement) and not VISIT_TRACE.search(statement):
            self.writes.append(statement)

    def unchanged(self) -> bool:
        """Whether the stored rows are as seeded: only worth reading after a write was
        sent (one that a refusal then rolled back is fine), and only in the tables the
        writes named (a cascade or trigger changes others only along with those)."""
        if not self.writes:
            return True
        tables = {written_table(statement) for statement in self.writes}
        if None in tables:  # a statement whose table is not plain to see: all of them
            tables = set(self.baseline)
        now = fingerprint(self.app, tables)
        return all(now[table] == self.baseline[table] for table in now)

    def changed(self) -> bool:
        """Whether the check stored something: a write was sent and the rows differ."""
        return not self.unchanged()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


@contextmanager
def outer_transaction(app):
    """Bind the app's sessions to one connection whose transaction is rolled back at the
    end; the app's commits become savepoints (as the `db` fixture does, for a module)."""
    from dialog.extensions import cache, db, limiter

    with app.app_context():
        engine = db.engine
        connection = engine.connect()
        transaction = connection.begin()
        engines = db._app_engines[app]
        engines[None] = connection
        db.session.remove()
        factory_options = dict(db.session.session_factory.kw)
        db.session.configure(join_transaction_mode="create_savepoint")
        limiter.reset()
        cache.clear()
    try:
        yield connection
    finally:
        with app.app_context():
            db.session.remove()
            db.session.session_factory.kw.clear()
            db.session.session_factory.kw.update(factory_options)
            cache.clear()
        engines[None] = engine
        transaction.rollback()
        connection.close()


def build(app, connection) -> World:
    """The people, two public dialogues and a draft one, with their objects."""
    world = World(app=app, connection=connection)
    make_user = factories.UserFactory(app)
    for name in ROLES[1:]:
        role = {"planner": "planner", "other_planner": "planner", "demoted": "planner"}.get(
            name, "admin" if name == "admin" else "resident"
        )
        world.users[name] = make_user(
            role=role, verified=name != "unverified", email=f"{name}@example.org"
        )
    world.users["target"] = make_user(email="target@example.org")
    with app.app_context():
        _build_dialogues(app, world)
    for name in ROLES:
        world.visitors[name] = _visitor(app, world, name)
    # Turned on once everyone is logged in: the planner's session is a completed login.
    with app.app_context():
        for name in TWO_FACTOR:
            world.totp[name] = _two_factor_on(world.users[name])
    world.visitors["anonymous"] = _half_logged_in(app, world, "target")
    return world


def _two_factor_on(user) -> pyotp.TOTP:
    """Two-step login set up the way the setup page does it, confirmed with the code of
    the step before now, so that the current code is still unused."""
    from dialog.accounts import two_factor
    from dialog.accounts.models import User
    from dialog.extensions import db

    person = db.session.get(User, user.id)
    totp = pyotp.TOTP(two_factor.pending_secret(person))
    assert two_factor.confirm_setup(person, totp.at(time.time() - totp.interval))
    db.session.commit()
    return totp


def _half_logged_in(app, world: World, name: str) -> Visitor:
    """A visitor who gave `name`'s password: the login page asks for the code next."""
    client = app.test_client()
    page = client.get("/login")
    token = CSRF_PATTERN.search(page.get_data(as_text=True)).group(1)
    response = client.post(
        "/login",
        data={"email": world.users[name].email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.location.endswith("/login/code"), f"{name} was not asked for a code"
    with client.session_transaction() as session:
        pending = dict(session[PENDING_KEY])
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return Visitor(name="anonymous", cookie=cookie.value, csrf=token, pending=pending)


def _build_dialogues(app, world: World) -> None:
    from dialog.accounts import services as accounts
    from dialog.accounts.models import Role, User
    from dialog.core import images
    from dialog.core.timezone import to_local
    from dialog.dialogues import services
    from dialog.dialogues.models import DialogueState
    from dialog.extensions import db
    from dialog.proposals import services as votes
    from dialog.proposals.models import VoteValue

    build = factories.Factories(app)
    people = {name: db.session.get(User, user.id) for name, user in world.users.items()}
    # To the minute, so a phase form filled with these times saves the same schedule.
    base = build.now.replace(second=0)
    times = [base + timedelta(hours=h) for h in (-1, 24, 48, 72, 96)]
    phases = (
        ("proposals", times[0], times[1], {"capability_overrides": EVERYTHING}),
        ("dialogue", times[1], times[2], {"capability_overrides": EVERYTHING}),
    )
    staff = {"a": ["planner", "demoted"], "b": ["other_planner"], "hidden": ["planner"]}
    for key, slug, fields in (
        ("a", "alfa", {}),
        ("b", "beta", {}),
        ("hidden", "dold", {"state": DialogueState.draft}),
    ):
        dialogue = build.make_dialogue(slug, phases=phases, **fields)
        for name in staff[key]:
            services.assign_planner(dialogue, people[name], by=people["admin"])
        [invitation] = services.invite(dialogue, [f"guest-{slug}@example.org"], by=people["admin"])
        # Someone with the link but another address asks to be let in; staff decide.
        access_request = services.request_access(invitation, people["target"])
        attachment = services.add_attachment(
            dialogue,
            data=png(),
            filename="karta.png",
            title="Karta",
            alt_text="Karta över området",
            by=people["admin"],
        )
        image = images.store(png(), "bild.png")
        proposal = build.make_proposal(dialogue, people["author"], image_id=image.id)
        fresh = build.make_proposal(dialogue, people["author"], title="Ny parkbänk")
        voted = build.make_proposal(dialogue, people["author"], title="Fler cykelställ")
        comment = build.make_comment(proposal, people["author"], "Gärna med ryggstöd")
        moderated = _moderated_comments(build, proposal, people)
        # Everyone who may vote here has voted for it: changing or withdrawing a vote
        # then stores something wherever it is allowed.
        for name in VOTERS[key]:
            votes.cast_vote(people[name], voted, VoteValue.for_)
        if key == "a":
            # The author follows the dialogue: following it again stores nothing, and
            # unfollowing it is theirs to do.
            services.follow(dialogue, people["author"])
        db.session.commit()
        current, future = sorted(dialogue.phases, key=lambda p: p.starts_at)
        world.ids[key] = {
            "slug": slug,
            "dialogue_id": dialogue.id,
            "proposal": proposal.id,
            "fresh_proposal": fresh.id,
            "voted_proposal": voted.id,
            "comment": comment.id,
            **moderated,
            "phase": current.id,
            "future_phase": future.id,
            "invitation": invitation.id,
            "attachment": attachment.id,
            "access_request": access_request.id,
            "invitation_token": services.invitation_token(invitation),
            "planner_id": people[staff[key][0]].id,
            "report": _failed_report(dialogue, people["admin"]),
            "done_report": _published_report(dialogue, people["admin"]),
        }
    # Demoted the way an administrator does it, after being assigned to dialogue "a".
    accounts.set_role(people["demoted"], Role.resident, by=people["admin"], reason="Slutat")
    local = [to_local(moment).strftime("%Y-%m-%dT%H:%M") for moment in times]
    target = people["target"]
    unverified = people["unverified"]
    shared = {
        "user": target.id,
        # A session of someone else's: nobody but "target" may end it.
        "session": _session_of(target),
        # The resident's own copy of their data, built as the worker builds it.
        "export_token": _built_export(people["resident"]),
        "reset_token": accounts._serializer("reset-password").dumps(
            {"uid": target.id, "fp": accounts._state_fingerprint(target)}
        ),
        "verify_token": accounts._serializer("verify-email").dumps(
            {
                "uid": unverified.id,
                "email": unverified.email,
                "fp": accounts._state_fingerprint(unverified),
            }
        ),
        "word": _screened_word(people["admin"]),
        "notification": _notification_of(people["author"], world.ids["a"]["proposal"]),
        "unsubscribe_token": _unsubscribe_token(people["author"]),
        "dead_mail": _dead_mail(people["author"]),
        "given_up": _given_up_delivery(),
        "future_start": local[1],
        "future_end": local[2],
        "later_start": local[3],
        "later_end": local[4],
    }
    db.session.commit()
    for ids in world.ids.values():
        ids.update(shared)


def _moderated_comments(build, proposal, people) -> dict[str, int]:
    """The author's comments as the moderators left them: one held by a report (to
    approve or dismiss), one an administrator hid and the author asked to have reviewed
    (to restore or review), one hidden with no review asked for yet (the author may)."""
    from dialog.extensions import db
    from dialog.moderation import services as moderation
    from dialog.moderation.models import FlagReason, ReviewRequest

    held = build.make_comment(proposal, people["author"], "Ring mig på 070-1234567")
    proposal.dialogue.flag_threshold = 1
    moderation.flag(held, by=people["resident"], reason=FlagReason.personal_data, text=None)
    proposal.dialogue.flag_threshold = 3
    hidden = build.make_comment(proposal, people["author"], "Reklam för min firma")
    hid = moderation.hide(hidden, by=people["admin"], reason="Reklam")
    # Written directly: in the draft dialogue the author cannot ask (nor see it) now, but
    # may have asked while it was published.
    db.session.add(
        ReviewRequest(
            decision_id=hid.id, requested_by_id=people["author"].id, reason="Ingen reklam"
        )
    )
    unreviewed = build.make_comment(proposal, people["author"], "Köp hos oss")
    decision = moderation.hide(unreviewed, by=people["admin"], reason="Reklam")
    return {
        "held_comment": held.id,
        "hidden_comment": hidden.id,
        "unreviewed_comment": unreviewed.id,
        "decision": decision.id,
    }


def _notification_of(person, proposal_id: int) -> int:
    from dialog.extensions import db
    from dialog.notifications.models import Category, Notification
    from dialog.proposals.models import Proposal

    notification = Notification(
        user_id=person.id,
        category=Category.comments,
        kind="comment_on_proposal",
        dialogue_id=db.session.get(Proposal, proposal_id).dialogue_id,
        proposal_id=proposal_id,
    )
    db.session.add(notification)
    db.session.flush()
    return notification.id


def _failed_report(dialogue, admin) -> int:
    """A report version whose worker stopped: its page, its progress and a retry."""
    from dialog.reports import services as reports

    report = reports.request_report(dialogue, by=admin)
    reports.start(report.id)
    reports.fail(report, reports.STOPPED)
    return report.version


def _published_report(dialogue, admin) -> int:
    """A finished version, published: its files, publishing it again, withdrawing it."""
    from dialog.reports import services as reports
    from dialog.reports.compiling import compile_report, without_people

    report = reports.request_report(dialogue, by=admin)
    reports.start(report.id)
    reports.finish(report, without_people(compile_report(dialogue)))
    reports.publish(report, by=admin)
    return report.version


def _unsubscribe_token(person) -> str:
    from dialog.notifications.models import Category
    from dialog.notifications.sending import unsubscribe_token

    return unsubscribe_token(person.id, [Category.comments])


def _dead_mail(person) -> int:
    from dialog.extensions import db
    from dialog.notifications.models import Channel, Delivery, DeliveryStatus

    delivery = Delivery(
        user_id=person.id,
        channel=Channel.digest,
        digest_key="daily:2026-12-01",
        status=DeliveryStatus.dead,
        attempts=8,
        last_error="SMTPDataError: 451 Try later",
    )
    db.session.add(delivery)
    db.session.flush()
    return delivery.id


def _given_up_delivery() -> int:
    from dialog.core import outbox
    from dialog.core.models import OutboxDelivery, OutboxStatus
    from dialog.extensions import db

    fact = outbox.record("email", "email:given-up", {"to": "x@example.org", "template": "x"})
    [delivery] = db.session.scalars(
        db.select(OutboxDelivery).where(OutboxDelivery.event_id == fact.id)
    ).all()
    delivery.status = fact.status = OutboxStatus.failed
    delivery.attempts = 12
    db.session.flush()
    return delivery.id


def _screened_word(admin) -> int:
    from dialog.extensions import db
    from dialog.moderation import services as moderation
    from dialog.moderation.models import ScreenedWord

    moderation.add_screened_word("skräpord", by=admin)
    return db.session.scalar(db.select(ScreenedWord.id))


def _session_of(person) -> int:
    from dialog.accounts import services as accounts
    from dialog.accounts.models import UserSession
    from dialog.extensions import db

    token = accounts.start_session(person, user_agent="Firefox", ip="192.0.2.10")
    return db.session.scalar(
        db.select(UserSession.id).where(UserSession.token_hash == accounts._token_hash(token))
    )


def _built_export(person) -> str:
    from dialog.accounts import privacy

    export = privacy.request_export(person)
    privacy.build_export(export.id)
    return privacy.export_token(export)


def _visitor(app, world: World, name: str) -> Visitor:
    client = app.test_client()
    user = world.users.get(name)
    if user is not None:
        response = log_in(client, user.email, PASSWORD)
        assert response.status_code == 302, f"{name} could not log in"
    page = client.get("/login" if user is None else "/profile")
    token = CSRF_PATTERN.search(page.get_data(as_text=True)).group(1)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return Visitor(
        name=name,
        cookie=cookie.value if cookie else None,
        csrf=token,
        user_id=user.id if user else None,
    )


def fingerprint(app, tables: set[str] | None = None) -> dict[str, str]:
    """A digest of the stored rows of each table (of `tables`, or all) but the time a
    visit touches (a session's last use): a refused request must leave them unchanged,
    a request that was carried out not."""
    import sqlalchemy as sa

    from dialog.extensions import db

    digests = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if tables is not None and table.name not in tables:
                continue
            digest = hashlib.sha256()
            columns = [c for c in table.columns if (table.name, c.name) not in VISIT_TOUCHES]
            order = list(table.primary_key.columns) or columns
            for row in db.session.execute(sa.select(*columns).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
            digests[table.name] = digest.hexdigest()
        db.session.remove()
    return digests


def written_table(statement: str) -> str | None:
    """The table an INSERT, UPDATE or DELETE writes to."""
    match = WRITTEN_TABLE.match(statement)
    return match.group(1).lower() if match else None


# A visit's own trace: the session's time of last use (a session ended is a change).
VISIT_TOUCHES = {("user_session", "last_seen_at")}
WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
WRITTEN_TABLE = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)\"?", re.IGNORECASE
)
VISIT_TRACE = re.compile(
    r"^\s*UPDATE\s+\"?user_session\"?\s+SET\s+last_seen_at=[^,]*\sWHERE\b", re.IGNORECASE
)
