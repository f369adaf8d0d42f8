"""A whole dialogue as one JSON archive, to keep it or move it to another installation:
`export-dialogue` writes it, `import-dialogue` makes a new dialogue from it. The format,
every key and what is pseudonymous in it are in docs/dialogue-archive.md.

Rows are read with Core selects in batches and written one per line as they come, and an
archive is read back element by element (`_JsonStream`), so neither side holds a million
votes at once. People appear by the reference reports name them by (their imported
reference, else their account id), never by name or address unless the export was asked
for personal data. Import flushes and never commits: a broken archive found halfway rolls
back with the caller's transaction and leaves nothing behind."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any, TextIO

import sqlalchemy as sa
from sqlalchemy import func, insert, select, union

from dialog.accounts.models import User, participant_reference
from dialog.accounts.services import normalise_email
from dialog.core import audit
from dialog.core.db import UTCDateTime, utcnow
from dialog.core.models import StoredFile
from dialog.dialogues import services as dialogues
from dialog.dialogues.models import (
    AccessRequest,
    Dialogue,
    DialogueFollow,
    DialoguePlanner,
    DialogueState,
    Invitation,
    Phase,
    PhaseTransition,
)
from dialog.districts.models import District
from dialog.extensions import db
from dialog.moderation.models import Block, Flag, ModerationDecision, ReviewRequest
from dialog.proposals.models import (
    Ballot,
    Comment,
    OfficialAnswer,
    Proposal,
    ProposalFollow,
    ProposalSequence,
    Vote,
)
from dialog.proposals.services import index_for_search

FORMAT = "medborgardialog-dialogue-archive"
VERSION = 1
BATCH = 5000
# Placeholder accounts get an address at a domain that cannot exist (RFC 2606).
NO_ADDRESS = "{slug}-{position}@archive.invalid"

# What a column refers to; the archive names it so, without the column's "_id".
PERSON, PROPOSAL, COMMENT, PHASE, DECISION, INVITATION, IMAGE = (
    "person",
    "proposal",
    "comment",
    "phase",
    "decision",
    "invitation",
    "image",
)
PERSONAL_FIELDS = ("email", "display_name", "pseudonym", "show_name_publicly")


class ArchiveInvalid(ValueError):
    """Not an archive this installation can import; the message says where and what."""


def _of_proposals(dialogue_id: int):
    return select(Proposal.id).where(Proposal.dialogue_id == dialogue_id)


@dataclass(frozen=True)
class Section:
    """One table's rows of a dialogue, in the archive's order: later sections refer to
    rows of earlier ones, never the other way round."""

    name: str
    model: type
    rows_of: Callable[[int], Any]  # dialogue id -> the WHERE clause selecting its rows
    refs: dict[str, str] = field(default_factory=dict)  # column -> what it refers to
    keyed: str | None = None  # the kind of reference later rows make to these
    left_out: frozenset[str] = frozenset()  # columns not carried (the docs say why)
    personal: bool = False  # only in an archive with personal data
    # Columns that name a person who has no account (the sender of a letter): empty
    # unless the archive carries personal data.
    personal_columns: frozenset[str] = frozenset()

    @cached_property
    def columns(self) -> list[sa.orm.ColumnProperty]:
        skipped = {"id", "dialogue_id", *self.left_out}
        return [c for c in sa.inspect(self.model).column_attrs if c.key not in skipped]

    @cached_property
    def plain(self) -> dict[str, sa.Column]:
        """The columns carried as they are, by key."""
        return {c.key: c.columns[0] for c in self.columns if c.key not in self.refs}

    @cached_property
    def references(self) -> list[tuple[str, str, str, sa.Column]]:
        """The columns that refer to other rows: (archive key, column key, kind, column)."""
        return [
            (json_key(c.key), c.key, self.refs[c.key], c.columns[0])
            for c in self.columns
            if c.key in self.refs
        ]

    @cached_property
    def of_a_dialogue(self) -> bool:
        return "dialogue_id" in self.model.__table__.c


SECTIONS = (
    Section("phases", Phase, lambda d: Phase.dialogue_id == d, keyed=PHASE),
    Section(
        "phase_transitions",
        PhaseTransition,
        lambda d: PhaseTransition.phase_id.in_(select(Phase.id).where(Phase.dialogue_id == d)),
        refs={"phase_id": PHASE},
    ),
    Section(
        "planners",
        DialoguePlanner,
        lambda d: DialoguePlanner.dialogue_id == d,
        refs={"user_id": PERSON},
    ),
    Section(
        "dialogue_follows",
        DialogueFollow,
        lambda d: DialogueFollow.dialogue_id == d,
        refs={"user_id": PERSON},
    ),
    Section(
        "invitations",
        Invitation,
        lambda d: Invitation.dialogue_id == d,
        refs={"invited_by_id": PERSON, "user_id": PERSON},
        keyed=INVITATION,
        left_out=frozenset({"token_nonce"}),
        personal=True,
    ),
    Section(
        "access_requests",
        AccessRequest,
        lambda d: AccessRequest.invitation_id.in_(
            select(Invitation.id).where(Invitation.dialogue_id == d)
        ),
        refs={"invitation_id": INVITATION, "user_id": PERSON, "decided_by_id": PERSON},
        personal=True,
    ),
    Section(
        "proposals",
        Proposal,
        lambda d: Proposal.dialogue_id == d,
        refs={"author_id": PERSON, "entered_by_id": PERSON, "image_id": IMAGE},
        keyed=PROPOSAL,
        personal_columns=frozenset({"sender_name"}),
    ),
    Section(
        "answers",
        OfficialAnswer,
        lambda d: OfficialAnswer.proposal_id.in_(_of_proposals(d)),
        refs={"proposal_id": PROPOSAL, "updated_by_id": PERSON},
    ),
    Section(
        "proposal_follows",
        ProposalFollow,
        lambda d: ProposalFollow.proposal_id.in_(_of_proposals(d)),
        refs={"proposal_id": PROPOSAL, "user_id": PERSON},
    ),
    Section(
        "comments",
        Comment,
        lambda d: Comment.proposal_id.in_(_of_proposals(d)),
        refs={"proposal_id": PROPOSAL, "parent_id": COMMENT, "author_id": PERSON},
        keyed=COMMENT,
    ),
    Section(
        "votes",
        Vote,
        lambda d: Vote.dialogue_id == d,
        refs={"proposal_id": PROPOSAL, "user_id": PERSON},
    ),
    Section("ballots", Ballot, lambda d: Ballot.dialogue_id == d, refs={"user_id": PERSON}),
    Section(
        "flags",
        Flag,
        lambda d: Flag.dialogue_id == d,
        refs={"proposal_id": PROPOSAL, "comment_id": COMMENT, "flagger_id": PERSON},
    ),
    Section(
        "moderation_decisions",
        ModerationDecision,
        lambda d: ModerationDecision.dialogue_id == d,
        refs={
            "proposal_id": PROPOSAL,
            "comment_id": COMMENT,
            "author_id": PERSON,
            "moderator_id": PERSON,
        },
        keyed=DECISION,
    ),
    Section(
        "review_requests",
        ReviewRequest,
        lambda d: ReviewRequest.decision_id.in_(
            select(ModerationDecision.id).where(ModerationDecision.dialogue_id == d)
        ),
        refs={"decision_id": DECISION, "requested_by_id": PERSON, "reviewed_by_id": PERSON},
    ),
    Section(
        "blocks",
        Block,
        lambda d: Block.dialogue_id == d,
        refs={"user_id": PERSON, "decision_id": DECISION},
    ),
)
# Tables that refer to a dialogue (directly or through its rows) that the archive does
# not carry, and why; every other such table is a section.
LEFT_OUT = {
    "proposal_sequence": "its last number travels with the dialogue",
    "redacted_original": "the personal data a redaction took out, kept here only briefly",
    "notification": "messages to people, not the dialogue's content",
    "notification_delivery": "the delivery log of those messages",
    "report": "compiled from the rest; compile it again after the import",
    "published_report": "compiled from the rest; publish it again after the import",
    "dialogue_attachment": "files, not rows: the archive is JSON; add the images and documents again",
}
# The dialogue row itself: its id is new, its listing version a cache key of this
# installation. The proposal sequence's last number travels with it.
DIALOGUE_LEFT_OUT = frozenset({"id", "listing_version"})
HEADER = ("format", "version", "exported_at", "personal_data")


def json_key(column: str) -> str:
    return column.removesuffix("_id")


# Export -------------------------------------------------------------------------------


def archive_of(dialogue: Dialogue, *, personal_data: bool = False) -> dict[str, Any]:
    """The archive as a dict in the file's order; `people` and the sections are iterators
    that read their rows in batches while the archive is written."""
    exporting = _Exporting(dialogue.id, personal_data)
    archive: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _encode_time(utcnow()),
        "personal_data": personal_data,
        "dialogue": exporting.dialogue(),
        "people": exporting.people(),
    }
    for section in SECTIONS:
        archive[section.name] = exporting.rows(section) if exporting.carries(section) else iter(())
    return archive


def write_archive(archive: dict[str, Any], out: TextIO) -> dict[str, int]:
    """Write `archive` as JSON, one row per line, ending with the digest of everything
    before it; returns how many rows each list had."""
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    out.write("{")
    for position, (name, value) in enumerate(archive.items()):
        out.write(",\n" if position else "\n")
        out.write(f"{json.dumps(name)}: ")
        if isinstance(value, Iterator):
            counts[name] = _write_rows(name, value, out, digest)
        else:
            text = _canonical(value)
            _digest_add(digest, name, text)
            out.write(text)
    out.write(f',\n"digest": {json.dumps("sha256:" + digest.hexdigest())}\n}}\n')
    return counts


def record_export(dialogue_id: int, *, personal_data: bool) -> None:
    """Who was given a copy of a dialogue, and whether it named people, is in the log."""
    audit.record(
        "dialogue_exported",
        target=db.session.get(Dialogue, dialogue_id),
        personal_data=personal_data,
    )


def _write_rows(name: str, rows: Iterator[dict], out: TextIO, digest) -> int:
    count = 0
    out.write("[")
    for count, row in enumerate(rows, start=1):
        text = _canonical(row)
        _digest_add(digest, name, text)
        out.write(("," if count > 1 else "") + "\n" + text)
    out.write("\n]" if count else "]")
    return count


def _canonical(value: Any) -> str:
    """A value's one spelling in JSON, the one the digest is of: an archive re-indented by
    a JSON tool still matches it."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _digest_add(digest, name: str, text: str) -> None:
    digest.update(f"{name}\n{text}\n".encode())


