import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from dialog.core import audit
from dialog.core.models import AuditEntry


def test_record_keeps_who_what_which_object_why_and_details(ctx, db, admin):
    from dialog.accounts.models import User

    target = db.session.get(User, admin.id)
    entry = audit.record(
        "role_changed", actor=target, target=target, reason="Ny tjänst", old="resident", new="admin"
    )
    db.session.commit()
    stored = db.session.scalar(select(AuditEntry).where(AuditEntry.id == entry.id))
    assert (stored.actor_id, stored.action, stored.object_type, stored.object_id) == (
        admin.id,
        "role_changed",
        "User",
        str(admin.id),
    )
    assert stored.reason == "Ny tjänst"
    assert stored.details == {"old": "resident", "new": "admin"}
    assert stored.occurred_at is not None


def test_updating_an_audit_entry_is_refused_by_the_database(ctx, db):
    entry = audit.record("something_happened", reason="first")
    db.session.commit()
    with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
        db.session.execute(
            text("UPDATE audit_entry SET reason = 'rewritten' WHERE id = :id"), {"id": entry.id}
        )
    assert db.session.get(AuditEntry, entry.id, populate_existing=True).reason == "first"


def test_deleting_an_audit_entry_is_refused_by_the_database(ctx, db):
    entry = audit.record("something_happened")
    db.session.commit()
    with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
        db.session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": entry.id})
    assert db.session.get(AuditEntry, entry.id) is not None


def test_orm_update_is_refused_too(ctx, db):
    entry = audit.record("something_happened", reason="first")
    db.session.commit()
    entry.reason = "changed through the ORM"
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.commit()
    db.session.rollback()
