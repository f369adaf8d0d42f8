"""`flask import-polis` and the report on what it imported: the three real conversations
of tests/data/polis (CC BY 4.0, The Computational Democracy Project), compared with the
opinion groups Polis found."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from sklearn.metrics import adjusted_rand_score
from sqlalchemy import func, select

from dialog.accounts.models import User
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.proposals.models import Moderation, Proposal, Source, Vote, VoteValue
from tests.support import BAD_ADDRESS_NAME_IDS, BAD_ADDRESS_NAMES

POLIS = Path(__file__).parents[1] / "data" / "polis"
CONVERSATIONS = sorted(path.name for path in POLIS.iterdir() if path.is_dir())


def _import(app, folder: Path, slug: str):
    return app.test_cli_runner().invoke(args=["import-polis", str(folder), "--slug", slug])


def _report(app, slug: str, tmp_path: Path) -> dict:
    path = tmp_path / f"{slug}.json"
    result = app.test_cli_runner().invoke(args=["report", slug, "--json", str(path)])
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text(encoding="utf-8"))


def _polis_groups(folder: Path) -> dict[str, str]:
    with (folder / "participants-votes.csv").open(encoding="utf-8", newline="") as file:
        return {
            row["participant"]: row["group-id"] for row in csv.DictReader(file) if row["group-id"]
        }


def _summary_groups(folder: Path) -> int:
    with (folder / "summary.csv").open(encoding="utf-8", newline="") as file:
        return int(dict(row[:2] for row in csv.reader(file) if len(row) >= 2)["groups"])


@pytest.mark.parametrize("conversation", CONVERSATIONS)
def test_the_groups_found_in_a_real_conversation_agree_with_polis(
    app, committed_db, tmp_path, conversation
):
    folder = POLIS / conversation
    slug = conversation[:40]

    imported = _import(app, folder, slug)
    assert imported.exit_code == 0, imported.output
    report = _report(app, slug, tmp_path)

    ours = {
        member: group["id"] for group in report["opinion_groups"] for member in group["members"]
    }
    theirs = _polis_groups(folder)
    both = sorted(ours.keys() & theirs.keys())
    assert len(report["opinion_groups"]) == _summary_groups(folder)
    assert len(both) >= 0.8 * len(theirs)
    agreement = adjusted_rand_score([theirs[p] for p in both], [ours[p] for p in both])
    print(f"{conversation}: adjusted Rand index {agreement:.3f} over {len(both)} participants")
    assert agreement >= 0.5


def test_an_import_keeps_the_latest_vote_and_hides_what_polis_moderated_out(
    app, committed_db, tmp_path
):
    folder = tmp_path / "small"
    folder.mkdir()
    (folder / "comments.csv").write_text(
        "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
        "1500000000000,x,0,0,1,0,1,Fler träd på torget\n"
        "1500000001000,x,1,1,0,0,-1,Något som togs bort\n"
        '1500000002000,x,2,1,0,1,0,"Ett längre förslag, med kommatecken och ""citat"""\n',
        encoding="utf-8",
    )
    (folder / "votes.csv").write_text(
        "timestamp,datetime,comment-id,voter-id,vote\n"
        "1500000010000,x,0,0,1\n"
        "1500000020000,x,0,1,1\n"
        "1500000030000,x,0,1,-1\n"  # participant 1 changed their mind: this one counts
        "1500000040000,x,2,2,0\n",
        encoding="utf-8",
    )

    result = _import(app, folder, "liten-polis")

    assert result.exit_code == 0, result.output
    with app.app_context():
        dialogue = db.session.scalar(select(Dialogue).where(Dialogue.slug == "liten-polis"))
        proposals = db.session.scalars(
            select(Proposal).where(Proposal.dialogue_id == dialogue.id).order_by(Proposal.number)
        ).all()
        assert [p.moderation for p in proposals] == [
            Moderation.shown,
            Moderation.hidden,
            Moderation.shown,
        ]
        assert proposals[2].body == 'Ett längre förslag, med kommatecken och "citat"'
        assert {p.source for p in proposals} == {Source.import_}
        votes = dict(
            db.session.execute(
                select(User.external_id, Vote.value)
                .join(User, User.id == Vote.user_id)
                .where(Vote.proposal_id == proposals[0].id)
            ).all()
        )
        assert votes == {"0": VoteValue.for_, "1": VoteValue.against}
        assert (proposals[0].votes_for, proposals[0].votes_against) == (1, 1)
        participants = db.session.scalars(
            select(User).where(User.email.like("liten-polis-%@polis.invalid"))
        ).all()
        assert sorted(p.external_id for p in participants) == ["0", "1", "2"]
        assert not any(p.active or p.is_verified for p in participants)