class _Exporting:
    def __init__(self, dialogue_id: int, personal_data: bool):
        self.dialogue_id = dialogue_id
        self.personal_data = personal_data
        self.numbers = dict(
            db.session.execute(
                select(Proposal.id, Proposal.number).where(Proposal.dialogue_id == dialogue_id)
            ).all()
        )

    def carries(self, section: Section) -> bool:
        return self.personal_data or not section.personal

    def dialogue(self) -> dict[str, Any]:
        row = db.session.execute(
            select(Dialogue.__table__).where(Dialogue.id == self.dialogue_id)
        ).one()
        columns = [c for c in sa.inspect(Dialogue).column_attrs if c.key not in DIALOGUE_LEFT_OUT]
        found = {
            c.key: _encode_value(c.columns[0], getattr(row, c.columns[0].name)) for c in columns
        }
        found["last_proposal_number"] = db.session.scalar(
            select(ProposalSequence.last_number).where(
                ProposalSequence.dialogue_id == self.dialogue_id
            )
        )
        return found

    def _people_ids(self):
        """Everyone any carried row refers to, as one SELECT of account ids."""
        return union(
            *(
                select(getattr(section.model, column)).where(
                    section.rows_of(self.dialogue_id),
                    getattr(section.model, column).is_not(None),
                )
                for section in SECTIONS
                if self.carries(section)
                for column, kind in section.refs.items()
                if kind == PERSON
            )
        ).subquery()

    def people(self) -> Iterator[dict[str, Any]]:
        # Their ids once (a number per person, never per vote), then their rows by batch.
        ids = sorted(db.session.scalars(select(self._people_ids().c[0])))
        names = ["id", "external_id", "district", "age_band"]
        if self.personal_data:
            names += PERSONAL_FIELDS
        columns = [getattr(User, name) for name in names]
        renamed = self._renamed_voters()
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            rows = db.session.execute(select(*columns).where(User.id.in_(batch)).order_by(User.id))
            for row in rows:
                person = dict(zip(names, row, strict=True))
                person["external_id"] = renamed.get(person["id"], person["external_id"])
                yield person

    def _renamed_voters(self) -> dict[int, str]:
        """Voters the report names otherwise than by their own reference (account 7 when
        someone was imported as 7): the archive carries that name, so the imported
        dialogue's report names them alike."""
        from dialog.reports.queries import voter_references

        return {
            user_id: reference
            for user_id, reference in voter_references(self.dialogue_id).items()
            if reference != str(user_id)
        }

    def rows(self, section: Section) -> Iterator[dict[str, Any]]:
        model = section.model
        plan = [
            (c.key, _encoder(c.columns[0]))
            if c.key not in section.refs
            else (json_key(c.key), self._referrer(section.refs[c.key]))
            for c in section.columns
        ]
        statement = select(model.id, *(c.columns[0] for c in section.columns)).where(
            section.rows_of(self.dialogue_id)
        )
        with_id = section.keyed in (COMMENT, PHASE, DECISION, INVITATION)
        for row in _batches(statement, model.id):
            found = {"id": row[0]} if with_id else {}
            for (key, encode), value in zip(plan, row[1:], strict=True):
                found[key] = None if value is None else encode(value)
            if not self.personal_data:
                found.update(dict.fromkeys(section.personal_columns))
            yield found

    def _referrer(self, kind: str) -> Callable[[int], Any]:
        if kind == PROPOSAL:
            return self.numbers.__getitem__
        if kind == IMAGE:
            return _image_of
        return lambda value: value  # people, comments, phases...: their archive id


