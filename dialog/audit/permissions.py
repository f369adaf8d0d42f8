"""Who may read the audit log: administrators, who answer for the installation."""

from __future__ import annotations

from dialog.accounts import permissions as accounts
from dialog.core.permissions import Decision


def can_read(user) -> Decision:
    return accounts.can_manage_roles(user)


def can_export(user) -> Decision:
    return can_read(user)
