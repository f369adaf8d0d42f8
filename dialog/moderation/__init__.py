"""Moderation: residents flag proposals and comments; flags from enough accounts hold an
item out of sight until a moderator (the dialogue's planners, or an administrator)
decides; a dialogue may pre-moderate new items."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from dialog.moderation import models, queue, tasks, views  # noqa: F401  (register tables, routes, tasks)
    from dialog.moderation.labels import FLAG_REASONS, moderation_label, out_of_sight_notice

    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(
        out_of_sight_notice=out_of_sight_notice,
        queue_state_label=moderation_label,
        flag_reason_label=FLAG_REASONS.get,
    )
