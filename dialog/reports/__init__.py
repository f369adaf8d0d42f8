"""Knowledge-base reports: what a dialogue said, by whom, where people agree and where
they are divided, and what the municipality did with it."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from dialog.reports import cli, labels, models, tasks, views  # noqa: F401  (register tables, tasks)

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.report_command)
    app.cli.add_command(cli.import_polis_command)
    app.jinja_env.globals.update(
        report_status_label=lambda report: labels.STATUS_LABELS[report.status],
        report_progress_text=labels.progress_text,
        report_failure_text=labels.failure_text,
        report_rankings=labels.RANKINGS,
        report_source_label=labels.source_label,
        report_answer_label=labels.answer_label,
        report_day=labels.day,
        report_map=labels.map_points,
    )
