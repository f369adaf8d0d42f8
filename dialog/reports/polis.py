"""`flask import-polis`: a dialogue made from a Polis conversation export.

Comments become proposals (those Polis moderated out hidden), participants become
pseudonymous accounts that cannot log in, named by their Polis participant number, and a
participant's latest vote on a comment is the one that counts. Flushes, never commits."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from dialog.accounts.models import User
from dialog.core.db import utcnow
from dialog.dialogues import services as dialogues
from dialog.dialogues.models import Dialogue, DialogueState
from dialog.extensions import db
from dialog.proposals.models import (
    Moderation,
    Proposal,
    ProposalSequence,
    ProposalState,
    Source,
    Vote,
    VoteValue,
)

COMMENT_COLUMNS = ("timestamp", "comment-id", "author-id", "moderated", "comment-body")
VOTE_COLUMNS = ("timestamp", "comment-id", "voter-id", "vote")
MATRIX_COLUMNS = ("participant",)
VOTE_VALUES = {1: VoteValue.for_, -1: VoteValue.against, 0: VoteValue.abstain}
MODERATED_OUT = -1
TITLE_LENGTH = 150
# Polis exports are UTF-8 (text in any script); a BOM from a spreadsheet is tolerated.
ENCODING = "utf-8-sig"
# An address at a domain that cannot exist (RFC 2606): an imported participant has none.
NO_ADDRESS = "{slug}-{participant}@polis.invalid"
BATCH = 5000
# Polis numbers its comments and participants from 0; a participant's is in their name.
MAX_ID = 10**15 - 1


class NotAPolisExport(ValueError):
    """The folder lacks what a Polis export has; the message names what is missing."""


@dataclass(frozen=True)
class Comment:
    id: int
    author: int | None
    body: str
    moderated_out: bool
    at: datetime


@dataclass(frozen=True)
class Export:
    topic: str
    description: str
    comments: list[Comment]
    # (participant, comment) -> vote, the latest of each participant on each comment
    votes: dict[tuple[int, int], tuple[int, datetime | None]]


def read_export(folder: Path) -> Export:
    if not folder.is_dir():
        raise NotAPolisExport(f"{folder} is not a folder.")
    comments = _read_comments(folder / "comments.csv")
    if (folder / "votes.csv").exists():
        votes = _latest_votes(folder / "votes.csv")
    elif (folder / "participants-votes.csv").exists():
        votes = _votes_from_matrix(folder / "participants-votes.csv")
    else:
        raise NotAPolisExport(
            f"{folder} has neither votes.csv nor participants-votes.csv: no votes to import."
        )
    summary = _read_summary(folder / "summary.csv")
    return Export(
        topic=summary.get("topic") or folder.name,
        description=summary.get("conversation-description", ""),
        comments=comments,
        votes=votes,
    )


def import_dialogue(export: Export, *, slug: str) -> Dialogue:
    """The dialogue, its participants, proposals and votes; archived, since the
    conversation is over."""
    dialogue = dialogues.create_dialogue(
        slug=slug,
        title=export.topic[:200],
        summary=export.description or export.topic,
        state=DialogueState.archived,
    )
    people = _add_participants(export, slug)
    numbers = _add_proposals(dialogue, export, people)
    _add_votes(dialogue, export, people, numbers)
    _finish(dialogue)
    return dialogue


# Reading ------------------------------------------------------------------------------


def _text(path: Path) -> str:
    """The file's text, refused with its line if it is not UTF-8 or holds a NUL character
    (which no text column can store)."""
    if not path.is_file():
        raise NotAPolisExport(f"{path.parent} has no {path.name}.")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise NotAPolisExport(f"{path.name} cannot be read: {error.strerror}.") from error
    try:
        text = data.decode(ENCODING)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise NotAPolisExport(
            f"{path.name}, line {line}: not UTF-8 text (the byte 0x{data[error.start]:02x}); "
            "Polis exports are UTF-8."
        ) from error
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise NotAPolisExport(f"{path.name}, line {line}: a NUL character, which text cannot hold.")
    return text


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with the line it starts on; blank lines left out."""
    reader = csv.reader(io.StringIO(_text(path), newline=""), strict=True)
    start = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise NotAPolisExport(f"{path.name}, line {start}: {_csv_problem(error)}") from error
        line, start = start, reader.line_num + 1
        if record:
            yield line, record


