"""Dialogue commands: `flask --app dialog add-phase ...`."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from dialog.dialogues import queries, schedule
from dialog.dialogues.models import PhaseKind
from dialog.extensions import db


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
