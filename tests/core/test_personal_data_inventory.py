"""The personal-data inventory (dialog/accounts/privacy.py) covers every table that refers
to a person, and its export and erasure really do what it says.

A new table with a foreign key to user_account (or a column named like personal data:
email, ip_address, user_agent, ...) fails here until it is declared in INVENTORY and the
scenario below creates a row in it.
"""

from __future__ import annotations

import json

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from dialog.accounts import privacy, services, two_factor
from dialog.accounts.models import DataExport, User
from dialog.core import storage
from dialog.core.models import AuditEntry
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue, Visibility
from dialog.extensions import db as database
from dialog.moderation import services as moderation_services
from dialog.moderation.models import (
    Flag,
    FlagReason,
    ModerationDecision,
    RedactedOriginal,
    ReviewRequest,
)
from dialog.pages import services as page_services
from dialog.pages.models import AccessibilityFeedback, PageKind
from dialog.proposals import services as proposal_services
from dialog.proposals.models import Proposal, Stance, Vote, VoteValue
from dialog.reports import services as report_services


def test_every_table_that_refers_to_a_person_is_in_the_inventory(app):
    missing = privacy.undeclared_tables(database.metadata)
    assert not missing, "\n\n".join(missing)


def test_a_new_table_about_people_fails_with_what_to_add(app):
    """What the lead sees when, say, a two-step login table arrives undeclared."""
    metadata = sa.MetaData()
    sa.Table("user_account", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "user_totp",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.ForeignKey("user_account.id")),
        sa.Column("secret", sa.String(64)),
    )
    sa.Table("login_attempt", metadata, sa.Column("ip_address", sa.String(45)))
    [attempts, totp] = sorted(privacy.undeclared_tables(metadata))
    assert "'login_attempt'" in attempts and "ip_address (personal data)" in attempts
    assert "table 'user_totp' refers to a person (user_id → user_account.id)" in totp
    assert "'user_totp': Covered(export=rows_of(Model, 'user_id'" in totp
    assert "Retained(reason=" in totp and "test_personal_data_inventory.py" in totp


def test_every_ip_address_column_says_when_it_was_recorded(app):
    """The retention task empties IP addresses by age, so each needs its moment."""
    for table, column, recorded_with in privacy.ip_address_columns(database.metadata):
        assert recorded_with in table.columns, (
            f"{table.name}.{column.name}: add a created_at column, or name the column that "
            "says when the address was recorded in info={'ip_recorded_with': ...}"
        )


def test_the_inventory_names_only_tables_that_exist(app):
    assert set(privacy.INVENTORY) <= set(database.metadata.tables)


def test_every_retained_table_says_why(app):
    for table, entry in privacy.INVENTORY.items():
        if isinstance(entry, privacy.Retained):
            assert len(entry.reason) > 20, f"{table}: say why the data is kept"


# The scenario: one person with a row in every table of the inventory --------------------


@pytest.fixture
def person(app, ctx, make_dialogue, make_user):
    """A planner who also takes part: proposals, comments, votes, follows, invitations,
    a session, an export, answers, audit entries: every kind of row about a person."""
    other = database.session.get(User, make_user().id)
    user = database.session.get(
        User,
        make_user(
            role="planner",
            email="kim.karlsson@example.org",
            display_name="Kim Karlsson",
            district="hovsjo",
            age_band="30_44",
        ).id,
    )
    services.update_profile(user, pseudonym="Kimmen")
    dialogue = make_dialogue(
        "inventering",
        phases=(("proposals", -2, 24, {"capability_overrides": {"vote": True}}),),
        visibility=Visibility.invited,
    )
    dialogue = database.session.get(Dialogue, dialogue.id)
    services.start_session(user, user_agent="KimBrowser/1.0 (Kims laptop)")
    dialogue_services.assign_planner(dialogue, user, by=other)
    dialogue_services.follow(dialogue, user)
    [invitation] = dialogue_services.invite(dialogue, [user.email], by=other)
    dialogue_services.accept_invitation(invitation, user)
    dialogue_services.invite(dialogue, ["invited.by.kim@example.org"], by=user)
    proposal = proposal_services.create_proposal(
        dialogue, author=user, title="Kims förslag", body="Mer grönska"
    )
    entered = proposal_services.create_proposal(
        dialogue, author=None, entered_by=user, title="Från workshop", body="Lekplats"
    )
    proposal_services.add_comment(proposal, author=user, body="Jag håller med", stance=Stance.for_)
    proposal_services.cast_vote(user, entered, VoteValue.for_)
    moderation_services.flag(entered, by=user, reason=FlagReason.off_topic, text="Kims rapport")
    proposal_services.save_answer(entered, status=_accepted(), body="Ja", publish=True, by=user)
    services.request_email_change(user, "kim.new@example.org")
    secret = two_factor.pending_secret(user)
    assert two_factor.confirm_setup(user, pyotp.TOTP(secret).now())
    storage.save(b"bild", filename="kim.jpg", content_type="image/jpeg", uploaded_by_id=user.id)
    [to_someone] = dialogue_services.invite(dialogue, ["someone@example.org"], by=user)
    decided = dialogue_services.request_access(to_someone, other)
    dialogue_services.decide_access_request(decided, approve=True, by=user)
    elsewhere = database.session.get(
        Dialogue, make_dialogue("annanstans", visibility=Visibility.invited).id
    )
    [not_kims] = dialogue_services.invite(elsewhere, ["not.kim@example.org"], by=other)
    dialogue_services.request_access(not_kims, user)
    page_services.save_page(PageKind.terms, "sv", "Kommunens villkor", by=user)
    # A barrier reported logged in, one logged out with Kim's address, one by someone else.
    page_services.receive_feedback(
        description="Kartan går inte att använda",
        page_address="/d/inventering",
        email=None,
        user=user,
        locale="sv",
    )
    page_services.receive_feedback(
        description="Knappen syns inte",
        page_address=None,
        email="Kim.Karlsson@example.org",
        user=None,
        locale="sv",
    )
    page_services.receive_feedback(
        description="Texten är för liten",
        page_address=None,
        email="someone.else@example.org",
        user=None,
        locale="en",
    )
    _notify(user, other, proposal)  # before Kim is blocked, which stops such notices
    _moderate(user, entered, proposal, database.session.get(User, make_user(role="admin").id))
    report = report_services.request_report(dialogue, by=user)  # Kim, as its planner
    report_services.start(report.id)
    report_services.finish(report, {"totals": {}})
    report_services.publish(report, by=user)
    privacy.build_export(privacy.request_export(user).id)
    database.session.commit()
    return user


