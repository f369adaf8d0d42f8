"""Proposals, comments, votes, follows, official answers."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user


def init_app(app: Flask) -> None:
    # Models and tasks register on import: tables, Celery tasks.
    from dialog.proposals import labels, models, permissions, tasks, views  # noqa: F401

    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(
        dimension_labels=labels.DIMENSION_LABELS,
        # A proposal stores its dimensions as plain values.
        dimension_labels_by_value={d.value: label for d, label in labels.DIMENSION_LABELS.items()},
        vote_labels=labels.VOTE_LABELS,
        vote_button_labels=labels.VOTE_BUTTON_LABELS,
        back_instead_labels=labels.BACK_INSTEAD_LABELS,
        sort_labels=labels.SORT_LABELS,
        stance_labels=labels.STANCE_LABELS,
        source_labels=labels.SOURCE_LABELS,
        answer_labels=labels.ANSWER_LABELS,
        can_edit_comment=lambda comment: permissions.can_edit_comment(current_user, comment),
        can_delete_comment=lambda comment: permissions.can_delete_comment(current_user, comment),
    )
