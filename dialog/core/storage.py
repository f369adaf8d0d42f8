"""Every stored file goes through here: in the database by default, or a shared directory."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from dialog.core.models import StoredFile
from dialog.extensions import db

BACKENDS = ("database", "directory")


def save(data: bytes, *, filename: str, content_type: str) -> StoredFile:
    backend = current_app.config["FILE_STORAGE"]
    if backend not in BACKENDS:
        raise RuntimeError(f"FILE_STORAGE must be one of {BACKENDS}, not {backend!r}")
    stored = StoredFile(
        key=secrets.token_hex(16),
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        backend=backend,
        data=data if backend == "database" else None,
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


def _path_for(key: str) -> Path:
    # Two levels of fan-out keep directories small on shared file systems.
    return Path(current_app.config["FILE_STORAGE_DIR"]) / key[:2] / key[2:4] / key


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
