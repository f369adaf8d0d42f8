"""Small helpers the legal pages' tests share."""

from __future__ import annotations

from sqlalchemy import select

from tests.support import log_in


def client_for(app, user, lang: str | None = None):
    """A client of its own, logged in as `user` (or anonymous), in `lang` when given."""
    client = app.test_client()
    if user is not None:
        log_in(client, user.email)
    if lang:
        client.get(f"/?lang={lang}")
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def rows(app, model):
    from dialog.extensions import db

    with app.app_context():
        found = list(db.session.scalars(select(model).order_by(model.id)))
        for row in found:
            db.session.expunge(row)
        return found