def _image_of(file_id: int) -> dict[str, Any]:
    return (
        db.session.execute(
            select(
                StoredFile.filename, StoredFile.content_type, StoredFile.size, StoredFile.sha256
            ).where(StoredFile.id == file_id)
        )
        .one()
        ._asdict()
    )


def _batches(statement, key) -> Iterator[sa.Row]:
    """The statement's rows in batches by `key`, a bounded number in memory at once."""
    last = None
    while True:
        page = statement.order_by(key).limit(BATCH)
        if last is not None:
            page = page.where(key > last)
        rows = db.session.execute(page).all()
        yield from rows
        if len(rows) < BATCH:
            return
        last = rows[-1].id


def _encoder(column: sa.Column) -> Callable[[Any], Any]:
    """How a column's (non-null) values are written: enums by value, times in ISO 8601."""
    if isinstance(column.type, sa.Enum):
        return lambda value: _enum_member(column, value).value
    if isinstance(column.type, UTCDateTime):
        return _encode_time
    if isinstance(column.type, sa.Date):
        return date.isoformat
    return lambda value: value


def _encode_value(column: sa.Column, value: Any) -> Any:
    return None if value is None else _encoder(column)(value)


def _enum_member(column: sa.Column, value: Any):
    enum_class = column.type.enum_class
    return value if isinstance(value, enum_class) else enum_class(value)


