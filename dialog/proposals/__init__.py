"""Proposals, comments, votes, follows, official answers."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user


def init_app(app: Flask) -> None:
    # Models and tasks register on import: tables, Celery tasks.
    from dialog.core.markdown import render as render_markdown
    from dialog.proposals import labels, maps, models, permissions, tasks, views  # noqa: F401

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
        answer_html=lambda text: render_markdown(text, line_breaks=True),
        can_edit_comment=lambda comment: permissions.can_edit_comment(current_user, comment),
        can_delete_comment=lambda comment: permissions.can_delete_comment(current_user, comment),
        can_reply_to=lambda comment: permissions.can_reply(current_user, comment),
        dialogue_map=maps.dialogue_map,
        proposal_map=maps.proposal_map,
        place_picker=maps.picker,
    )
