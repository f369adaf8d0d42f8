"""Who may do what with the legal pages; one function per action."""

from __future__ import annotations

from dialog.accounts import permissions as accounts
from dialog.core.permissions import Decision


def can_edit_pages(user) -> Decision:
    """The installation's administrators answer for its terms, notice and statement."""
    return accounts.can_manage_roles(user)


def can_read_feedback(user) -> Decision:
    """Reports of barriers may name the person: administrators only."""
    return accounts.can_manage_roles(user)


def can_send_feedback(user) -> Decision:
    """Everyone, with or without an account: a barrier may be what keeps them out."""
    return Decision.allow()