def _encode_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# Import -------------------------------------------------------------------------------


@dataclass
class Imported:
    dialogue: Dialogue
    counts: dict[str, int]


def import_archive(source: TextIO, *, slug: str | None = None) -> Imported:
    """A new dialogue with everything the archive holds, under `slug` (else the archive's
    own). Raises ArchiveInvalid, or dialogues.SlugTaken; flushes, never commits."""
    stream = _JsonStream(source)
    importing = _Importing(slug)
    stream.start_object()
    for name in HEADER:
        importing.header(name, stream.value_of(name))
    importing.dialogue(stream.value_of("dialogue"))
    importing.people(stream.rows_of("people"))
    for section in SECTIONS:
        importing.section(section, stream.rows_of(section.name))
    importing.check_digest(stream.value_of("digest"))
    stream.end_object()
    importing.finish()
    return Imported(importing.new_dialogue, importing.counts)


class _Importing:
    def __init__(self, slug: str | None):
        self.slug = slug
        self.digest = hashlib.sha256()
        self.personal_data = False
        self.counts: dict[str, int] = {}
        self.ids: dict[str, dict[Any, int]] = {
            kind: {} for kind in (PERSON, PROPOSAL, COMMENT, PHASE, DECISION, INVITATION)
        }
        self.linked: set[int] = set()  # accounts here that people were matched to by address
        self.new_dialogue: Dialogue | None = None
        self.districts: set[str] | None = None  # the codes this installation knows
        # Rows of the batch being read that refer to another row of it: (column, row, to).
        self.replies: list[tuple[str, Any, Any]] = []

    def header(self, name: str, value: Any) -> None:
        self.digest_add(name, value)
        if name == "format" and value != FORMAT:
            raise ArchiveInvalid(f"it is not a dialogue archive (its format is {value!r}).")
        if name == "version" and value != VERSION:
            raise ArchiveInvalid(
                f"its format version is {value!r}; this installation reads version {VERSION}."
            )
        if name == "exported_at":
            _decode_time(value, "exported_at")
        if name == "personal_data":
            if not isinstance(value, bool):
                raise ArchiveInvalid("personal_data must be true or false.")
            self.personal_data = value

    def digest_add(self, name: str, value: Any) -> None:
        _digest_add(self.digest, name, _canonical(value))

    def dialogue(self, row: Any) -> None:
        self.digest_add("dialogue", row)
        where = "dialogue"
        if not isinstance(row, dict):
            raise ArchiveInvalid("dialogue must be an object.")
        row = dict(row)
        last_number = row.pop("last_proposal_number", None)
        if last_number is not None and not _is_int(last_number):
            raise ArchiveInvalid("dialogue: last_proposal_number must be a whole number.")
        columns = [c for c in sa.inspect(Dialogue).column_attrs if c.key not in DIALOGUE_LEFT_OUT]
        values = _decode_columns(row, {c.key: c.columns[0] for c in columns}, where)
        source_slug = values.pop("slug")
        state = values.pop("state", DialogueState.draft)
        editable = {k: v for k, v in values.items() if k in dialogues.DIALOGUE_FIELDS}
        self.slug = self.slug or source_slug
        self.new_dialogue = dialogues.create_dialogue(slug=self.slug, state=state, **editable)
        for name, value in values.items():
            if name not in editable:
                setattr(self.new_dialogue, name, value)  # its times, as they were
        db.session.add(
            ProposalSequence(dialogue_id=self.new_dialogue.id, last_number=last_number or 0)
        )
        db.session.flush()
        audit.record(
            "dialogue_imported",
            target=self.new_dialogue,
            source_slug=source_slug,
            personal_data=self.personal_data,
        )

    def people(self, rows: Iterator[Any]) -> None:
        """Each person once: matched by address to an account here when the archive has
        personal data, otherwise a new account that cannot log in. Either way reports
        name them as before: by their imported reference, else their old account id."""
        expected = {"id", "external_id", "district", "age_band"} | (
            set(PERSONAL_FIELDS) if self.personal_data else set()
        )
        new: list[dict[str, Any]] = []
        keys: list[int] = []
        for position, row in enumerate(self._counted("people", rows), start=1):
            where = f"people, row {position}"
            _require_keys(row, expected, where)
            key = row["id"]
            if not _is_int(key):
                raise ArchiveInvalid(f"{where}: id must be a whole number.")
            if key in self.ids[PERSON] or key in keys:
                raise ArchiveInvalid(f"{where}: the person {key} is listed twice.")
            reference = participant_reference(
                key, _text(row["external_id"], User.external_id, f"{where}: external_id")
            )
            person = {
                "external_id": reference,
                "district": self._district(row["district"], where),
                "age_band": _text(row["age_band"], User.age_band, f"{where}: age_band"),
            }
            if self.personal_data:
                self._add_personal(person, row, where)
            if person.get("email") is not None and self._link(key, person["email"]):
                continue
            person.setdefault("email", NO_ADDRESS.format(slug=self.slug, position=position).lower())
            person.setdefault("display_name", f"Deltagare {reference}")
            person.setdefault("pseudonym", f"Deltagare {reference}")
            new.append(person)
            keys.append(key)
            if len(new) >= BATCH:
                self._create(new, keys)
        self._create(new, keys)

    def _district(self, code: Any, where: str) -> str | None:
        if code is None:
            return None
        if self.districts is None:
            self.districts = set(db.session.scalars(select(District.code)))
        if code not in self.districts:
            raise ArchiveInvalid(
                f"{where}: the district {code!r} is not one of this installation's; "
                "add it to the districts first."
            )
        return code

    def _add_personal(self, person: dict, row: dict, where: str) -> None:
        for name in ("email", "display_name", "pseudonym"):
            person[name] = _text(row[name], getattr(User, name), f"{where}: {name}")
        if person["email"] is not None:
            person["email"] = normalise_email(person["email"])
        if person["display_name"] is None or person["pseudonym"] is None:
            raise ArchiveInvalid(f"{where}: display_name and pseudonym must be given.")
        if not isinstance(row["show_name_publicly"], bool):
            raise ArchiveInvalid(f"{where}: show_name_publicly must be true or false.")
        person["show_name_publicly"] = row["show_name_publicly"]

    def _link(self, key: int, email: str) -> bool:
        existing = db.session.scalar(select(User.id).where(User.email == email))
        if existing is None:
            return False
        self.ids[PERSON][key] = existing
        self.linked.add(existing)
        return True

    def _create(self, new: list[dict], keys: list[int]) -> None:
        from dialog.reports.polis import add_unusable_accounts

        with _database_rules("people"):
            self.ids[PERSON].update(zip(keys, add_unusable_accounts(new), strict=True))
        new.clear()
        keys.clear()

    def section(self, section: Section, rows: Iterator[Any]) -> None:
        pending: list[dict[str, Any]] = []
        pending_keys: dict[Any, None] = {}  # in order, and quick to look in
        for position, row in enumerate(self._counted(section.name, rows), start=1):
            if section.personal and not self.personal_data:
                raise ArchiveInvalid(
                    f"{section.name}: only an archive with personal data holds these."
                )
            values, key = self._decode_row(
                section, row, f"{section.name}, row {position}", pending_keys
            )
            if values is None:
                continue
            pending.append(values)
            pending_keys[key] = None
            if len(pending) >= BATCH:
                self._insert(section, pending, pending_keys)
        self._insert(section, pending, pending_keys)

    def _decode_row(self, section: Section, row: Any, where: str, pending_keys: dict):
        if not isinstance(row, dict):
            raise ArchiveInvalid(f"{where}: a row must be an object.")
        row = dict(row)
        key = None
        if section.keyed in (COMMENT, PHASE, DECISION, INVITATION):
            key = row.pop("id", None)
            if not _is_int(key):
                raise ArchiveInvalid(f"{where}: id must be a whole number.")
            if key in self.ids[section.keyed] or key in pending_keys:
                raise ArchiveInvalid(f"{where}: the id {key} is used twice.")
        given_refs = [row.pop(name, _MISSING) for name, *_ in section.references]
        values = _decode_columns(row, section.plain, where)
        if section.of_a_dialogue:
            values["dialogue_id"] = self.new_dialogue.id
        for given, (name, attribute, kind, column) in zip(
            given_refs, section.references, strict=True
        ):
            if given is _MISSING:
                raise ArchiveInvalid(f"{where}: {name} is missing.")
            if kind == section.keyed and given in pending_keys:
                # A reply to a comment of this batch, which has no id yet: linked once
                # the batch is in, so that replies do not break batches into single rows.
                self.replies.append((attribute, key, given))
                values[attribute] = None
                continue
            values[attribute] = self._resolve(kind, given, where, name, column)
        if section.name == "planners" and not self._planner_kept(values):
            return None, None
        if section.keyed == PROPOSAL:
            key = values["number"]
            if key in self.ids[PROPOSAL] or key in pending_keys:
                raise ArchiveInvalid(f"{where}: the number {key} is used twice.")
        return values, key

    def _planner_kept(self, values: dict) -> bool:
        # Only accounts that were here already act as planners: an archive never makes
        # staff of an account it created.
        return values["user_id"] in self.linked

    def _resolve(self, kind: str, given: Any, where: str, name: str, column: sa.Column) -> Any:
        if given is None:
            if not column.nullable:
                raise ArchiveInvalid(f"{where}: {name} must be given.")
            return None
        if kind == IMAGE:
            return self._image(given, where)
        known = self.ids[kind]
        if kind == PERSON and (not _is_int(given) or given not in known):
            raise ArchiveInvalid(f"{where}: {name} {given!r} is not among the people.")
        if not _is_int(given) or given not in known:
            raise ArchiveInvalid(
                f"{where}: {name} {given!r} is not an earlier {kind} of the archive."
            )
        return known[given]

    def _image(self, given: Any, where: str) -> int | None:
        """The same picture when this installation already keeps its bytes; otherwise
        the proposal goes without (an archive carries what a file was, not the file)."""
        if not isinstance(given, dict) or not isinstance(given.get("sha256"), str):
            raise ArchiveInvalid(f"{where}: image must be an object with its sha256.")
        return db.session.scalar(
            select(func.min(StoredFile.id)).where(StoredFile.sha256 == given["sha256"])
        )

    def _insert(self, section: Section, pending: list[dict], keys: list) -> None:
        if not pending:
            return
        with _database_rules(section.name):
            if section.keyed:
                statement = insert(section.model).returning(
                    section.model.id, sort_by_parameter_order=True
                )
                new_ids = db.session.scalars(statement, pending).all()
                self.ids[section.keyed].update(zip(keys, new_ids, strict=True))
                self._link_replies(section)
            else:
                db.session.execute(insert(section.model), pending)
        pending.clear()
        keys.clear()

    def _link_replies(self, section: Section) -> None:
        if not self.replies:
            return
        known = self.ids[section.keyed]
        db.session.execute(
            sa.update(section.model),
            [
                {"id": known[key], attribute: known[parent]}
                for attribute, key, parent in self.replies
            ],
        )
        self.replies.clear()

    def _counted(self, name: str, rows: Iterator[Any]) -> Iterator[Any]:
        self.counts[name] = 0
        for row in rows:
            self.digest_add(name, row)
            self.counts[name] += 1
            yield row

    def check_digest(self, value: Any) -> None:
        if value != "sha256:" + self.digest.hexdigest():
            raise ArchiveInvalid(
                "its digest does not match its content: it was changed or damaged after export."
            )

    def finish(self) -> None:
        """SQLite's search index of the new proposals (PostgreSQL indexes the columns)."""
        dialogue_id = self.new_dialogue.id
        for proposal in _batches(
            select(Proposal.id, Proposal.title, Proposal.body).where(
                Proposal.dialogue_id == dialogue_id
            ),
            Proposal.id,
        ):
            index_for_search(proposal)
        db.session.flush()