def test_votes_come_from_the_matrix_when_an_export_has_no_votes_file(app, committed_db, tmp_path):
    folder = tmp_path / "brexit"
    shutil.copytree(POLIS / "brexit-consensus", folder)
    (folder / "votes.csv").unlink()

    result = _import(app, folder, "utan-votes")

    assert result.exit_code == 0, result.output
    with app.app_context():
        dialogue = db.session.scalar(select(Dialogue).where(Dialogue.slug == "utan-votes"))
        votes = db.session.scalar(
            select(func.count()).select_from(Vote).where(Vote.dialogue_id == dialogue.id)
        )
    with (folder / "participants-votes.csv").open(encoding="utf-8", newline="") as file:
        cells = sum(
            1
            for row in csv.DictReader(file)
            for column, cell in row.items()
            if column.isdigit() and cell != ""
        )
    assert votes == cells


@pytest.mark.parametrize(
    ("remove", "message"),
    [
        ("comments.csv", "has no comments.csv"),
        ("votes", "neither votes.csv nor participants-votes.csv"),
    ],
)
def test_a_folder_that_is_not_a_polis_export_is_named_for_what_it_lacks(
    app, committed_db, tmp_path, remove, message
):
    folder = tmp_path / "export"
    shutil.copytree(POLIS / "brexit-consensus", folder)
    if remove == "votes":
        (folder / "votes.csv").unlink()
        (folder / "participants-votes.csv").unlink()
    else:
        (folder / remove).unlink()

    result = _import(app, folder, "trasig")

    assert result.exit_code == 2
    assert "Not a Polis export" in result.output and message in result.output
    with app.app_context():
        assert db.session.scalar(select(Dialogue).where(Dialogue.slug == "trasig")) is None


def test_a_comments_file_without_its_columns_is_refused_by_name(app, committed_db, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "comments.csv").write_text("id,text\n1,Hej\n", encoding="utf-8")
    (folder / "votes.csv").write_text("timestamp,comment-id,voter-id,vote\n", encoding="utf-8")

    result = _import(app, folder, "kolumner")

    assert result.exit_code == 2
    assert "comments.csv lacks the column(s) timestamp, comment-id" in result.output


def test_importing_under_a_taken_address_name_changes_nothing(app, committed_db, make_dialogue):
    make_dialogue("upptagen")

    result = _import(app, POLIS / "brexit-consensus", "upptagen")

    assert result.exit_code == 2
    assert "already called upptagen" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


# Malformed exports and address names: a message naming the file and line, nothing created.

COMMENTS = (
    "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
    "1500000000000,x,0,0,1,0,1,Fler träd på torget\n"
    "1500000001000,x,1,1,0,0,-1,Något som togs bort\n"
    '1500000002000,x,2,1,0,1,0,"Ett längre förslag, med kommatecken och ""citat"""\n'
)
VOTES = (
    "timestamp,datetime,comment-id,voter-id,vote\n"
    "1500000010000,x,0,0,1\n"
    "1500000020000,x,0,1,1\n"
    "1500000040000,x,2,2,0\n"
)
# The line of each file that a case below damages.
BROKEN_ROW = 3


