"""Demo and benchmark data: the demo dialogue and accounts, and a large dialogue."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from dialog.demo import cli

    app.cli.add_command(cli.seed_demo_command)
    app.cli.add_command(cli.reset_demo_command)
    app.cli.add_command(cli.seed_scale_command)