_MISSING = object()


class _database_rules:
    """A row the database refuses (a broken constraint) is the archive's fault: say which
    list it was in."""

    def __init__(self, where: str):
        self.where = where

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _traceback):
        if isinstance(error, (sa.exc.IntegrityError, sa.exc.DataError)):
            raise ArchiveInvalid(
                f"{self.where}: the database refused a row ({error.orig})."
            ) from error
        return False


def _require_keys(row: Any, expected: set[str], where: str) -> None:
    if not isinstance(row, dict):
        raise ArchiveInvalid(f"{where}: a row must be an object.")
    missing, unknown = expected - row.keys(), row.keys() - expected
    if missing:
        raise ArchiveInvalid(f"{where}: {', '.join(sorted(missing))} missing.")
    if unknown:
        raise ArchiveInvalid(f"{where}: unknown key(s) {', '.join(sorted(unknown))}.")


def _decode_columns(row: dict, by_key: dict[str, sa.Column], where: str) -> dict[str, Any]:
    unknown = row.keys() - by_key.keys()
    if unknown:
        raise ArchiveInvalid(f"{where}: unknown key(s) {', '.join(sorted(unknown))}.")
    values = {}
    for key, column in by_key.items():
        if key not in row:
            # An archive made before the column existed: its default, when it has one.
            if column.nullable or column.default is not None:
                continue
            raise ArchiveInvalid(f"{where}: {key} is missing.")
        values[key] = _decode_value(column, row[key], f"{where}: {key}")
    return values