def _moderate(user, entered, own, admin):
    """Kim moderates one item, and is moderated: a redaction (its original kept apart),
    a review Kim asks for, a block; Kim adds a screened word."""
    moderation_services.hide(entered, by=user, reason="Utanför ämnet")
    redaction = moderation_services.redact(
        own, by=admin, reason="Ett telefonnummer", body="Mer grönska, ring [borttaget]"
    )
    moderation_services.request_review(redaction, by=user, reason="Numret var mitt eget")
    moderation_services.block(own, by=admin, reason="Personuppgifter igen", days=3)
    moderation_services.add_screened_word("kimsord", by=user)


def _notify(user, other, proposal):
    """Kim wants comments by email at once; someone comments on Kim's proposal."""
    from dialog.core.models import OutboxEvent
    from dialog.notifications import services as notification_services
    from dialog.notifications.models import Category, Frequency

    notification_services.set_frequencies(user, {Category.comments: Frequency.immediately})
    comment = proposal_services.add_comment(
        proposal, author=other, body="Bra förslag, Kim", stance=Stance.for_
    )
    event = database.session.scalar(
        select(OutboxEvent).where(OutboxEvent.key == f"comment:{comment.id}:added")
    )
    assert notification_services.fan_out(event.id, event.kind, event.payload) == 1


def _accepted():
    from dialog.proposals.models import AnswerStatus

    return AnswerStatus.accepted


def _rows_naming(user_id: int) -> dict[str, int]:
    """For every foreign key to user_account, how many rows point at the person."""
    found = {}
    for table in database.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "user_account" for fk in column.foreign_keys):
                n = database.session.scalar(
                    select(sa.func.count()).select_from(table).where(column == user_id)
                )
                if n:
                    found[f"{table.name}.{column.name}"] = n
    return found


def _text_mentioning(needles: list[str]) -> list[str]:
    """Every text or JSON value, outside the retained tables, that contains a needle."""
    found = []
    for table in database.metadata.sorted_tables:
        if isinstance(privacy.INVENTORY.get(table.name), privacy.Retained):
            continue
        columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text | sa.JSON)]
        for row in database.session.execute(select(*columns)) if columns else []:
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, dict | list):
                    value = json.dumps(value, ensure_ascii=False)
                text = str(value or "")
                hits = [n for n in needles if n.lower() in text.lower()]
                if hits:
                    found.append(f"{table.name}.{column.name} contains {hits}")
    return found


def test_the_scenario_puts_a_row_about_the_person_in_every_covered_table(person):
    export = privacy.compile_export(person)
    empty = [
        table
        for table, entry in privacy.INVENTORY.items()
        if entry.export is not None and not export["sections"][table]
    ]
    assert not empty, (
        f"the scenario creates no row about the person in {empty}: add one to the `person` "
        "fixture, so that export and erasure of those tables are tested"
    )


