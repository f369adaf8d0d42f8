"""Who may change the districts and the population table; one function per action."""

from __future__ import annotations

from dialog.accounts import permissions as accounts
from dialog.core.permissions import Decision


def can_manage_districts(user) -> Decision:
    """The list is the installation's, shared by every dialogue: administrators only."""
    return accounts.can_manage_roles(user)


def can_upload_population(user) -> Decision:
    return accounts.can_manage_roles(user)
