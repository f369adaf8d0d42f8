"""Who may do what with accounts; one function per action."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from dialog.accounts.models import Role
from dialog.core.permissions import REASONS, Decision

REASONS.update(
    {
        "own_admin_role": _l("You cannot remove your own administrator role."),
        "last_admin": _l(
            "You are the only administrator. Make someone else an administrator before you delete your account."
        ),
        "two_factor_staff_only": _l("Two-step login is for planners and administrators."),
        "export_in_progress": _l(
            "We are already putting a copy of your data together. The link comes by email."
        ),
    }
)


def can_contribute(user) -> Decision:
    """Post, comment and vote: a logged-in person with a confirmed email address."""
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if not user.is_verified:
        return Decision.deny("email_unverified")
    return Decision.allow()


def can_follow(user) -> Decision:
    """Reading and following need only an account, confirmed or not."""
    return _logged_in(user)


def can_manage_roles(user) -> Decision:
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if not user.is_admin:
        return Decision.deny("not_an_admin")
    return Decision.allow()


def can_change_role(user, person, role) -> Decision:
    """Admins grant roles; nobody takes away their own admin role (someone must remain)."""
    if not (decision := can_manage_roles(user)):
        return decision
    if person.id == user.id and role is not Role.admin:
        return Decision.deny("own_admin_role")
    return Decision.allow()


# Privacy ---------------------------------------------------------------------------------


def can_manage_own_data(user) -> Decision:
    """Download one's data or delete one's account: any logged-in person, for themselves."""
    return _logged_in(user)


def can_request_export(user) -> Decision:
    """A copy goes by email: only to a confirmed address, and one copy at a time."""
    if not (decision := can_contribute(user)):
        return decision
    from dialog.accounts.privacy import export_in_progress

    if export_in_progress(user):
        return Decision.deny("export_in_progress")
    return Decision.allow()


def can_see_own_page(user) -> Decision:
    """My page: any logged-in person, who finds only their own doings there."""
    return _logged_in(user)


def can_manage_own_sessions(user) -> Decision:
    """The sessions page and its log-out buttons: one's own sessions only."""
    return _logged_in(user)


def _logged_in(user) -> Decision:
    if not user.is_authenticated:
        return Decision.deny("login_required")
    return Decision.allow()


def can_delete_own_account(user) -> Decision:
    """Anyone may, except the last administrator: someone must be able to run the site."""
    if not (decision := can_manage_own_data(user)):
        return decision
    from dialog.accounts.privacy import another_admin_exists

    if user.is_admin and not another_admin_exists(user):
        return Decision.deny("last_admin")
    return Decision.allow()


def can_export_records(user, dialogue) -> Decision:
    """A dialogue's records for a disclosure request: its staff (planners, admins)."""
    from dialog.dialogues.permissions import can_moderate  # dialogues imports this module

    return can_moderate(user, dialogue)


def can_set_up_two_factor(user) -> Decision:
    """Two-step login is for staff accounts: planners and administrators."""
    if not user.is_authenticated:
        return Decision.deny("login_required")
    if user.role is Role.resident:
        return Decision.deny("two_factor_staff_only")
    return Decision.allow()


def can_reset_two_factor(user) -> Decision:
    """Only administrators remove someone else's two-step login (a lost phone)."""
    return can_manage_roles(user)
