"""A dialogue's background images and documents: administrators add them (images need a
description, anything but a PDF or an image is refused with a reason) and remove them
after a confirmation; residents see the images and download the documents."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask import g
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from dialog.core import storage
from dialog.core.db import utcnow
from dialog.core.models import AuditEntry, StoredFile
from dialog.dialogues.models import DialogueAttachment, DialogueState
from tests.support import csrf_token, post_form

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def dialogue(ctx, make_dialogue):
    return make_dialogue()


@pytest.fixture
def admin_client(client, admin, login):
    login(admin)
    return client


def _anonymous(app):
    """A visitor without an account. The test's requests share its app context, where
    Flask-Login keeps the person it last loaded: forgotten here."""
    g.pop("_login_user", None)
    return app.test_client()


def _upload(client, dialogue, data: bytes, name: str, **fields):
    path = f"/admin/dialogues/{dialogue.id}/attachments"
    form = {"csrf_token": csrf_token(client, path), "title": "Planprogram", **fields}
    form["file"] = FileStorage(io.BytesIO(data), name)
    return client.post(path, data=form, content_type="multipart/form-data")


def test_a_pdf_is_listed_and_downloaded_never_opened_in_the_site(app, admin_client, db, dialogue):
    assert _upload(admin_client, dialogue, PDF, "planprogram.pdf").status_code == 302
    [attachment] = db.session.scalars(select(DialogueAttachment)).all()
    page = _anonymous(app).get(f"/d/{dialogue.slug}").get_data(as_text=True)
    link = f'href="/d/{dialogue.slug}/files/{attachment.id}" download>Planprogram</a>'
    assert link in page and "(PDF, 0 kB)" in page
    file = _anonymous(app).get(f"/d/{dialogue.slug}/files/{attachment.id}")
    assert file.status_code == 200 and file.data == PDF and file.mimetype == "application/pdf"
    assert file.headers["Content-Disposition"] == "attachment; filename*=UTF-8''planprogram.pdf"
    assert "sandbox" in file.headers["Content-Security-Policy"]
    assert db.session.scalar(
        select(AuditEntry.action).where(AuditEntry.action == "attachment_added")
    )


def test_an_image_is_shown_with_what_it_shows(app, admin_client, db, dialogue):
    answer = _upload(
        admin_client, dialogue, _png(), "karta.png", title="Området", alt_text="Karta över kajen"
    )
    assert answer.status_code == 302
    [attachment] = db.session.scalars(select(DialogueAttachment)).all()
    page = _anonymous(app).get(f"/d/{dialogue.slug}").get_data(as_text=True)
    assert f'src="/d/{dialogue.slug}/files/{attachment.id}" alt="Karta över kajen"' in page
    assert "<figcaption>Området</figcaption>" in page
    shown = _anonymous(app).get(f"/d/{dialogue.slug}/files/{attachment.id}")
    assert shown.mimetype == "image/png" and shown.headers["Content-Disposition"] == "inline"


@pytest.mark.parametrize(
    ("data", "name", "fields", "field", "message"),
    [
        (_png(), "karta.png", {"alt_text": ""}, "alt_text", "Beskriv vad bilden visar"),
        (b"hej hej", "anteckning.txt", {}, "file", "Ladda upp ett PDF-dokument eller en bild"),
        (PDF, "plan.pdf", {"title": ""}, "title", "Ge filen en rubrik."),
        (PDF, "plan.pdf", {"title": "R" * 201}, "title", "Rubriken får vara högst 200 tecken."),
    ],
)
def test_refused_uploads_say_why_and_keep_what_was_typed(
    admin_client, db, dialogue, data, name, fields, field, message
):
    typed = {"title": "Planprogram", "alt_text": "Kajen i kvällsljus", **fields}
    answer = _upload(admin_client, dialogue, data, name, **typed)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert f'id="{field}-error"' in html and message in html
    if typed["alt_text"]:
        assert 'value="Kajen i kvällsljus"' in html
    assert db.session.scalar(select(DialogueAttachment.id)) is None


def test_removing_asks_first_then_deletes_the_file(admin_client, db, dialogue):
    _upload(admin_client, dialogue, PDF, "plan.pdf")
    attachment = db.session.scalar(select(DialogueAttachment))
    attachment_id, file_id = attachment.id, attachment.file_id
    path = f"/admin/dialogues/{dialogue.id}/attachments/{attachment_id}/remove"
    asked = admin_client.get(path).get_data(as_text=True)
    assert "Ta bort ”Planprogram”?" in asked
    assert db.session.get(DialogueAttachment, attachment_id) is not None  # asking kept it
    assert post_form(admin_client, path, {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(DialogueAttachment, attachment_id) is None
    assert db.session.get(StoredFile, file_id) is None
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "attachment_removed"))


def test_files_follow_the_dialogues_visibility_and_are_never_expired(
    app, admin_client, db, dialogue
):
    _upload(admin_client, dialogue, PDF, "plan.pdf")
    attachment = db.session.scalar(select(DialogueAttachment))
    # An attachment refers to its file: the expiry of unused uploads leaves it.
    assert storage.expire_unreferenced(utcnow() + timedelta(days=1), limit=100) == []
    dialogue = db.session.get(type(dialogue), dialogue.id)
    dialogue.state = DialogueState.draft
    db.session.commit()
    assert _anonymous(app).get(f"/d/{dialogue.slug}/files/{attachment.id}").status_code == 404
    other = _anonymous(app).get(f"/d/annan/files/{attachment.id}")
    assert other.status_code == 404
