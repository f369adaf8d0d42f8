"""`flask import-dialogue --slug`: an address name the dialogue form would refuse is
refused before the archive is read, with the form's rule, and nothing is created."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dialog.accounts.models import User
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from tests.support import BAD_ADDRESS_NAME_IDS, BAD_ADDRESS_NAMES


@pytest.mark.parametrize(("slug", "message"), BAD_ADDRESS_NAMES, ids=BAD_ADDRESS_NAME_IDS)
def test_an_archive_under_a_bad_address_name_is_refused_and_creates_nothing(
    app, committed_db, make_dialogue, tmp_path, slug, message
):
    make_dialogue("kalla")
    path = tmp_path / "kalla.json"
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["export-dialogue", "kalla", str(path)])
    assert exported.exit_code == 0, exported.output
    before = _counts(app)

    result = runner.invoke(args=["import-dialogue", str(path), "--slug", slug])

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert _counts(app) == before


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Dialogue)),
            db.session.scalar(select(func.count()).select_from(User)),
        )