def _damaged(lines: str, row: str) -> str:
    """The file with its line BROKEN_ROW replaced by `row`."""
    kept = lines.splitlines(keepends=True)
    kept[BROKEN_ROW - 1] = row
    return "".join(kept)


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        pytest.param(
            "comments.csv",
            _damaged(COMMENTS, "1500000001000,x,1,1,0,0,-1\n"),
            "comments.csv, line 3: missing the column comment-body",
            id="short-comment-row",
        ),
        pytest.param(
            "votes.csv",
            _damaged(VOTES, "1500000020000,x,0\n"),
            "votes.csv, line 3: missing the columns voter-id, vote",
            id="short-vote-row",
        ),
        pytest.param(
            "comments.csv",
            COMMENTS + '1500000003000,x,3,1,0,0,0,"Ett förslag som klipptes av mitt i',
            "comments.csv, line 5: a quoted field is never closed",
            id="truncated-file",
        ),
        pytest.param(
            "comments.csv",
            COMMENTS.encode("latin-1"),
            "comments.csv, line 2: not UTF-8 text",
            id="latin-1-comments",
        ),
        pytest.param(
            "summary.csv",
            "topic,Fler träd\nconversation-description,Om torget\n".encode("latin-1"),
            "summary.csv, line 1: not UTF-8 text",
            id="latin-1-summary",
        ),
        pytest.param(
            "comments.csv",
            _damaged(COMMENTS, "1500000001000,x,1,1,0,0,-1,Något\x00dolt\n"),
            "comments.csv, line 3: a NUL character",
            id="nul-in-body",
        ),
        pytest.param(
            "comments.csv",
            _damaged(COMMENTS, f'1500000001000,x,1,1,0,0,-1,"{"lång " * 30_000}"\n'),
            "comments.csv, line 3: a field longer than 131072 characters",
            id="enormous-field",
        ),
        pytest.param(
            "votes.csv",
            _damaged(VOTES, f"{10**20},x,0,1,1\n"),
            f"votes.csv, line 3: the timestamp {10**20} is not a time",
            id="timestamp-out-of-range",
        ),
        pytest.param(
            "votes.csv",
            _damaged(VOTES, f"1500000020000,x,0,{10**30},1\n"),
            f"votes.csv, line 3: the voter-id {10**30} is not from 0 to",
            id="participant-number-too-large",
        ),
        pytest.param(
            "comments.csv",
            _damaged(COMMENTS, "1500000001000,x,0,1,0,0,-1,Samma nummer igen\n"),
            "comments.csv, line 3: the comment-id 0 is also on line 2",
            id="comment-id-twice",
        ),
    ],
)
@pytest.mark.usefixtures("db")
def test_a_malformed_export_is_refused_by_file_and_line_and_creates_nothing(
    app, tmp_path, file, content, message
):
    folder = tmp_path / "export"
    folder.mkdir()
    files = {"comments.csv": COMMENTS, "votes.csv": VOTES, file: content}
    for name, text in files.items():
        path = folder / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    users = _users(app)

    result = _import(app, folder, "trasig-export")

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    _assert_nothing_made(app, "trasig-export", users)


@pytest.mark.parametrize(("slug", "message"), BAD_ADDRESS_NAMES, ids=BAD_ADDRESS_NAME_IDS)
def test_an_import_under_a_bad_address_name_is_refused_and_creates_nothing(app, db, slug, message):
    users = _users(app)

    result = _import(app, POLIS / "15-per-hour-seattle", slug)

    assert result.exit_code == 2, result.output
    assert message in result.output
    _assert_nothing_made(app, slug, users)


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def _assert_nothing_made(app, slug: str, users: int) -> None:
    with app.app_context():
        assert db.session.scalar(select(Dialogue).where(Dialogue.slug == slug)) is None
        assert db.session.scalar(select(func.count()).select_from(Dialogue)) == 0
        assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0
    assert _users(app) == users
