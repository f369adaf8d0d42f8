"""Dialogue commands: `flask --app dialog add-phase ...`, `export-dialogue SLUG PATH`
and `import-dialogue PATH`."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from wtforms.validators import Length, Regexp

from dialog.core.db import one_snapshot
from dialog.dialogues import archive, queries, schedule
from dialog.dialogues.forms import DialogueForm
from dialog.dialogues.models import Dialogue, PhaseKind
from dialog.dialogues.services import SlugTaken
from dialog.extensions import db


def _form_slug_rule() -> tuple[re.Pattern[str], int]:
    """The dialogue form's rule for an address name, taken from the form's own validators
    so that a command and the form cannot come to differ."""
    validators = DialogueForm.slug.kwargs["validators"]
    pattern = next(v.regex for v in validators if isinstance(v, Regexp))
    length = next(v.max for v in validators if isinstance(v, Length))
    return pattern, length


SLUG, SLUG_LENGTH = _form_slug_rule()


def check_address_name(slug: str) -> None:
    """Refuse, as the dialogue form would, a slug that cannot be a dialogue's address name
    (`--slug` of import-dialogue and import-polis)."""
    if len(slug) > SLUG_LENGTH:
        raise click.UsageError(
            f"The address name {slug[:40]!r}… is {len(slug)} characters long: "
            f"at most {SLUG_LENGTH}."
        )
    if not SLUG.match(slug):
        raise click.UsageError(
            f"{slug!r} is not an address name: use lower-case letters a–z, digits and "
            "hyphens, like framtidens-stadskarna."
        )


@click.command("add-phase")
@click.argument("slug")
@click.argument(
    "kind",
    type=click.Choice(["information", "proposals", "dialogue", "voting", "review", "result"]),
)
@click.argument("title")
@click.option("--starts", required=True, help="Swedish time, e.g. '2027-03-01 09:00'.")
@click.option("--ends", default=None, help="Swedish time; leave out for an open-ended last phase.")
@with_appcontext
def add_phase_command(slug: str, kind: str, title: str, starts: str, ends: str | None) -> None:
    """Schedule a phase, checked by the same rules as the admin form."""
    dialogue = queries.dialogue_by_slug(slug)
    if dialogue is None:
        raise click.UsageError(f"No dialogue is called {slug}.")
    try:
        plan = schedule.PhasePlan(
            kind=PhaseKind(kind),
            title=title,
            starts_at=schedule.local_to_utc(_parse_local(starts), "starts_at"),
            ends_at=schedule.local_to_utc(_parse_local(ends), "ends_at") if ends else None,
        )
        schedule.add_phase(dialogue, plan, by=None)
    except schedule.ScheduleInvalid as invalid:
        raise click.UsageError(" ".join(p.message for p in invalid.problems)) from invalid
    db.session.commit()
    click.echo(f"Scheduled {kind} phase '{title}' in {slug}.")


def _parse_local(text: str) -> datetime:
    try:
        return datetime.strptime(text.strip().replace("T", " "), "%Y-%m-%d %H:%M")
    except ValueError as error:
        raise click.UsageError(f"{text!r} is not a time like 2027-03-01 09:00.") from error


@click.command("export-dialogue")
@click.argument("slug")
@click.argument(
    "out_path",
    metavar="PATH",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
)
@click.option(
    "--with-personal-data",
    is_flag=True,
    help="Also the people's addresses and names, and the invitations (the archive is then "
    "personal data: keep it as such).",
)
@with_appcontext
def export_dialogue_command(slug: str, out_path: Path, with_personal_data: bool) -> None:
    """Write a whole dialogue as one JSON archive (docs/dialogue-archive.md) to PATH ('-'
    for standard output); people by pseudonymous reference only, unless asked for their
    personal data."""
    dialogue = queries.dialogue_by_slug(slug)
    if dialogue is None:
        raise click.UsageError(f"No dialogue is called {slug}.")
    if with_personal_data:
        click.echo(
            "Warning: this archive holds personal data (addresses and names). Store and "
            "send it as such, and delete it when it is no longer needed.",
            err=True,
        )
    dialogue_id = dialogue.id
    # Written beside PATH and moved there when complete: no half-written archive at PATH.
    partial = out_path if str(out_path) == "-" else out_path.with_name(out_path.name + ".part")
    with one_snapshot(), click.open_file(str(partial), "w", encoding="utf-8") as out:
        counts = archive.write_archive(
            archive.archive_of(
                db.session.get(Dialogue, dialogue_id), personal_data=with_personal_data
            ),
            out,
        )
    if partial != out_path:
        partial.replace(out_path)
    archive.record_export(dialogue_id, personal_data=with_personal_data)
    db.session.commit()
    click.echo(f"{slug}: {_summary(counts)}; written to {out_path}", err=True)


@click.command("import-dialogue")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--slug", default=None, help="The new dialogue's address name (else the archive's).")
@with_appcontext
def import_dialogue_command(path: Path, slug: str | None) -> None:
    """Make a new dialogue from an archive written by export-dialogue, in one transaction."""
    if slug is not None:
        check_address_name(slug)
    try:
        with path.open(encoding="utf-8") as source:
            imported = archive.import_archive(source, slug=slug)
    except UnicodeDecodeError as error:
        db.session.rollback()
        raise click.UsageError(f"{path} is not an archive: it is not UTF-8 text.") from error
    except archive.ArchiveInvalid as invalid:
        db.session.rollback()
        raise click.UsageError(f"{path} cannot be imported: {invalid}") from invalid
    except SlugTaken as taken:
        db.session.rollback()
        raise click.UsageError(
            f"A dialogue is already called {taken}; choose another with --slug."
        ) from taken
    db.session.commit()
    click.echo(f"{imported.dialogue.slug}: {_summary(imported.counts)} imported.")


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items())
