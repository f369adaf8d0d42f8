"""Dialogues, phases, phase kinds and their capabilities, scheduling."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Models and tasks register on import: tables, Celery tasks.
    from dialog.dialogues import cli, labels, models, tasks, timeline, views  # noqa: F401

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.add_phase_command)
    app.cli.add_command(cli.export_dialogue_command)
    app.cli.add_command(cli.import_dialogue_command)
    app.jinja_env.globals.update(
        kind_labels=labels.KIND_LABELS,
        capability_labels=labels.CAPABILITY_LABELS,
        # Templates look a dialogue's state up by its value.
        state_labels={state.value: label for state, label in labels.STATE_LABELS.items()},
        state_action_labels=labels.STATE_ACTION_LABELS,
        # The starts and ends of phases, for moment_format (the year when it is needed).
        phase_moments=timeline.phase_moments,
        # A phase's kind, or None where its title already says it ("Kommunen svarar").
        phase_kind=timeline.kind_label_adding_to,
    )
