"""Public dialogue pages."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from dialog.dialogues import queries

bp = Blueprint("dialogues", __name__)


@bp.get("/")
def index():
    return render_template("dialogues/index.html", dialogues=queries.published_dialogues())


@bp.get("/d/<slug>")
def show(slug: str):
    dialogue = queries.published_dialogue(slug)
    if dialogue is None:
        abort(404)
    return render_template("dialogues/show.html", dialogue=dialogue)
