import pytest

from dialog.core import storage
from dialog.core.models import StoredFile


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
