"""Account commands: `flask --app dialog create-user ...`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from dialog.accounts import services
from dialog.accounts.forms import MIN_PASSWORD
from dialog.accounts.models import Role
from dialog.extensions import db


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(["resident", "planner", "admin"]), default="resident")
@click.option("--name", "display_name", default=None, help="Display name (default: from email)")
@click.password_option(envvar="DIALOG_USER_PASSWORD", help="Or set DIALOG_USER_PASSWORD.")
@with_appcontext
def create_user_command(email: str, role: str, display_name: str | None, password: str) -> None:
    """Create a confirmed account with a role."""
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
