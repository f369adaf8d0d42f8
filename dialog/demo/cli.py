"""Demo and benchmark data: `flask --app dialog seed-demo`, `reset-demo` and `seed-scale`."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from dialog.demo import scale
from dialog.demo import services as demo
from dialog.dialogues.models import VoteMode
from dialog.dialogues.services import SlugTaken
from dialog.extensions import cache, db


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


@click.command("reset-demo")
@click.option("--yes", is_flag=True, help="Do not ask before deleting everything.")
@with_appcontext
def reset_demo_command(yes: bool) -> None:
    """Delete everything in the database and start again from the demo data."""
    _refuse_in_production("reset-demo", "it deletes every account, dialogue and proposal")
    where = db.engine.url.render_as_string(hide_password=True)
    if not yes:
        click.confirm(f"Delete everything in {where} and load the demo data?", abort=True)
    demo.reset_database()
    demo.seed()
    db.session.commit()
    cache.clear()  # pages and fragments of what no longer exists
    click.echo(f"{where} holds the demo data only. Accounts (password demo-password):")
    for email in demo.DEMO_ACCOUNTS:
        click.echo(f"  {email}")


DEFAULT_SIZE = scale.ScaleSize()


@click.command("seed-scale")
@click.option("--proposals", default=DEFAULT_SIZE.proposals, show_default=True)
@click.option(
    "--participants",
    default=DEFAULT_SIZE.participants,
    show_default=True,
    help="Accounts that vote (each at least once), propose and comment.",
)
@click.option("--votes", default=DEFAULT_SIZE.votes, show_default=True)
@click.option("--comments", default=DEFAULT_SIZE.comments, show_default=True)
@click.option(
    "--followers",
    default=DEFAULT_SIZE.followers,
    show_default=True,
    help="Further verified residents who follow the dialogue (its notification audience).",
)
@click.option(
    "--vote-mode",
    type=click.Choice([mode.value for mode in VoteMode]),
    default=VoteMode.for_against.value,
    show_default=True,
)
@click.option("--slug", default="skala", show_default=True)
@with_appcontext
def seed_scale_command(
    proposals: int,
    participants: int,
    votes: int,
    comments: int,
    followers: int,
    vote_mode: str,
    slug: str,
) -> None:
    """A large dialogue for benchmarks, in its voting phase, written in bulk."""
    _refuse_in_production("seed-scale", "it fills the database with made-up people and votes")
    size = scale.ScaleSize(proposals, participants, votes, comments, followers)
    problem = size.problem()
    if problem:
        raise click.UsageError(problem)
    started = time.perf_counter()
    try:
        scale.seed_scale(slug=slug, size=size, vote_mode=VoteMode(vote_mode))
    except SlugTaken:
        raise click.UsageError(
            f"A dialogue is already called {slug}; choose another --slug."
        ) from None
    db.session.commit()
    click.echo(
        f"Dialogue {slug}: {proposals} proposals, {participants} participants, {votes} votes, "
        f"{comments} comments, {followers} followers "
        f"({time.perf_counter() - started:.0f} s)."
    )


def _refuse_in_production(command: str, reason: str) -> None:
    if current_app.config["CONFIG_NAME"] == "production":
        # ClickException: one line on stderr and exit status 1, no traceback.
        raise click.ClickException(f"{command} is refused in production: {reason}.")
