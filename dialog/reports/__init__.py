"""Knowledge-base reports: what a dialogue said, by whom, where people agree and where
they are divided, and what the municipality did with it."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from dialog.reports import cli, models, tasks  # noqa: F401  (register tables and tasks)

    app.cli.add_command(cli.report_command)
    app.cli.add_command(cli.import_polis_command)
