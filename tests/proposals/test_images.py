"""Images with proposals: type from content, size cap, metadata stripped, file storage."""

import io

from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from dialog.core import storage
from dialog.proposals.models import Proposal
from tests.support import csrf_token

PROPOSING = (("proposals", -1, 24),)


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "Kamerafabriken"  # Make
    exif[0x0112] = 6  # orientation: rotate 90°
    exif[0x8825] = {1: "N", 2: (59.0, 11.0, 43.0)}  # GPS info
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _submit(client, data, image: bytes | None, filename="bild.jpg"):
    token = csrf_token(client, "/d/stadskarna/proposals/new")
    form = {"csrf_token": token, **data}
    if image is not None:
        form["image"] = FileStorage(io.BytesIO(image), filename)
    # Encoded in memory: for a large body the test client spools it to a temporary file
    # that nothing closes (a ResourceWarning).
    boundary, body = encode_multipart(form)
    return client.post(
        "/d/stadskarna/proposals/new",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_an_image_is_stored_without_metadata_and_served(
    client, ctx, db, resident, login, make_dialogue
):
    make_dialogue(phases=PROPOSING)
    login(resident)
    original = _jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif()
    response = _submit(client, {"title": "Konstverk", "body": "Här."}, original)
    assert response.status_code == 302
    proposal = db.session.scalar(select(Proposal))
    stored = storage.read(db.session.get(storage.StoredFile, proposal.image_id))
    cleaned = Image.open(io.BytesIO(stored))
    assert dict(cleaned.getexif()) == {}
    assert b"Kamerafabriken" not in stored
    assert cleaned.size == (48, 64)  # turned upright
    served = client.get(f"/p/{proposal.id}/image")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == stored
    assert f'src="/p/{proposal.id}/image"' in client.get(f"/p/{proposal.id}").get_data(as_text=True)


def test_a_file_that_is_not_an_image_is_refused_with_a_reason(
    client, ctx, db, resident, login, make_dialogue
):
    make_dialogue(phases=PROPOSING)
    login(resident)
    response = _submit(
        client,
        {"title": "Falsk bild", "body": "Text som sparas."},
        b"%PDF-1.4 not an image",
        filename="bild.jpg",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Filen är inte en bild" in page
    assert 'value="Falsk bild"' in page and "Text som sparas." in page
    assert db.session.scalar(select(Proposal)) is None


def test_a_gif_is_refused_even_if_it_is_a_real_image(
    client, ctx, db, resident, login, make_dialogue
):
    make_dialogue(phases=PROPOSING)
    login(resident)
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "GIF")
    response = _submit(client, {"title": "Gif", "body": "B"}, out.getvalue(), "bild.gif")
    assert response.status_code == 400
    assert "Bara JPEG, PNG och WebP" in response.get_data(as_text=True)


def test_too_large_images_are_refused(
    app, client, ctx, db, resident, login, monkeypatch, make_dialogue
):
    make_dialogue(phases=PROPOSING)
    monkeypatch.setitem(app.config, "IMAGE_MAX_BYTES", 1024 * 1024)
    login(resident)
    noise = io.BytesIO()
    Image.effect_noise((900, 900), 100).convert("RGB").save(noise, "PNG")
    assert len(noise.getvalue()) > 1024 * 1024
    response = _submit(client, {"title": "Stor", "body": "B"}, noise.getvalue(), "stor.png")
    assert response.status_code == 400
    assert "Bilden är för stor" in response.get_data(as_text=True)


def test_the_image_survives_the_similar_proposals_step(
    client, ctx, db, resident, login, make_dialogue
):
    from dialog.proposals import services

    dialogue = make_dialogue(phases=PROPOSING)
    services.create_proposal(dialogue, author=None, title="Konst vid kanalen", body="Skulptur")
    db.session.commit()
    login(resident)
    step = _submit(client, {"title": "Konst vid torget", "body": "Skulptur"}, _jpeg_with_gps())
    page = step.get_data(as_text=True)
    assert "Konst vid kanalen" in page
    key = page.split('name="image_key" value="')[1].split('"')[0]
    token = csrf_token(client, "/d/stadskarna/proposals/new")
    done = client.post(
        "/d/stadskarna/proposals/new",
        data={
            "csrf_token": token,
            "title": "Konst vid torget",
            "body": "Skulptur",
            "image_key": key,
            "confirmed": "1",
        },
    )
    assert done.status_code == 302
    created = db.session.scalar(select(Proposal).where(Proposal.title == "Konst vid torget"))
    assert created.image_id is not None


def test_an_image_key_from_someone_elses_upload_is_ignored(
    app, client, db, resident, login, make_dialogue
):
    """Keys only count for the visitor who uploaded the image (no ctx: two browsers)."""
    from dialog.core import images

    with app.app_context():
        make_dialogue(phases=PROPOSING)
        key = images.store(_jpeg_with_gps(), "annans.jpg").key
        db.session.commit()
    login(resident)
    response = client.post(
        "/d/stadskarna/proposals/new",
        data={
            "csrf_token": csrf_token(client, "/d/stadskarna/proposals/new"),
            "title": "Annans bild",
            "body": "Unik text",
            "image_key": key,
            "confirmed": "1",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        created = db.session.scalar(select(Proposal).where(Proposal.title == "Annans bild"))
        assert created.image_id is None


def test_a_planner_records_input_with_its_photo(client, ctx, db, make_user, login, make_dialogue):
    from dialog.dialogues import services as dialogue_services
    from dialog.dialogues.models import Dialogue

    dialogue = make_dialogue(phases=PROPOSING)
    planner = make_user(role="planner")
    dialogue_services.assign_planner(
        db.session.get(Dialogue, dialogue.id), db.session.get(type(planner), planner.id), by=None
    )
    db.session.commit()
    login(planner)

    def enter(image: bytes, filename: str):
        token = csrf_token(client, "/d/stadskarna/proposals/enter")
        form = {"csrf_token": token, "source": "letter", "title": "Brev", "body": "Med foto."}
        form["image"] = (io.BytesIO(image), filename)
        return client.post(
            "/d/stadskarna/proposals/enter", data=form, content_type="multipart/form-data"
        )

    refused = enter(b"%PDF-1.4 not an image", "brev.pdf")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "JPEG, PNG eller WebP" in page and "Med foto." in page
    assert db.session.scalar(select(Proposal)) is None
    assert enter(_jpeg_with_gps(), "foto.jpg").status_code == 302
    proposal = db.session.scalar(select(Proposal))
    stored = storage.read(db.session.get(storage.StoredFile, proposal.image_id))
    assert b"Kamerafabriken" not in stored
