"""`backup` and `restore` for the embedded default: the SQLite database and the stored files.

The database is copied with SQLite's online backup API, so a backup is consistent while
the site runs, and a restore writes through SQLite, so a write-ahead log left beside the
old database cannot be replayed onto the restored one (copying the file over it could).
PostgreSQL is backed up with `pg_dump` and restored with `pg_restore` (README, "Backup and
restore"); these commands refuse it rather than do half the job.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

DATABASE_FILE = "dialog.sqlite"
FILES_FOLDER = "files"


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("backup")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(destination: Path) -> None:
    """Copy the SQLite database and the stored files into DESTINATION, a new folder.

    Safe while the web app and the workers run.
    """
    database = _sqlite_database()
    if destination.exists() and any(destination.iterdir()):
        raise click.ClickException(f"{destination} is not empty; back up into a new folder")
    destination.mkdir(parents=True, exist_ok=True)
    copy_database(database, destination / DATABASE_FILE)
    # After the database: a file is written before the row naming it is committed, so
    # every file the copied rows name exists now (one deleted since was being expired).
    files = _copy_files(_files_folder(), destination / FILES_FOLDER)
    click.echo(f"Backed up {database} and {files} stored files to {destination}")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database without asking.")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Replace the SQLite database and the stored files with the backup in SOURCE.

    Stop the web app, the workers and beat first; run `db upgrade` before starting them.
    """
    database = _sqlite_database()
    copy = source / DATABASE_FILE
    if not copy.is_file():
        raise click.ClickException(f"{copy} is missing: {source} is not a folder `backup` wrote")
    if not yes:
        click.confirm(f"Replace {database} with the backup in {source}?", abort=True)
    copy_database(copy, database)
    files = _copy_files(source / FILES_FOLDER, _files_folder())
    click.echo(f"Restored {database} and {files} stored files from {source}")


def copy_database(source: Path, target: Path) -> None:
    """Copy one SQLite database onto another, page by page, through SQLite itself."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as reading, closing(sqlite3.connect(target)) as writing:
        reading.backup(writing)


def _sqlite_database() -> Path:
    from dialog.extensions import db

    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            "The database is PostgreSQL: back it up with pg_dump and restore it with "
            "pg_restore, as the README's section Backup and restore shows"
        )
    if not url.database or url.database == ":memory:":
        raise click.ClickException("An in-memory database has nothing to back up")
    return Path(url.database)


def _files_folder() -> Path:
    return Path(current_app.config["FILE_STORAGE_DIR"])


def _copy_files(source: Path, target: Path) -> int:
    """Copy the stored files (FILE_STORAGE=directory) that exist; returns how many."""
    if not source.is_dir():
        return 0
    # A .tmp file is one being written: its row is not committed, so nothing names it.
    shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.tmp"))
    return sum(1 for path in source.rglob("*") if path.is_file() and path.suffix != ".tmp")
