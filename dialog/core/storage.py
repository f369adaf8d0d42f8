"""Every stored file goes through here: in the database by default, or a shared directory."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import func, select

from dialog.core.models import StoredFile
from dialog.core.text import strip_controls
from dialog.extensions import db

BACKENDS = ("database", "directory")


def save(
    data: bytes, *, filename: str, content_type: str, uploaded_by_id: int | None = None
) -> StoredFile:
    backend = current_app.config["FILE_STORAGE"]
    if backend not in BACKENDS:
        raise RuntimeError(f"FILE_STORAGE must be one of {BACKENDS}, not {backend!r}")
    stored = StoredFile(
        key=secrets.token_hex(16),
        # The browser's name for the file: no control characters (PostgreSQL refuses NUL).
        filename=strip_controls(filename)[:255],
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        backend=backend,
        data=data if backend == "database" else None,
        uploaded_by_id=uploaded_by_id,
    )
    if backend == "directory":
        _write_atomically(_path_for(stored.key), data)
    db.session.add(stored)
    db.session.flush()
    return stored


def get(key: str) -> StoredFile | None:
    return db.session.scalar(select(StoredFile).where(StoredFile.key == key))


def read(stored: StoredFile) -> bytes:
    if stored.backend == "database":
        return stored.data or b""
    return _path_for(stored.key).read_bytes()


def delete(stored: StoredFile) -> None:
    if stored.backend == "directory":
        _path_for(stored.key).unlink(missing_ok=True)
    db.session.delete(stored)
    db.session.flush()


def count_uploaded_by(person_id: int, *, since: datetime) -> int:
    """How many files this person uploaded since then (kept or not yet expired)."""
    return db.session.scalar(
        select(func.count())
        .select_from(StoredFile)
        .where(StoredFile.uploaded_by_id == person_id, StoredFile.created_at >= since)
    )


def expire_unreferenced(older_than: datetime, *, limit: int) -> list[tuple[str, str]]:
    """Delete up to `limit` files created before `older_than` that no row refers to (an
    image uploaded for a proposal that was never sent). Returns the (key, backend) of
    each: the caller commits, then unlinks the bytes in the directory (`remove_bytes`),
    so a deletion that rolls back never loses a file's bytes.
    """
    unreferenced = [~sa.exists().where(column == StoredFile.id) for column in _references()]
    # A proposal being sent with the file right now holds a key-share lock on its row
    # (PostgreSQL): skipping locked rows leaves it alone rather than nulling its image.
    expired = db.session.scalars(
        select(StoredFile.id)
        .where(StoredFile.created_at < older_than, *unreferenced)
        .order_by(StoredFile.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not expired:
        return []
    # The references are asked again by the DELETE itself: one committed since the
    # SELECT keeps its file.
    removed = db.session.execute(
        sa.delete(StoredFile)
        .where(StoredFile.id.in_(expired), *unreferenced)
        .returning(StoredFile.key, StoredFile.backend),
        execution_options={"synchronize_session": False},
    ).all()
    db.session.flush()
    return [(key, backend) for key, backend in removed]


def remove_bytes(removed: Iterable[tuple[str, str]]) -> None:
    """Unlink the bytes of deleted files that lived in the directory."""
    for key, backend in removed:
        if backend == "directory":
            _path_for(key).unlink(missing_ok=True)


def remove_orphaned_bytes(older_than: datetime, *, limit: int) -> int:
    """Unlink up to `limit` files in the directory older than `older_than` that no stored
    file row names: bytes written for a transaction that rolled back, or left when a
    process died between deleting a row and unlinking its file. Returns how many."""
    root = Path(current_app.config["FILE_STORAGE_DIR"])
    removed = 0
    for batch in _batches(_files_modified_before(root, older_than.timestamp()), size=500):
        known = set(
            db.session.scalars(
                select(StoredFile.key).where(StoredFile.key.in_([p.name for p in batch]))
            )
        )
        for path in batch:
            if path.name not in known and removed < limit:
                path.unlink(missing_ok=True)
                removed += 1
        if removed >= limit:
            break
    return removed


def _files_modified_before(root: Path, timestamp: float) -> Iterable[Path]:
    # Only the two fan-out levels `_path_for` writes: nothing else in the folder is ours.
    for path in root.glob("??/??/*"):
        try:
            if path.is_file() and path.stat().st_mtime < timestamp:
                yield path
        except FileNotFoundError:  # removed by another run meanwhile
            continue


def _batches(paths: Iterable[Path], *, size: int) -> Iterable[list[Path]]:
    batch: list[Path] = []
    for path in paths:
        batch.append(path)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _references() -> list[sa.Column]:
    # Every column of any domain that points at a stored file (a proposal's image, ...):
    # a file one of them names is in use and is never expired.
    return [
        fk.parent
        for table in db.metadata.tables.values()
        for fk in table.foreign_keys
        if fk.references(StoredFile.__table__)
    ]


def _path_for(key: str) -> Path:
    # Two levels of fan-out keep directories small on shared file systems.
    return Path(current_app.config["FILE_STORAGE_DIR"]) / key[:2] / key[2:4] / key


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
