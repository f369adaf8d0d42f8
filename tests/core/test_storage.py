"""Stored files: both backends, and the expiry of uploads nothing refers to."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dialog.core import storage
from dialog.core.db import utcnow
from dialog.core.models import StoredFile
from dialog.proposals.models import ProposalState
from tests.support import run_task


@pytest.mark.parametrize("backend", ["database", "directory"])
def test_a_file_is_stored_read_back_and_deleted(app, ctx, db, backend, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILE_STORAGE", backend)
    monkeypatch.setitem(app.config, "FILE_STORAGE_DIR", str(tmp_path))
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10
    stored = storage.save(data, filename="marenplan.png", content_type="image/png")
    db.session.commit()
    found = storage.get(stored.key)
    assert found.backend == backend and found.size == len(data)
    assert storage.read(found) == data
    on_disk = list(tmp_path.rglob(stored.key))
    assert (len(on_disk) == 1) is (backend == "directory")
    assert (found.data is not None) is (backend == "database")
    storage.delete(found)
    db.session.commit()
    assert storage.get(stored.key) is None
    assert not list(tmp_path.rglob(stored.key))


def test_an_unknown_backend_is_a_clear_error(app, ctx, db, monkeypatch):
    monkeypatch.setitem(app.config, "FILE_STORAGE", "s3")
    with pytest.raises(RuntimeError, match="FILE_STORAGE"):
        storage.save(b"x", filename="x.txt", content_type="text/plain")
    assert db.session.query(StoredFile).count() == 0


EXPIRE = "core.expire_unreferenced_uploads"


def _aged(stored: StoredFile, hours: float) -> StoredFile:
    stored.created_at = utcnow() - timedelta(hours=hours)
    return stored


@pytest.mark.parametrize("backend", ["database", "directory"])
def test_uploads_nothing_refers_to_are_removed_once_old_enough(
    app, ctx, db, backend, tmp_path, monkeypatch, make_dialogue, make_proposal
):
    monkeypatch.setitem(app.config, "FILE_STORAGE", backend)
    monkeypatch.setitem(app.config, "FILE_STORAGE_DIR", str(tmp_path))

    def upload(name: str, hours: float) -> str:
        return _aged(storage.save(b"bytes", filename=name, content_type="image/png"), hours).key

    abandoned = upload("never-sent.png", 25)  # the similar-proposals step, then nothing
    recent = upload("being-written.png", 1)
    published = upload("published.png", 25)
    withdrawn = upload("withdrawn.png", 25)
    dialogue = make_dialogue()
    make_proposal(dialogue, image_id=storage.get(published).id)
    proposal = make_proposal(dialogue, title="Drogs tillbaka", image_id=storage.get(withdrawn).id)
    proposal.state = ProposalState.withdrawn
    db.session.commit()

    assert run_task(app, EXPIRE) == 1
    db.session.expire_all()
    assert storage.get(abandoned) is None
    assert not list(tmp_path.rglob(abandoned))
    for key in (recent, published, withdrawn):
        kept = storage.get(key)
        assert storage.read(kept) == b"bytes"
        assert (len(list(tmp_path.rglob(key))) == 1) is (backend == "directory")
    assert run_task(app, EXPIRE) == 0  # idempotent


def test_the_age_of_expiry_is_a_setting(app, ctx, db, monkeypatch):
    monkeypatch.setitem(app.config, "UNREFERENCED_UPLOAD_HOURS", 48)
    day_old = _aged(storage.save(b"x", filename="a.png", content_type="image/png"), 30).key
    db.session.commit()
    assert run_task(app, EXPIRE) == 0
    monkeypatch.setitem(app.config, "UNREFERENCED_UPLOAD_HOURS", 24)
    assert run_task(app, EXPIRE) == 1
    assert storage.get(day_old) is None


def test_expiry_works_through_a_backlog_in_batches(app, ctx, db, monkeypatch):
    from dialog.core import tasks

    monkeypatch.setattr(tasks, "EXPIRY_BATCH", 3)
    for number in range(7):
        _aged(storage.save(b"x", filename=f"{number}.png", content_type="image/png"), 25)
    db.session.commit()
    assert run_task(app, EXPIRE) == 7
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_an_expiry_shorter_than_the_daily_cap_is_a_start_up_error(monkeypatch):
    import config

    monkeypatch.setenv("UNREFERENCED_UPLOAD_HOURS", "2")
    with pytest.raises(RuntimeError, match="UNREFERENCED_UPLOAD_HOURS must be at least 24"):
        config.load("testing")


def test_a_file_being_attached_at_the_moment_of_expiry_is_left_alone(
    app, committed_db, make_dialogue, make_proposal
):
    """A proposal sent with an old upload while the expiry runs keeps its image: the
    sending transaction holds the file's row, and the expiry skips it (PostgreSQL; on
    SQLite one writer at a time rules the race out)."""
    import threading

    from sqlalchemy import text

    from dialog.proposals.models import Proposal

    db = committed_db
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")
    with app.app_context():
        old = _aged(storage.save(b"x", filename="old.png", content_type="image/png"), 25)
        db.session.commit()
        file_id = old.id
    proposal_id = make_proposal(make_dialogue()).id
    with app.app_context(), db.engine.connect() as sending:
        transaction = sending.begin()
        sending.execute(
            text("UPDATE proposal SET image_id = :file WHERE id = :proposal"),
            {"file": file_id, "proposal": proposal_id},
        )
        outcome = {}
        expiry = threading.Thread(target=lambda: outcome.update(n=run_task(app, EXPIRE)))
        expiry.start()
        expiry.join(15)
        finished_while_held = not expiry.is_alive()
        transaction.commit()
    expiry.join(30)
    assert finished_while_held and outcome["n"] == 0
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).image_id == file_id
        assert run_task(app, EXPIRE) == 0


def test_bytes_no_row_names_are_removed_from_the_directory_once_old_enough(
    app, ctx, db, tmp_path, monkeypatch
):
    """A process that dies between deleting a row and unlinking its bytes, or a request
    that rolls back after writing them, leaves a file behind: the expiry run finds it."""
    import os

    monkeypatch.setitem(app.config, "FILE_STORAGE", "directory")
    monkeypatch.setitem(app.config, "FILE_STORAGE_DIR", str(tmp_path))
    kept = storage.save(b"kept", filename="kept.png", content_type="image/png")
    db.session.commit()
    rolled_back = storage.save(b"lost", filename="lost.png", content_type="image/png").key
    db.session.rollback()
    fresh_orphan = storage.save(b"new", filename="new.png", content_type="image/png").key
    db.session.rollback()
    day_ago = (utcnow() - timedelta(hours=25)).timestamp()
    for key in (kept.key, rolled_back):
        [path] = tmp_path.rglob(key)
        os.utime(path, (day_ago, day_ago))
    unrelated = tmp_path / "README"
    unrelated.write_text("not ours")
    os.utime(unrelated, (day_ago, day_ago))

    assert run_task(app, EXPIRE) == 1
    assert not list(tmp_path.rglob(rolled_back))
    assert storage.read(storage.get(kept.key)) == b"kept"
    assert list(tmp_path.rglob(fresh_orphan)), "younger than the expiry age: may still be in use"
    assert unrelated.exists()
