"""Knowledge-base reports: what a dialogue said, by whom, where people agree and where
they are divided, and what the municipality did with it."""

from __future__ import annotations

from datetime import datetime

from flask import Flask


def init_app(app: Flask) -> None:
    from dialog.reports import cli, labels, models, permissions, services, tasks, views  # noqa: F401

    app.register_blueprint(views.bp)
    app.add_template_filter(datetime.fromisoformat, "fromisoformat")
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
        report_flag_reason=labels.flag_reason_label,
        report_area_part=labels.area_part_label,
        report_action=labels.action_label,
        report_day_bars=labels.day_bars,
        report_chart=(labels.CHART_WIDTH, labels.CHART_HEIGHT),
        report_busiest_day=labels.busiest_day,
        report_dimensions=labels.dimensions_named,
        report_is_published=lambda dialogue: services.published_report(dialogue.id) is not None,
        can_compile_reports=permissions.can_compile_reports,
    )
