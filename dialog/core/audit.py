"""The one append-only audit log. Database triggers refuse UPDATE and DELETE on it."""

from __future__ import annotations

from typing import Any

from dialog.core.models import AuditEntry
from dialog.extensions import db

# The same statements are frozen into the migration that created the table; tests use
# these to restore the triggers after emptying the table between browser tests.
TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
        "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
        "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
        "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_entry is append-only'; END $$",
        "CREATE TRIGGER audit_entry_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    ],
}


def record(
    action: str,
    *,
    actor=None,
    target=None,
    reason: str | None = None,
    **details: Any,
) -> AuditEntry:
    """Append an entry; `target` is a model instance (its class name and id are kept)."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", actor),
        action=action,
        object_type=type(target).__name__ if target is not None else None,
        object_id=str(target.id) if target is not None else None,
        reason=reason,
        details=details,
    )
    db.session.add(entry)
    db.session.flush()
    return entry