def _decode_value(column: sa.Column, value: Any, where: str) -> Any:
    if value is None:
        if not column.nullable:
            raise ArchiveInvalid(f"{where} must be given.")
        return None
    kind = column.type
    if isinstance(kind, sa.Enum):
        try:
            return kind.enum_class(value)
        except ValueError:
            allowed = ", ".join(member.value for member in kind.enum_class)
            raise ArchiveInvalid(f"{where} is {value!r}, not one of {allowed}.") from None
    if isinstance(kind, UTCDateTime):
        return _decode_time(value, where)
    if isinstance(kind, sa.Date):
        return _decode_date(value, where)
    if isinstance(kind, sa.Boolean):
        if not isinstance(value, bool):
            raise ArchiveInvalid(f"{where} must be true or false.")
        return value
    if isinstance(kind, sa.Integer):
        if not _is_int(value):
            raise ArchiveInvalid(f"{where} must be a whole number.")
        return value
    if isinstance(kind, sa.Float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ArchiveInvalid(f"{where} must be a number.")
        return float(value)
    if isinstance(kind, sa.String):
        return _text(value, column, where)
    return value  # JSON columns: lists and objects as they were


def _text(value: Any, column, where: str) -> str | None:
    column = getattr(column, "expression", column)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ArchiveInvalid(f"{where} must be text.")
    if column.type.length is not None and len(value) > column.type.length:
        raise ArchiveInvalid(f"{where} is longer than {column.type.length} characters.")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _decode_date(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):  # not text, or not a date
        raise ArchiveInvalid(f"{where} must be a date written YYYY-MM-DD, not {value!r}.") from None


def _decode_time(value: Any, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ArchiveInvalid(
            f"{where} must be a time in ISO 8601 with its offset, {value!r} is not."
        )
    return moment.astimezone(UTC)


# Reading JSON as it comes -------------------------------------------------------------


class _JsonStream:
    """One JSON object read key by key, and the lists in it element by element: the
    standard library's decoder on a window of the file, so a long list is never in
    memory whole."""

    CHUNK = 1 << 20
    # A single value (a row, the dialogue) longer than this is not an archive's.
    LONGEST_VALUE = 64 << 20
    WHITESPACE = " \t\r\n"

    def __init__(self, source: TextIO):
        self.source = source
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self.decoder = json.JSONDecoder()
        self.keys_read = 0
        self.where = "the start"

    def start_object(self) -> None:
        self._expect("{")

    def value_of(self, name: str) -> Any:
        self._key(name)
        return self._value()

    def rows_of(self, name: str) -> Iterator[Any]:
        self._key(name)
        self._expect("[")
        if self._peek() == "]":
            self.pos += 1
            return
        while True:
            yield self._value()
            if self._expect(",]") == "]":
                return

    def end_object(self) -> None:
        self._expect("}")
        if self._peek() != "":
            raise ArchiveInvalid("there is more after the archive's end.")

    def _key(self, name: str) -> None:
        if self.keys_read:
            self._expect(",")
        self.where = name
        key = self._value()
        if key != name:
            raise ArchiveInvalid(
                f"{name} was expected where {key!r} is: the keys must come in the documented order."
            )
        self._expect(":")
        self.keys_read += 1

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self.source.read(self.CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buffer = self.buffer[self.pos :] + chunk
        self.pos = 0
        return True

    def _peek(self) -> str:
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in self.WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._more():
                return ""

    def _expect(self, allowed: str) -> str:
        found = self._peek()
        if found == "":
            raise self._truncated()
        if found not in allowed:
            raise ArchiveInvalid(
                f"in {self.where}, {' or '.join(repr(c) for c in allowed)} was expected, "
                f"not {found!r}: it is not the JSON of an archive."
            )
        self.pos += 1
        return found

    def _value(self) -> Any:
        if self._peek() == "":
            raise self._truncated()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as error:
                if len(self.buffer) - self.pos < self.LONGEST_VALUE and self._more():
                    continue  # the value goes on in the next chunk
                if self.eof and _at_the_end(error):
                    raise self._truncated() from error
                raise ArchiveInvalid(f"in {self.where}: {error.msg}.") from error
            if end == len(self.buffer) and self._more():
                continue  # a number may go on in the next chunk
            self.pos = end
            return value

    def _truncated(self) -> ArchiveInvalid:
        return ArchiveInvalid(f"it ends in the middle of {self.where}: the file is truncated.")


def _at_the_end(error: json.JSONDecodeError) -> bool:
    """Whether the text broke off in the value, rather than going wrong in it."""
    return error.msg.startswith("Unterminated") or error.pos >= len(error.doc.rstrip()) - 1
