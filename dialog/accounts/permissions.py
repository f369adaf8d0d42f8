"""Who may do what with accounts; one function per action."""

from __future__ import annotations

from dialog.core.permissions import Decision


def can_contribute(user) -> Decision:
    """Post, comment and vote: a logged-in person with a confirmed email address."""
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if not user.is_verified:
        return Decision.deny("email_unverified")
    return Decision.allow()


def can_follow(user) -> Decision:
    """Reading and following need only an account, confirmed or not."""
    if not user.is_authenticated:
        return Decision.deny("login_required")
    return Decision.allow()


def can_manage_roles(user) -> Decision:
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if not user.is_admin:
        return Decision.deny("not_an_admin")
    return Decision.allow()
