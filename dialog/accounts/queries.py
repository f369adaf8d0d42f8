"""Reads about accounts that pages use."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from dialog.accounts.models import User
from dialog.extensions import db

PAGE_SIZE = 50


def users_page(search: str = "", page: int = 1):
    query = select(User).order_by(User.created_at.desc(), User.id.desc())
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            or_(User.email.like(pattern), func.lower(User.display_name).like(pattern))
        )
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
