"""Who may read and set what."""

from __future__ import annotations

from dialog.accounts import permissions as accounts
from dialog.core.permissions import Decision
from dialog.dialogues.visibility import has_staff_role
from dialog.notifications.labels import STAFF_CATEGORIES
from dialog.notifications.models import Category


def can_read_notifications(user) -> Decision:
    """Their own notifications: anyone logged in."""
    return accounts.can_follow(user)


def categories_for(user) -> list[Category]:
    """What a person can hear about: the moderators' category only for staff."""
    staff = user.is_authenticated and has_staff_role(user)
    return [c for c in Category if staff or c not in STAFF_CATEGORIES]


def can_see_undelivered(user) -> Decision:
    """Mail that did not get through, and retrying it: administrators."""
    return accounts.can_manage_roles(user)