def test_the_export_holds_everything_about_the_person_and_no_secret(person):
    export = privacy.compile_export(person)
    sections = export["sections"]
    assert sections["user_account"][0]["email"] == "kim.karlsson@example.org"
    assert sections["user_account"][0]["district"] == "hovsjo"
    assert sections["user_session"][0]["user_agent"].startswith("KimBrowser")
    assert {p["title"] for p in sections["proposal"]} == {"Kims förslag", "Från workshop"}
    assert sections["comment"][0]["body"] == "Jag håller med"
    assert sections["vote"][0]["value"] == "for"
    assert (sections["flag"][0]["reason"], sections["flag"][0]["text"]) == (
        "off_topic",
        "Kims rapport",
    )
    assert {d["action"] for d in sections["moderation_decision"]} == {"hide", "redact", "block"}
    assert sections["review_request"][0]["reason"] == "Numret var mitt eget"
    assert sections["redacted_original"][0]["text"] == "Mer grönska"
    assert sections["author_block"][0]["user_id"] == person.id
    assert sections["screened_word"][0]["word"] == "kimsord"
    assert sections["stored_file"][0]["filename"] == "kim.jpg"
    assert sections["two_factor_credential"][0]["enabled_at"]
    assert "secret_encrypted" not in sections["two_factor_credential"][0]
    assert len(sections["recovery_code"]) == 10
    assert all("code_hash" not in code for code in sections["recovery_code"])
    assert "data" not in sections["stored_file"][0]
    assert len(sections["access_request"]) == 2  # the one Kim asked, the one Kim decided
    # Kim's own invitation in full; the two Kim sent say so, not to whom (art. 15(4)).
    [own, *sent] = sections["invitation"]
    assert own["email"] == "kim.karlsson@example.org" and own["user_id"] == person.id
    assert len(sent) == 2
    assert all(i["invited_by_id"] == person.id and "email" not in i for i in sent)
    assert all("user_id" not in i for i in sent)
    assert "invited.by.kim@" not in json.dumps(export) and "someone@" not in json.dumps(export)
    assert not any("token_nonce" in i for i in sections["invitation"])
    assert {"email_change_requested", "data_export_requested", "answer_published"} <= {
        a["action"] for a in sections["audit_entry"]
    }
    assert sections["legal_page"][0]["body"] == "Kommunens villkor"
    assert {f["description"] for f in sections["accessibility_feedback"]} == {
        "Kartan går inte att använda",
        "Knappen syns inte",
    }
    text = json.dumps(export)
    assert "password_hash" not in text and "token_hash" not in text
    # Every table of the inventory is in the document, with what erasure does to it.
    assert set(export["what_happens_on_erasure"]) == set(privacy.INVENTORY)


def test_erasure_leaves_nothing_that_names_the_person(person):
    user_id = person.id
    counts_before = database.session.execute(
        select(Proposal.id, Proposal.votes_for).order_by(Proposal.id)
    ).all()
    needles = [
        "kim.karlsson@example.org",
        "kim.new@example.org",
        "Kim Karlsson",
        "Kimmen",
        "KimBrowser",
    ]
    # The scenario does name them, in links and in text.
    assert _rows_naming(user_id) and len(_text_mentioning(needles)) >= 5
    privacy.erase(person, by=person, reason="requested")
    database.session.commit()

    remaining = {
        where: n for where, n in _rows_naming(user_id).items() if where != "user_account.id"
    }
    assert remaining == {}, f"rows still point at the erased person: {remaining}"
    assert _text_mentioning(needles) == []
    # The audit log is kept, so it holds ids, never the addresses or names of people.
    logged = database.session.execute(select(AuditEntry.details, AuditEntry.reason)).all()
    log_text = json.dumps([list(row) for row in logged], ensure_ascii=False).lower()
    assert [n for n in needles if n.lower() in log_text] == []
    erased = database.session.get(User, user_id)
    assert (erased.district, erased.age_band, erased.is_active) == (None, None, False)
    assert erased.is_anonymised
    # Contributions stay as public records, and votes keep counting.
    assert (
        database.session.execute(
            select(Proposal.id, Proposal.votes_for).order_by(Proposal.id)
        ).all()
        == counts_before
    )
    assert database.session.scalar(select(sa.func.count()).select_from(Vote)) == 1
    # A report keeps counting towards the threshold, from nobody, without Kim's words.
    assert database.session.execute(select(Flag.flagger_id, Flag.reason, Flag.text)).all() == [
        (None, FlagReason.off_topic, None)
    ]
    # Decisions stay, naming nobody; the words a redaction took out of Kim's text are gone.
    decisions = database.session.execute(
        select(ModerationDecision.author_id, ModerationDecision.moderator_id)
    ).all()
    assert len(decisions) == 3 and all(user_id not in row for row in decisions)
    assert database.session.scalar(select(sa.func.count()).select_from(RedactedOriginal)) == 0
    # The review Kim asked for stays, without Kim or Kim's reasons.
    assert database.session.execute(
        select(ReviewRequest.requested_by_id, ReviewRequest.reason)
    ).all() == [(None, "")]
    assert database.session.scalar(select(DataExport.id)) is None
    # Reported barriers stay, to be fixed; Kim's no longer say who reported them.
    reports = database.session.execute(
        select(AccessibilityFeedback.email, AccessibilityFeedback.user_id).order_by(
            AccessibilityFeedback.id
        )
    ).all()
    assert reports == [(None, None), (None, None), ("someone.else@example.org", None)]
    assert services.authenticate("kim.karlsson@example.org", "correct horse battery staple") is None


def test_erasure_deletes_the_files_of_earlier_exports(person):
    from dialog.core.models import StoredFile

    export = database.session.scalar(select(DataExport).where(DataExport.user_id == person.id))
    key = database.session.get(StoredFile, export.file_id).key
    privacy.erase(person, by=person, reason="requested")
    database.session.commit()
    assert storage.get(key) is None
