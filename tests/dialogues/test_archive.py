"""`flask export-dialogue` and `flask import-dialogue`: a dialogue with every kind of
content goes out as one archive and comes back under a new address with the same report;
people appear by reference only unless asked; a damaged archive creates nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dialog.accounts.models import User, participant_reference
from dialog.core.db import one_snapshot
from dialog.dialogues import archive
from dialog.dialogues import services as dialogues
from dialog.dialogues.models import Dialogue, DialoguePlanner, Invitation, VoteMode
from dialog.extensions import db
from dialog.moderation import services as moderation
from dialog.moderation.models import FlagReason
from dialog.proposals import services as proposals
from dialog.proposals.models import (
    AnswerStatus,
    Comment,
    Dimension,
    Proposal,
    Source,
    Stance,
    VoteValue,
)
from dialog.reports.compiling import compile_report
from tests.reports.camps import vote_in_camps

FOR, AGAINST, ABSTAIN = VoteValue.for_, VoteValue.against, VoteValue.abstain
VOTING = (("proposals", -48, -1), ("voting", -1, 24, {"capability_overrides": {"comment": True}}))
AREA = {
    "type": "Polygon",
    "coordinates": [
        [[17.60, 59.19], [17.66, 59.19], [17.66, 59.22], [17.60, 59.22], [17.60, 59.19]]
    ],
}
REDACTED = "070-123 45 67"
LETTER_SENDER = "Ingrid Holmqvist"
# What names the dialogue itself in a report, and the moment it was compiled.
NAMING_THE_DIALOGUE = ("generated_at", "dialogue", "title")


def _districts(app) -> list[str]:
    """Two districts people can hold on this installation."""
    from dialog.districts import services as districts
    from dialog.districts.models import District

    with app.app_context():
        for code, name in (("centrum", "Centrum"), ("hovsjo", "Hovsjö")):
            districts.add_district(code, name, by=None)
        db.session.commit()
        return list(db.session.scalars(select(District.code).order_by(District.position).limit(2)))


@pytest.fixture
def full(app, committed_db, make_dialogue, make_user, make_proposal, make_comment, cast_vote):
    """A dialogue holding every kind of content the archive carries."""
    centrum, other = _districts(app)
    dialogue = make_dialogue(
        "hela",
        phases=VOTING,
        themes=["Trygghet", "Grönska"],
        focus_areas=["Torget"],
        named_places=["Stora torget", "Kanalen"],
        place_name="Centrum",
        place_lat=59.2,
        place_lon=17.63,
        place_area=AREA,
        background="Bakgrund",
        flag_threshold=5,
    )
    admin = make_user(role="admin", display_name="Ada Admin", email="ada@kommun.example")
    planner = make_user(role="planner", display_name="Per Planerare", email="per@kommun.example")
    people = [
        make_user(
            display_name=f"Invånare {n}",
            email=f"invanare{n}@example.org",
            district=(centrum, other, None)[n % 3],
            age_band=("18_29", "30_44", "65_79", None)[n % 4],
        )
        for n in range(11)
    ]
    polis = make_user(display_name="Polis 7", email="hela-7@polis.invalid", external_id="7")
    with app.app_context():
        staff = db.session.get(User, admin.id)
        dialogues.assign_planner(db.session.get(Dialogue, dialogue.id), planner, by=staff)
        dialogues.invite(db.session.get(Dialogue, dialogue.id), ["gast@example.org"], by=staff)
        for person in people[:3]:
            dialogues.follow(db.session.get(Dialogue, dialogue.id), person)
        db.session.commit()

    benches = make_proposal(
        dialogue,
        people[0],
        title="Bänkar vid kanalen",
        theme="Trygghet",
        focus_area="Torget",
        dimensions=[Dimension.social.value, Dimension.economic.value],
        place_name="Kanalen",
        place_lat=59.201,
        place_lon=17.631,
    )
    trees = make_proposal(
        dialogue, people[1], title="Träd", theme="Grönska", dimensions=["ecological"]
    )
    letter = make_proposal(
        dialogue,
        None,
        title="Brevet",
        source=Source.letter,
        entered_by=planner,
        place_name="Stora torget",
        sender_name=LETTER_SENDER,
        received_on=date(2026, 11, 30),
        case_number="KS 2026/123",
    )
    hidden = make_proposal(dialogue, people[2], title="Dold", place_lat=59.21, place_lon=17.64)
    withdrawn = make_proposal(dialogue, people[3], title="Återtaget")
    for n, person in enumerate([*people, polis]):
        cast_vote(benches, person, AGAINST if n == 5 else FOR)
        cast_vote(trees, person, (FOR, AGAINST, ABSTAIN)[n % 3])
        cast_vote(letter, person, FOR if n % 2 else AGAINST)
    cast_vote(hidden, people[4], FOR)
    first = make_comment(trees, people[3], "Ja, fler träd", stance=Stance.for_)
    reply = make_comment(trees, people[4], "Nej", stance=Stance.against, parent=first)
    make_comment(trees, people[5], "Kanske", stance=Stance.neutral, parent=reply)
    make_comment(benches, people[6], "Bra", stance=Stance.for_)
    rude = make_comment(benches, people[5], "Dumt", stance=Stance.against)
    private = make_comment(benches, people[1], f"Ring mig på {REDACTED}", stance=Stance.neutral)
    gone = make_comment(letter, people[2], "Tar bort", stance=Stance.neutral)
    with app.app_context():
        staff = db.session.get(User, admin.id)
        get = db.session.get
        moderation.flag(
            get(Comment, rude.id),
            by=get(User, people[0].id),
            reason=FlagReason.offensive,
            text="Otrevligt",
        )
        moderation.flag(
            get(Proposal, hidden.id), by=get(User, people[1].id), reason=FlagReason.spam, text=None
        )
        moderation.flag(
            get(Proposal, trees.id),
            by=get(User, people[2].id),
            reason=FlagReason.off_topic,
            text=None,
        )
        moderation.hide(get(Comment, rude.id), by=staff, reason="Kränkande")
        hid = moderation.hide(get(Proposal, hidden.id), by=staff, reason="Reklam")
        moderation.dismiss(get(Proposal, trees.id), by=staff)
        moderation.redact(
            get(Comment, private.id), by=staff, reason="Telefonnummer", body="Ring mig"
        )
        moderation.block(get(Comment, rude.id), by=staff, reason="Upprepat", days=7)
        moderation.request_review(hid, by=get(User, people[2].id), reason="Det var inte reklam")
        proposals.delete_comment(get(Comment, gone.id), by=get(User, people[2].id))
        proposals.withdraw_proposal(
            get(Proposal, withdrawn.id), by=get(User, people[3].id), reason="Ändrat mig"
        )
        proposals.follow(get(Proposal, letter.id), get(User, people[6].id))
        db.session.commit()
    make_answer_for = _answer(app, admin)
    make_answer_for(benches, AnswerStatus.accepted, "Vi ställer ut bänkar.", publish=True)
    make_answer_for(trees, AnswerStatus.under_review, "Vi utreder.", publish=False)
    _support_vote(app, letter, people[6])
    return dialogue


def _answer(app, admin):
    def answer(proposal, status, body, *, publish):
        with app.app_context():
            proposals.save_answer(
                db.session.get(Proposal, proposal.id),
                status=status,
                body=body,
                publish=publish,
                by=db.session.get(User, admin.id),
            )
            db.session.commit()

    return answer


def _support_vote(app, proposal, person) -> None:
    """A support vote, cast while the dialogue took them: a dialogue may change its mode."""
    with app.app_context():
        row = db.session.get(Proposal, proposal.id)
        row.dialogue.vote_mode = VoteMode.support
        proposals.cast_vote(db.session.get(User, person.id), row, VoteValue.support)
        row.dialogue.vote_mode = VoteMode.for_against
        db.session.commit()


def _export(app, slug: str, path: Path, *extra: str):
    return app.test_cli_runner().invoke(args=["export-dialogue", slug, str(path), *extra])


def _import(app, path: Path, *extra: str):
    return app.test_cli_runner().invoke(args=["import-dialogue", str(path), *extra])


def _report(app, slug: str) -> dict:
    with app.app_context():
        dialogue_id = db.session.scalar(select(Dialogue.id).where(Dialogue.slug == slug))
        with one_snapshot():
            content = compile_report(db.session.get(Dialogue, dialogue_id))
    return {k: v for k, v in content.items() if k not in NAMING_THE_DIALOGUE}


def _normalised(path: Path) -> dict:
    """The archive with what an import makes anew taken out (the address, the export's
    moment, the digest, the ids of rows): people by the reference reports name them by,
    other rows by their position in their list."""
    content = json.loads(path.read_text(encoding="utf-8"))
    for key in ("exported_at", "digest"):
        content.pop(key)
    content["dialogue"].pop("slug")
    named = {archive.PERSON: {}}
    for person in content["people"]:
        key, reference = person.pop("id"), person.pop("external_id")
        named[archive.PERSON][key] = participant_reference(key, reference)
    for section in archive.SECTIONS:
        if section.keyed != archive.PROPOSAL and section.keyed:
            rows = content[section.name]
            named[section.keyed] = {row.pop("id"): n for n, row in enumerate(rows)}
    for section in archive.SECTIONS:
        for row in content[section.name]:
            for column, kind in section.refs.items():
                key = archive.json_key(column)
                if kind in named and row[key] is not None:
                    row[key] = named[kind][row[key]]
    return content


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_dialogue_comes_back_from_its_archive_with_the_same_report(app, full, tmp_path):
    path, again = tmp_path / "hela.json", tmp_path / "kopia.json"

    exported = _export(app, "hela", path)
    imported = _import(app, path, "--slug", "hela-kopia")

    assert exported.exit_code == 0, exported.output
    assert imported.exit_code == 0, imported.output
    assert "5 proposals" in imported.output
    original, copy = _report(app, "hela"), _report(app, "hela-kopia")
    assert copy == original
    members = {m for group in original["opinion_groups"] for m in group["members"]}
    assert "7" in members  # the Polis participant, by the reference Polis gave
    # Everything else the archive holds came back too: exported again, the copy is the
    # same archive, but for the planner (an import makes nobody staff) and the invitations
    # (an archive without personal data has none).
    assert _export(app, "hela-kopia", again).exit_code == 0
    first, second = _normalised(path), _normalised(again)
    assert len(first["planners"]) == 1 and second["planners"] == []
    first.pop("planners"), second.pop("planners")
    assert second == first


@pytest.fixture
def camps(app, committed_db, make_dialogue, make_user, make_proposal):
    """A dialogue whose residents vote in three camps: its report has real groups."""
    dialogue = make_dialogue("lager", phases=VOTING, place_area=AREA)
    vote_in_camps(app, dialogue, make_user, make_proposal)
    return dialogue


def test_a_dialogue_with_opinion_groups_comes_back_with_the_same_groups(app, camps, tmp_path):
    path = tmp_path / "lager.json"

    exported = _export(app, "lager", path)
    imported = _import(app, path, "--slug", "lager-kopia")

    assert exported.exit_code == 0, exported.output
    assert imported.exit_code == 0, imported.output
    original, copy = _report(app, "lager"), _report(app, "lager-kopia")
    groups = original["opinion_groups"]
    assert original["opinion"]["grouping"] == "groups"
    assert len(groups) >= 2
    assert sum(len(g["members"]) for g in groups) == original["totals"]["participants"] == 25
    assert all(g["representative"] for g in groups)
    # The groups, one by one: the same people (by reference), sizes and proposals that
    # set them apart, with the same figures; then everything else in the report.
    assert [
        (g["id"], g["size"], sorted(g["members"]), g["representative"])
        for g in copy["opinion_groups"]
    ] == [(g["id"], g["size"], sorted(g["members"]), g["representative"]) for g in groups]
    assert copy["consensus"] == original["consensus"]
    assert copy["opinion"] == original["opinion"]
    assert copy == original


def test_the_archive_keeps_times_and_kinds_exactly(app, full, tmp_path):
    path = tmp_path / "hela.json"
    assert _export(app, "hela", path).exit_code == 0
    content = json.loads(path.read_text(encoding="utf-8"))

    with app.app_context():
        dialogue_id = db.session.scalar(select(Dialogue.id).where(Dialogue.slug == "hela"))
        created = db.session.scalars(
            select(Proposal.created_at)
            .where(Proposal.dialogue_id == dialogue_id)
            .order_by(Proposal.number)
        ).all()
    assert [p["created_at"] for p in content["proposals"]] == [t.isoformat() for t in created]
    assert all(p["created_at"].endswith("+00:00") for p in content["proposals"])
    assert {v["value"] for v in content["votes"]} == {"for", "against", "abstain", "support"}
    assert {c["stance"] for c in content["comments"]} == {"for", "against", "neutral"}
    assert {c["moderation"] for c in content["comments"]} == {"shown", "hidden"}
    assert any(c["parent"] is not None for c in content["comments"])
    assert any(c["deleted_at"] for c in content["comments"])
    assert {a["status"] for a in content["answers"]} == {"accepted", "under_review"}
    assert {d["action"] for d in content["moderation_decisions"]} == {
        "hide",
        "dismiss",
        "redact",
        "block",
    }
    assert content["review_requests"][0]["reason"] == "Det var inte reklam"
    assert content["blocks"] and content["flags"] and content["ballots"]
    assert content["dialogue"]["place_area"] == AREA
    assert content["dialogue"]["last_proposal_number"] == 5
    assert {p["state"] for p in content["proposals"]} == {"published", "withdrawn"}


def test_the_archive_names_people_by_reference_only_unless_asked(app, full, tmp_path):
    path = tmp_path / "hela.json"

    result = _export(app, "hela", path)

    assert result.exit_code == 0, result.output
    assert "personal data" not in result.output
    text = path.read_text(encoding="utf-8")
    with app.app_context():
        people = db.session.execute(select(User.email, User.display_name, User.password_hash)).all()
    for email, name, password_hash in people:
        assert email not in text
        assert name not in text
        assert password_hash not in text
    assert "gast@example.org" not in text  # the invitation, an address
    assert REDACTED not in text  # what a redaction took out is personal data too
    content = json.loads(text)
    assert content["personal_data"] is False
    # A letter keeps when it came and its case number, never who sent it.
    assert LETTER_SENDER not in text
    [letter] = [p for p in content["proposals"] if p["title"] == "Brevet"]
    assert (letter["received_on"], letter["case_number"]) == ("2026-11-30", "KS 2026/123")
    assert letter["sender_name"] is None
    assert set(content["people"][0]) == {"id", "external_id", "district", "age_band"}
    assert content["invitations"] == [] and content["access_requests"] == []
    assert {p["district"] for p in content["people"]} >= set(_districts(app))


def test_with_personal_data_the_archive_names_people_and_the_import_links_them(app, full, tmp_path):
    path = tmp_path / "hela.json"
    users_before = _count(app, User)

    exported = _export(app, "hela", path, "--with-personal-data")
    imported = _import(app, path, "--slug", "hela-namn")

    assert exported.exit_code == 0, exported.output
    assert "Warning: this archive holds personal data" in exported.output
    text = path.read_text(encoding="utf-8")
    assert "invanare3@example.org" in text and "Invånare 3" in text
    assert "gast@example.org" in text
    assert LETTER_SENDER in text
    with app.app_context():
        assert db.session.scalar(select(User.password_hash).limit(1)) not in text
    assert imported.exit_code == 0, imported.output
    assert _count(app, User) == users_before  # every address was an account here already
    assert _report(app, "hela-namn") == _report(app, "hela")
    with app.app_context():
        copy = db.session.scalar(select(Dialogue).where(Dialogue.slug == "hela-namn"))
        letter = db.session.scalar(
            select(Proposal).where(Proposal.dialogue_id == copy.id, Proposal.title == "Brevet")
        )
        assert (letter.sender_name, letter.received_on) == (LETTER_SENDER, date(2026, 11, 30))
        assert db.session.scalars(
            select(Invitation.email).where(Invitation.dialogue_id == copy.id)
        ).all() == ["gast@example.org"]
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(DialoguePlanner)
                .where(DialoguePlanner.dialogue_id == copy.id)
            )
            == 1
        )


def test_imported_people_are_accounts_that_cannot_log_in(app, full, tmp_path):
    path = tmp_path / "hela.json"
    _export(app, "hela", path)

    assert _import(app, path, "--slug", "hela-kopia").exit_code == 0

    with app.app_context():
        made = db.session.scalars(
            select(User).where(User.email.like("hela-kopia-%@archive.invalid"))
        ).all()
        assert len(made) == len(json.loads(path.read_text(encoding="utf-8"))["people"])
        assert not any(user.active or user.is_verified for user in made)
        assert all(user.password_hash.startswith("!") for user in made)
        assert "7" in {user.external_id for user in made}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda text: text.replace('"value":"for"', '"value":"against"', 1),
            "digest does not match",
        ),
        (lambda text: text.replace('"version": 1', '"version": 99', 1), "format version is 99"),
        (lambda text: text[: len(text) // 2], "truncated"),
        (lambda text: text.replace(archive.FORMAT, "something-else", 1), "not a dialogue archive"),
        (lambda text: text.replace('"people"', '"persons"', 1), "people was expected"),
        (lambda text: "[" + text, "'{' was expected"),
    ],
    ids=["tampered", "unknown-version", "truncated", "not-an-archive", "renamed-key", "not-json"],
)
def test_a_damaged_archive_is_refused_with_what_is_wrong_and_leaves_nothing(
    app, full, tmp_path, damage, message
):
    path = tmp_path / "hela.json"
    _export(app, "hela", path)
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    before = {model: _count(app, model) for model in (Dialogue, User, Proposal, Comment)}

    result = _import(app, path, "--slug", "hela-trasig")

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert {model: _count(app, model) for model in before} == before


def test_a_row_that_refers_to_nobody_is_named_even_with_a_fresh_digest(app, full, tmp_path):
    path = tmp_path / "hela.json"
    _export(app, "hela", path)
    content = json.loads(path.read_text(encoding="utf-8"))
    content["votes"][3]["user"] = 999999
    _rewrite(path, content)
    before = _count(app, User)

    result = _import(app, path, "--slug", "hela-trasig")

    assert result.exit_code == 2
    assert "votes, row 4: user 999999 is not among the people" in result.output
    assert _count(app, User) == before
    with app.app_context():
        assert db.session.scalar(select(Dialogue.id).where(Dialogue.slug == "hela-trasig")) is None


def test_a_value_the_schema_does_not_allow_is_named(app, full, tmp_path):
    path = tmp_path / "hela.json"
    _export(app, "hela", path)
    content = json.loads(path.read_text(encoding="utf-8"))
    content["comments"][0]["stance"] = "maybe"
    _rewrite(path, content)

    result = _import(app, path, "--slug", "hela-trasig")

    assert result.exit_code == 2
    assert "comments, row 1: stance is 'maybe', not one of for, against, neutral" in result.output


def _rewrite(path: Path, content: dict) -> None:
    """The archive written again from edited content, with a digest that matches it."""
    content = {k: v for k, v in content.items() if k != "digest"}
    streamed = {k: iter(v) if isinstance(v, list) else v for k, v in content.items()}
    with path.open("w", encoding="utf-8") as out:
        archive.write_archive(streamed, out)


def test_an_address_in_use_is_refused(app, full, tmp_path):
    path = tmp_path / "hela.json"
    _export(app, "hela", path)
    before = _count(app, User)

    same = _import(app, path)
    badly_named = _import(app, path, "--slug", "Hela Kopia")

    assert same.exit_code == 2
    assert "A dialogue is already called hela" in same.output
    assert badly_named.exit_code == 2
    assert "is not an address name" in badly_named.output
    assert _count(app, User) == before
    assert _count(app, Dialogue) == 1


def test_an_unknown_dialogue_is_named_and_nothing_is_written(app, committed_db, tmp_path):
    path = tmp_path / "x.json"

    result = _export(app, "finns-inte", path)

    assert result.exit_code == 2
    assert "No dialogue is called finns-inte" in result.output
    assert not path.exists()


def test_every_table_of_a_dialogue_is_carried_or_left_out_for_a_reason(app):
    carried = {section.model.__tablename__ for section in archive.SECTIONS}
    with app.app_context():
        reach = {"dialogue"}
        grown = True
        while grown:
            before = len(reach)
            reach |= {
                table.name
                for table in db.metadata.sorted_tables
                if any(fk.column.table.name in reach for fk in table.foreign_keys)
            }
            grown = len(reach) > before
    unaccounted = reach - carried - set(archive.LEFT_OUT) - {"dialogue"}
    assert not unaccounted, (
        f"{sorted(unaccounted)} refer to a dialogue: add a Section to dialog/dialogues/archive.py "
        "(and docs/dialogue-archive.md), or say in LEFT_OUT why the archive leaves it out"
    )


def test_every_reference_column_of_a_section_is_translated(app):
    for section in archive.SECTIONS:
        for column in section.model.__table__.columns:
            if column.foreign_keys and column.name not in ("id", "dialogue_id"):
                assert column.name in section.refs, (
                    f"{section.name}.{column.name} refers to another row: say in the "
                    "section's refs what it refers to, so an import can translate it"
                )


def test_with_personal_data_a_person_without_an_account_here_gets_one_by_address(
    app, full, tmp_path
):
    path = tmp_path / "hela.json"
    _export(app, "hela", path, "--with-personal-data")
    content = json.loads(path.read_text(encoding="utf-8"))
    moved = next(p for p in content["people"] if p["email"] == "invanare4@example.org")
    moved["email"] = "ny-adress@example.org"
    _rewrite(path, content)

    result = _import(app, path, "--slug", "hela-flytt")

    assert result.exit_code == 0, result.output
    with app.app_context():
        made = db.session.scalar(select(User).where(User.email == "ny-adress@example.org"))
        assert (made.display_name, made.external_id) == (
            "Invånare 4",
            participant_reference(moved["id"], moved["external_id"]),
        )
        assert not made.active
    # The new account comes after the linked ones, so it is listed last where people are
    # listed by account: the same report in another order (the map's coordinates, worked
    # out in that order, the same to the last few bits).
    assert _in_reference_order(_report(app, "hela-flytt")) == _in_reference_order(
        _report(app, "hela")
    )


def _in_reference_order(report: dict) -> dict:
    for group in report["opinion_groups"]:
        group["members"] = sorted(group["members"])
    report["opinion"]["map"] = sorted(
        (
            {**point, "x": round(point["x"], 9), "y": round(point["y"], 9)}
            for point in report["opinion"]["map"]
        ),
        key=lambda point: (point["participant"], point["x"], point["y"]),
    )
    return report
