"""Report commands: `flask --app dialog report SLUG --json PATH` and
`flask --app dialog import-polis DIR --slug SLUG`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from dialog.core.db import one_snapshot
from dialog.dialogues import queries as dialogue_queries
from dialog.dialogues.cli import check_address_name
from dialog.dialogues.services import SlugTaken
from dialog.extensions import db
from dialog.reports import polis
from dialog.reports.compiling import compile_report


@click.command("report")
@click.argument("slug")
@click.option(
    "--json",
    "json_path",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the report as JSON ('-' for standard output).",
)
@with_appcontext
def report_command(slug: str, json_path: Path) -> None:
    """Compile a dialogue's report now, as the worker does, with the opinion groups'
    members (their references, never their names)."""
    dialogue = dialogue_queries.dialogue_by_slug(slug)
    if dialogue is None:
        raise click.UsageError(f"No dialogue is called {slug}.")
    with one_snapshot():
        content = compile_report(dialogue)
    text = json.dumps(content, ensure_ascii=False, indent=2, sort_keys=True)
    if str(json_path) == "-":
        click.echo(text)
        return
    json_path.write_text(text + "\n", encoding="utf-8")
    totals = content["totals"]
    click.echo(
        f"{slug}: {totals['participants']} participants, {totals['proposals']} proposals, "
        f"{len(content['opinion_groups'])} opinion groups; written to {json_path}",
        err=True,
    )


@click.command("import-polis")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--slug", required=True, help="The new dialogue's address name.")
@with_appcontext
def import_polis_command(folder: Path, slug: str) -> None:
    """Make a dialogue from a Polis conversation export folder."""
    check_address_name(slug)
    try:
        export = polis.read_export(folder)
        dialogue = polis.import_dialogue(export, slug=slug)
    except polis.NotAPolisExport as invalid:
        db.session.rollback()
        raise click.UsageError(f"Not a Polis export: {invalid}") from invalid
    except SlugTaken as taken:
        db.session.rollback()
        raise click.UsageError(f"A dialogue is already called {slug}.") from taken
    db.session.commit()
    click.echo(
        f"{dialogue.slug}: {len(export.comments)} proposals, "
        f"{len({participant for participant, _ in export.votes})} voters, "
        f"{len(export.votes)} votes imported."
    )
