"""Backup and restore, as the README's "Backup and restore" tells an operator to do them.

SQLite: `flask backup` while the app runs, `flask restore` with it stopped, over the live
database (whose write-ahead log is still beside it). PostgreSQL: `pg_dump -Fc` and
`pg_restore` into a fresh database. In both, one mail is delivered before the backup and
one after it: after the restore the first is not sent again, the second at most once
more and with the same Message-ID; pages show the data and the stored file of the
backup, and nothing written after it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from dialog.core import mail, storage
from dialog.dialogues.models import Dialogue
from tests.factories import LIVE
from tests.support import Mailbox

IMAGE = b"\x89PNG stored before the backup"


def _dialect(app) -> str:
    from dialog.extensions import db

    with app.app_context():
        return db.engine.dialect.name


def _queue(app, db, to: str) -> None:
    with app.app_context():
        mail.queue(
            to=to,
            template="password_changed",
            locale="sv",
            key=f"backup-test:{to}",
            name="Ada",
            reset_url="https://dialog.example/reset",
        )
        db.session.commit()


def _before_the_backup(app, db, make_dialogue, make_proposal, mailbox) -> SimpleNamespace:
    """A proposal with an image; mail to `before@` delivered, mail to `after@` queued."""
    dialogue = make_dialogue("backup", phases=LIVE)
    with app.app_context():
        image = storage.save(IMAGE, filename="bild.png", content_type="image/png")
        db.session.commit()
        image_id = image.id
    kept = make_proposal(dialogue, title="Bänkar före kopian", body="Fler.", image_id=image_id)
    _queue(app, db, "before@example.org")
    assert mailbox.deliver() >= 1 and len(mailbox.messages("before@example.org")) == 1
    _queue(app, db, "after@example.org")
    return SimpleNamespace(dialogue=dialogue, kept=kept, image_id=image_id)


def _after_the_backup(app, db, make_proposal, mailbox, data) -> int:
    """The queued mail goes out; a proposal is added that the restore will not have."""
    assert len(mailbox.messages("after@example.org")) == 1
    with app.app_context():
        dialogue = db.session.get(Dialogue, data.dialogue.id)
    return make_proposal(dialogue, title="Bänkar efter kopian", body="Sen.").id


def _check_the_restore(restored, folder: Path, data, lost_id: int) -> None:
    mailbox = Mailbox(restored, folder)
    assert len(mailbox.messages("before@example.org")) == 1  # not sent again
    again = mailbox.messages("after@example.org")
    assert len(again) == 2  # once more, and no more
    assert again[0]["Message-ID"] == again[1]["Message-ID"]
    assert mailbox.deliver() == 0
    assert len(list(folder.glob("*.eml"))) == 3  # each mail file has a name of its own

    client = restored.test_client()
    page = client.get(f"/p/{data.kept.id}")
    assert page.status_code == 200 and "Bänkar före kopian" in page.get_data(as_text=True)
    image = client.get(f"/p/{data.kept.id}/image")
    assert image.status_code == 200 and image.get_data() == IMAGE
    assert client.get(f"/p/{lost_id}").status_code == 404


@pytest.fixture
def mail_folder(app, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "mail"
    monkeypatch.setitem(app.config, "MAIL_DIR", str(folder))
    return folder


def test_sqlite_backup_while_running_and_restore_over_the_live_database(
    app, committed_db, make_dialogue, make_proposal, mail_folder, tmp_path, monkeypatch
):
    if _dialect(app) != "sqlite":
        pytest.skip("the embedded default; PostgreSQL has its own test")
    files = tmp_path / "files"
    monkeypatch.setitem(app.config, "FILE_STORAGE", "directory")
    monkeypatch.setitem(app.config, "FILE_STORAGE_DIR", str(files))
    mailbox = Mailbox(app, mail_folder)
    data = _before_the_backup(app, committed_db, make_dialogue, make_proposal, mailbox)
    cli = app.test_cli_runner()

    copy = tmp_path / "backup"
    backed_up = cli.invoke(args=["backup", str(copy)])
    assert backed_up.exit_code == 0, backed_up.output
    assert (copy / "dialog.sqlite").is_file() and "1 stored files" in backed_up.output

    lost_id = _after_the_backup(app, committed_db, make_proposal, mailbox, data)
    shutil.rmtree(files)  # the disk with the stored files is lost too
    with app.app_context():
        committed_db.engine.dispose()  # the app is stopped: no connection stays open
    restored = cli.invoke(args=["restore", str(copy), "--yes"])
    assert restored.exit_code == 0, restored.output

    _check_the_restore(app, mail_folder, data, lost_id)


def test_backup_and_restore_refuse_what_they_cannot_do(app, committed_db, tmp_path):
    cli = app.test_cli_runner()
    if _dialect(app) == "postgresql":
        for args in (["backup", str(tmp_path / "new")], ["restore", str(tmp_path), "--yes"]):
            refused = cli.invoke(args=args)
            assert refused.exit_code == 1 and "back it up with pg_dump" in refused.output
        return
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "something").touch()
    refused = cli.invoke(args=["backup", str(tmp_path / "old")])
    assert refused.exit_code == 1 and "not empty" in refused.output
    refused = cli.invoke(args=["restore", str(tmp_path / "old"), "--yes"])
    assert refused.exit_code == 1 and "dialog.sqlite is missing" in refused.output


@pytest.fixture
def fresh_postgres_database(settings):
    """The name of a new empty database beside the suite's, dropped afterwards."""
    target = make_url(settings["DATABASE_URL"]).set(
        database=f"{make_url(settings['DATABASE_URL']).database}_restored"
    )
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    yield target
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    admin.dispose()


def _libpq(url) -> str:
    """The URL pg_dump and pg_restore take: libpq knows no SQLAlchemy driver name."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def test_postgresql_pg_dump_and_pg_restore_into_a_fresh_database(
    app,
    committed_db,
    make_dialogue,
    make_proposal,
    mail_folder,
    tmp_path,
    request,
    settings,
    monkeypatch,
):
    if _dialect(app) != "postgresql":
        pytest.skip("PostgreSQL; the embedded default has its own test")
    target = request.getfixturevalue("fresh_postgres_database")
    files, copied_files = tmp_path / "files", tmp_path / "backup-files"
    monkeypatch.setitem(app.config, "FILE_STORAGE", "directory")
    monkeypatch.setitem(app.config, "FILE_STORAGE_DIR", str(files))
    mailbox = Mailbox(app, mail_folder)
    data = _before_the_backup(app, committed_db, make_dialogue, make_proposal, mailbox)

    # The README's steps: the dump, then the files (every file the dump names is there).
    dump = tmp_path / "dialog.pgdump"
    live = make_url(settings["DATABASE_URL"])
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", _libpq(live)], check=True)
    subprocess.run(["rsync", "-a", f"{files}/", f"{copied_files}/"], check=True)

    lost_id = _after_the_backup(app, committed_db, make_proposal, mailbox, data)
    shutil.rmtree(files)  # the disk with the stored files is lost too
    subprocess.run(
        ["pg_restore", "--no-owner", f"--dbname={_libpq(target)}", str(dump)], check=True
    )
    subprocess.run(["rsync", "-a", f"{copied_files}/", f"{files}/"], check=True)
    from dialog import create_app

    restored = create_app(
        SQLALCHEMY_DATABASE_URI=target.render_as_string(hide_password=False),
        MAIL_DIR=str(mail_folder),
        FILE_STORAGE="directory",
        FILE_STORAGE_DIR=str(files),
    )
    upgraded = restored.test_cli_runner().invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    _check_the_restore(restored, mail_folder, data, lost_id)
