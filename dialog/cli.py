"""Operator commands: `flask --app dialog <command>`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from dialog.extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(add_phase_command)
    app.cli.add_command(seed_scale_command)


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(["resident", "planner", "admin"]), default="resident")
@click.option("--name", "display_name", default=None, help="Display name (default: from email)")
@click.password_option(envvar="DIALOG_USER_PASSWORD", help="Or set DIALOG_USER_PASSWORD.")
@with_appcontext
def create_user_command(email: str, role: str, display_name: str | None, password: str) -> None:
    """Create a confirmed account with a role."""
    from dialog.accounts import services
    from dialog.accounts.forms import MIN_PASSWORD
    from dialog.accounts.models import Role

    if len(password) < MIN_PASSWORD or services.is_common_password(password):
        raise click.UsageError(
            f"The password must be at least {MIN_PASSWORD} characters and not a common one."
        )
    if services.find_by_email(email) is not None:
        raise click.UsageError(f"An account for {email} already exists.")
    user = services.create_user(
        email=email, password=password, role=Role(role), display_name=display_name
    )
    db.session.commit()
    click.echo(f"Created {user.email} ({role}).")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when there are accounts already.")
@with_appcontext
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo dialogue and accounts (password: demo-password)."""
    from dialog import demo

    if if_empty and not demo.database_is_empty():
        click.echo("The database has data; demo data not loaded.")
        return
    demo.seed()
    db.session.commit()
    click.echo("Demo data loaded. Accounts (password demo-password):")
    for email in demo.DEMO_ACCOUNTS:
        click.echo(f"  {email}")


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
    from dialog.dialogues import queries, services
    from dialog.dialogues.models import PhaseKind

    dialogue = queries.dialogue_by_slug(slug)
    if dialogue is None:
        raise click.UsageError(f"No dialogue is called {slug}.")
    try:
        plan = services.PhasePlan(
            kind=PhaseKind(kind),
            title=title,
            starts_at=services.local_to_utc(_parse_local(starts), "starts_at"),
            ends_at=services.local_to_utc(_parse_local(ends), "ends_at") if ends else None,
        )
        services.add_phase(dialogue, plan, by=None)
    except services.ScheduleInvalid as invalid:
        raise click.UsageError(" ".join(p.message for p in invalid.problems)) from invalid
    db.session.commit()
    click.echo(f"Scheduled {kind} phase '{title}' in {slug}.")


def _parse_local(text: str):
    from datetime import datetime

    try:
        return datetime.strptime(text.strip().replace("T", " "), "%Y-%m-%d %H:%M")
    except ValueError as error:
        raise click.UsageError(f"{text!r} is not a time like 2027-03-01 09:00.") from error


@click.command("seed-scale")
@click.option("--proposals", "proposal_count", default=2000, show_default=True)
@click.option("--residents", default=500, show_default=True)
@click.option("--votes-per-resident", default=20, show_default=True)
@click.option("--slug", default="skala", show_default=True)
@with_appcontext
def seed_scale_command(
    proposal_count: int, residents: int, votes_per_resident: int, slug: str
) -> None:
    """A large dialogue for benchmarks: many proposals, residents and votes."""
    from dialog import demo

    demo.seed_scale(
        slug=slug,
        proposals=proposal_count,
        residents=residents,
        votes_per_resident=votes_per_resident,
    )
    db.session.commit()
    click.echo(
        f"Dialogue {slug}: {proposal_count} proposals, {residents} residents, "
        f"up to {residents * votes_per_resident} votes."
    )