def _csv_problem(error: csv.Error) -> str:
    text = str(error)
    if "unexpected end of data" in text:
        return "a quoted field is never closed (is the file cut short?)"
    if "field larger than field limit" in text:
        return f"a field longer than {csv.field_size_limit()} characters"
    return f"not valid CSV ({text})"


def _rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Each row as column -> cell, with its line; a row with more or fewer cells than the
    header has columns is refused, for a cell would be lost or missing."""
    records = _records(path)
    header = next(records, (1, []))[1]
    missing = [column for column in required if column not in header]
    if missing:
        raise NotAPolisExport(f"{path.name} lacks the column(s) {', '.join(missing)}.")
    rows = []
    for line, record in records:
        if len(record) < len(header):
            absent = header[len(record) :]
            raise NotAPolisExport(
                f"{path.name}, line {line}: missing the column{'s' if len(absent) > 1 else ''} "
                f"{', '.join(absent)}."
            )
        if len(record) > len(header):
            raise NotAPolisExport(
                f"{path.name}, line {line}: {len(record)} cells where the header has "
                f"{len(header)} columns."
            )
        rows.append((line, dict(zip(header, record, strict=True))))
    return rows


def _read_comments(path: Path) -> list[Comment]:
    comments: dict[int, tuple[int, Comment]] = {}
    for line, row in _rows(path, COMMENT_COLUMNS):
        try:
            comment = Comment(
                id=_id(row, "comment-id"),
                author=_id(row, "author-id") if row["author-id"] != "" else None,
                body=row["comment-body"].strip(),
                moderated_out=_optional_int(row, "moderated") == MODERATED_OUT,
                at=_from_milliseconds(row["timestamp"]),
            )
        except ValueError as error:
            raise NotAPolisExport(f"{path.name}, line {line}: {error}.") from error
        if comment.id in comments:
            raise NotAPolisExport(
                f"{path.name}, line {line}: the comment-id {comment.id} is also on line "
                f"{comments[comment.id][0]}."
            )
        comments[comment.id] = (line, comment)
    return sorted((comment for _, comment in comments.values()), key=lambda c: c.id)


def _latest_votes(path: Path) -> dict[tuple[int, int], tuple[int, datetime | None]]:
    latest: dict[tuple[int, int], tuple[int, int]] = {}
    for line, row in _rows(path, VOTE_COLUMNS):
        try:
            key = (_id(row, "voter-id"), _id(row, "comment-id"))
            at, vote = _whole(row, "timestamp"), _vote(row["vote"])
            _from_milliseconds(row["timestamp"])
        except ValueError as error:
            raise NotAPolisExport(f"{path.name}, line {line}: {error}.") from error
        if key not in latest or at >= latest[key][0]:
            latest[key] = (at, vote)
    return {key: (vote, _from_milliseconds(str(at))) for key, (at, vote) in latest.items()}


def _votes_from_matrix(path: Path) -> dict[tuple[int, int], tuple[int, datetime | None]]:
    """One row per participant, one column per comment id: what each voted last."""
    votes = {}
    for line, row in _rows(path, MATRIX_COLUMNS):
        try:
            participant = _id(row, "participant")
            for column, cell in row.items():
                if column.isascii() and column.isdigit() and cell != "":
                    votes[(participant, int(column))] = (_vote(cell), None)
        except ValueError as error:
            raise NotAPolisExport(f"{path.name}, line {line}: {error}.") from error
    return votes


def _read_summary(path: Path) -> dict[str, str]:
    """summary.csv is two columns, a name and a value per line; it may be left out."""
    if not path.exists():
        return {}
    return {record[0]: record[1] for _, record in _records(path) if len(record) >= 2}


def _whole(row: dict[str, str], column: str) -> int:
    text = row[column]
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"the {column} {text[:40]!r} is not a whole number") from None


def _id(row: dict[str, str], column: str) -> int:
    """A Polis comment or participant number: small and not negative."""
    number = _whole(row, column)
    if not 0 <= number <= MAX_ID:
        raise ValueError(f"the {column} {row[column][:40]} is not from 0 to {MAX_ID}")
    return number


def _optional_int(row: dict[str, str], column: str) -> int | None:
    return _whole(row, column) if row[column] != "" else None


def _vote(text: str) -> int:
    try:
        vote = int(text)
    except ValueError:
        vote = None
    if vote not in VOTE_VALUES:
        raise ValueError(f"the vote {text[:40]!r} is not 1, -1 or 0")
    return vote


def _from_milliseconds(text: str) -> datetime:
    milliseconds = _whole({"timestamp": text}, "timestamp")
    try:
        return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"the timestamp {text[:40]} is not a time") from None


# Writing ------------------------------------------------------------------------------


def _add_participants(export: Export, slug: str) -> dict[int, int]:
    """One account per participant, named by their Polis participant number."""
    participants = sorted(
        {participant for participant, _ in export.votes}
        | {comment.author for comment in export.comments if comment.author is not None}
    )
    ids = add_unusable_accounts(
        [
            {
                "email": NO_ADDRESS.format(slug=slug, participant=participant).lower(),
                "display_name": f"Polis {participant}",
                "pseudonym": f"Polis {participant}",
                "external_id": str(participant),
            }
            for participant in participants
        ]
    )
    return dict(zip(participants, ids, strict=True))


def add_unusable_accounts(people: list[dict[str, Any]]) -> list[int]:
    """Accounts for people brought in from elsewhere (a Polis export, a dialogue archive):
    no password that works, inactive, shown by their pseudonym. Each dict holds User
    columns, `email` and `external_id` at least; returns the new ids in the same order."""
    now = utcnow()
    unusable = "!" + secrets.token_hex(8)  # no password hash matches it
    rows = [
        {
            "password_hash": unusable,
            "show_name_publicly": False,
            "active": False,
            "terms_accepted_at": now,
            "password_changed_at": now,
            "created_at": now,
            **person,
        }
        for person in people
    ]
    statement = insert(User).returning(User.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        ids += db.session.scalars(statement, rows[start : start + BATCH]).all()
    return ids


def _add_proposals(dialogue: Dialogue, export: Export, people: dict[int, int]) -> dict[int, int]:
    """A proposal per comment, numbered in comment order; returns comment id -> id."""
    rows = [
        {
            "dialogue_id": dialogue.id,
            "number": number,
            "author_id": people.get(comment.author) if comment.author is not None else None,
            "source": Source.import_,
            "title": _title(comment.body),
            "body": comment.body,
            "state": ProposalState.published,
            "moderation": Moderation.hidden if comment.moderated_out else Moderation.shown,
            "moderation_reason": "Moderated out in Polis" if comment.moderated_out else None,
            "dimensions": [],
            "created_at": comment.at,
            "updated_at": comment.at,
        }
        for number, comment in enumerate(export.comments, start=1)
    ]
    if rows:
        db.session.execute(insert(Proposal), rows)
    db.session.add(ProposalSequence(dialogue_id=dialogue.id, last_number=len(rows)))
    ids = dict(
        db.session.execute(
            select(Proposal.number, Proposal.id).where(Proposal.dialogue_id == dialogue.id)
        ).all()
    )
    return {comment.id: ids[number] for number, comment in enumerate(export.comments, start=1)}


def _title(body: str) -> str:
    """The comment's first words, as many as a title holds."""
    text = " ".join(body.split())
    if len(text) <= TITLE_LENGTH:
        return text or "–"
    cut = text[: TITLE_LENGTH - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _add_votes(dialogue, export: Export, people: dict[int, int], numbers: dict[int, int]) -> None:
    """Votes on comments the export has (a vote on an unknown comment is left out)."""
    fallback = utcnow()
    rows = [
        {
            "proposal_id": numbers[comment],
            "user_id": people[participant],
            "dialogue_id": dialogue.id,
            "value": VOTE_VALUES[vote],
            "cast_at": at or fallback,
        }
        for (participant, comment), (vote, at) in sorted(export.votes.items())
        if comment in numbers
    ]
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(Vote), rows[start : start + BATCH])


def _finish(dialogue: Dialogue) -> None:
    from dialog.proposals.services import index_for_search, reconcile_counts

    reconcile_counts(dialogue.id)
    for proposal in db.session.scalars(select(Proposal).where(Proposal.dialogue_id == dialogue.id)):
        index_for_search(proposal)
    db.session.flush()
