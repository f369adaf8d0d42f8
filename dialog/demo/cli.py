"""Demo and benchmark data: `flask --app dialog seed-demo` and `seed-scale`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from dialog.demo import services as demo
from dialog.extensions import db


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when there are accounts already.")
@with_appcontext
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo dialogue and accounts (password: demo-password)."""
    _refuse_in_production("seed-demo", "it creates accounts whose password is published")
    if if_empty and not demo.database_is_empty():
        click.echo("The database has data; demo data not loaded.")
        return
    demo.seed()
    db.session.commit()
    click.echo("Demo data loaded. Accounts (password demo-password):")
    for email in demo.DEMO_ACCOUNTS:
        click.echo(f"  {email}")


@click.command("seed-scale")
@click.option("--proposals", "proposal_count", default=2000, show_default=True)
@click.option("--residents", default=500, show_default=True)
@click.option("--votes-per-resident", default=20, show_default=True)
@click.option(
    "--followers",
    default=100_000,
    show_default=True,
    help="Verified residents who follow the dialogue (its notification audience).",
)
@click.option("--slug", default="skala", show_default=True)
@with_appcontext
def seed_scale_command(
    proposal_count: int, residents: int, votes_per_resident: int, followers: int, slug: str
) -> None:
    """A large dialogue for benchmarks: many proposals, residents, votes and followers."""
    _refuse_in_production("seed-scale", "it fills the database with made-up people and votes")
    demo.seed_scale(
        slug=slug,
        proposals=proposal_count,
        residents=residents,
        votes_per_resident=votes_per_resident,
        followers=followers,
    )
    db.session.commit()
    click.echo(
        f"Dialogue {slug}: {proposal_count} proposals, {residents} residents, "
        f"up to {residents * votes_per_resident} votes, {followers} followers."
    )


def _refuse_in_production(command: str, reason: str) -> None:
    if current_app.config["CONFIG_NAME"] == "production":
        # ClickException: one line on stderr and exit status 1, no traceback.
        raise click.ClickException(f"{command} is refused in production: {reason}.")
