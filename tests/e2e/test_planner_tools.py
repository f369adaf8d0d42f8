"""Planner and administrator tools in context, on a phone, in both languages: recording a
letter (sender, date received, case number), and the dialogue's background images and
documents (added, seen by residents, removed after a question). axe on every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dialog.accounts.models import User
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from tests.e2e.conftest import assert_accessible
from tests.support import PASSWORD

PHONE = {"width": 375, "height": 800}
LIVE = (("proposals", -24, 240),)
TEXT = {
    "sv": {
        "email": "E-postadress",
        "password": "Lösenord",
        "log_in": "Logga in",
        "log_out": "Logga ut",
        "record": "Registrera en synpunkt som kommit in på annat sätt",
        "source": "Var synpunkten kom ifrån",
        "received": "Datum då synpunkten kom in",
        "case": "Diarienummer (frivilligt)",
        "sender": "Avsändare (frivilligt)",
        "title": "Rubrik",
        "body": "Vad avsändaren föreslår",
        "save": "Publicera förslaget",
        "received_on": "Inkom 2 december 2026",
        "case_shown": "Diarienummer KS 2026/77",
        "files": "Bilder och dokument",
        "file": "Fil",
        "file_title": "Rubrik",
        "alt": "Vad bilden visar (för bilder)",
        "add": "Lägg till",
        "remove": "Ta bort",
        "yes_remove": "Ja, ta bort filen",
    },
    "en": {
        "email": "Email address",
        "password": "Password",
        "log_in": "Log in",
        "log_out": "Log out",
        "record": "Record input received another way",
        "source": "Where the input came from",
        "received": "Date received",
        "case": "Case number (diarienummer, optional)",
        "sender": "Sender (optional)",
        "title": "Title",
        "body": "What the sender proposes",
        "save": "Publish the proposal",
        "received_on": "Received December 2, 2026",
        "case_shown": "Case number KS 2026/77",
        "files": "Images and documents",
        "file": "File",
        "file_title": "Title",
        "alt": "What the image shows (for images)",
        "add": "Add",
        "remove": "Remove",
        "yes_remove": "Yes, remove the file",
    },
}
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _log_in(page, lang: str, email: str) -> None:
    text = TEXT[lang]
    page.goto("/?lang=en" if lang == "en" else "/")
    page.goto("/login")
    page.get_by_label(text["email"]).fill(email)
    page.get_by_label(text["password"]).fill(PASSWORD)
    page.get_by_role("button", name=text["log_in"]).click()
    expect(page.get_by_role("button", name=text["log_out"])).to_be_visible()


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_planner_records_a_letter(app, new_page, make_dialogue, make_user, lang):
    from dialog.dialogues import services

    text = TEXT[lang]
    dialogue = make_dialogue("kajen", phases=LIVE)
    planner = make_user(role="planner")
    with app.app_context():
        services.assign_planner(
            db.session.get(Dialogue, dialogue.id), db.session.get(User, planner.id), by=None
        )
        db.session.commit()
    page = new_page(viewport=PHONE)
    _log_in(page, lang, planner.email)
    page.goto("/d/kajen/proposals")
    page.get_by_role("link", name=text["record"]).click()
    expect(page.get_by_label(text["body"])).to_be_visible()
    assert_accessible(page)
    page.get_by_label(text["source"]).select_option("letter")
    page.get_by_label(text["received"]).fill("2026-12-02")
    page.get_by_label(text["case"]).fill("KS 2026/77")
    page.get_by_label(text["sender"]).fill("Ingrid Holm")
    page.get_by_label(text["title"], exact=True).fill("Parkering vid kajen")
    page.get_by_label(text["body"]).fill("Fler platser för rörelsehindrade.")
    page.get_by_role("button", name=text["save"]).click()
    expect(page.get_by_text(text["received_on"])).to_be_visible()
    expect(page.get_by_text(text["case_shown"])).to_be_visible()
    expect(page.locator(".received")).to_contain_text("Ingrid Holm")  # staff see the sender
    assert_accessible(page)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_an_administrator_adds_and_removes_background_files(
    new_page, make_dialogue, make_user, tmp_path, lang
):
    text = TEXT[lang]
    make_dialogue("kajen", phases=LIVE)
    admin = make_user(role="admin")
    document = tmp_path / "planprogram.pdf"
    document.write_bytes(PDF)
    page = new_page(viewport=PHONE)
    _log_in(page, lang, admin.email)
    page.goto("/admin/dialogues")
    page.get_by_role("link", name=f"{text['files']} Dialog kajen").click()
    assert_accessible(page)
    page.get_by_role("button", name=text["add"]).click()  # nothing chosen: said inline
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label(text["file"], exact=True).set_input_files(str(document))
    page.get_by_label(text["file_title"], exact=True).fill("Planprogram för kajen")
    page.get_by_role("button", name=text["add"]).click()
    expect(page.get_by_role("link", name="Planprogram för kajen", exact=True)).to_be_visible()

    resident_view = new_page(viewport=PHONE)
    resident_view.goto("/?lang=en" if lang == "en" else "/")
    resident_view.goto("/d/kajen")
    link = resident_view.get_by_role("link", name="Planprogram för kajen")
    with resident_view.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "planprogram.pdf"
    assert_accessible(resident_view)

    page.get_by_role("link", name=f"{text['remove']} “Planprogram för kajen”").click()
    assert_accessible(page)
    page.get_by_role("button", name=text["yes_remove"]).click()
    expect(page.get_by_role("link", name="Planprogram för kajen", exact=True)).to_have_count(0)
