"""Images with proposals: type from content, size cap, metadata stripped, file storage."""

import io
import math
import os
import struct
import subprocess
import sys
import zlib
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from dialog.core import images, storage
from dialog.core.db import utcnow
from dialog.core.models import StoredFile
from dialog.proposals.models import Proposal
from tests.support import ROOT, csrf_token

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
        form = {
            "csrf_token": token,
            "source": "letter",
            "received_on": "2026-11-30",
            "title": "Brev",
            "body": "Med foto.",
        }
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


# --- The cost of an upload: pixel budget, metadata bombs, the daily cap ---------------


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_of(width: int, height: int, *, extra: bytes = b"") -> bytes:
    """A real RGB PNG of one colour, compressed row by row: a 6300 × 6300 picture is a
    file of about 120 kB that the test never holds decoded (a decompression bomb)."""
    packer = zlib.compressobj(9)
    row = b"\x00" + bytes((30, 120, 200)) * width  # filter byte, then the pixels
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + extra
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def _clean(app, data: bytes) -> bytes:
    config = app.config
    cleaned, _kind = images.clean(
        data,
        max_pixels=config["IMAGE_MAX_PIXELS"],
        max_side=config["IMAGE_MAX_SIDE"],
        metadata_limit=config["IMAGE_MAX_METADATA_BYTES"],
    )
    return cleaned


def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded(
    client, ctx, db, resident, login, make_dialogue
):
    """The security review's file: 6300 × 6300 pixels in a small PNG."""
    make_dialogue(phases=PROPOSING)
    login(resident)
    bomb = _png_of(6300, 6300)
    assert len(bomb) < 200_000
    response = _submit(client, {"title": "Stor bild", "body": "Texten finns kvar."}, bomb, "b.png")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Bilden har för många bildpunkter: högst 25 megapixel." in page
    assert 'value="Stor bild"' in page and "Texten finns kvar." in page
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_the_pixel_count_is_read_from_the_header_without_decoding(app, ctx):
    # The pixel data is cut off: decoding would fail, yet the header alone refuses it.
    header_only = b"\x89PNG\r\n\x1a\n" + _chunk(
        b"IHDR", struct.pack(">IIBBBBB", 6300, 6300, 8, 2, 0, 0, 0)
    )
    with pytest.raises(images.ImageRefused, match="för många bildpunkter: högst 25 megapixel"):
        _clean(app, header_only)


@pytest.mark.parametrize(
    ("kind", "options", "limit_in_words"),
    [
        ("WEBP", {"lossless": True}, "högst 6 megapixel"),  # libwebp holds more
        ("PNG", {}, "högst 12 megapixel"),  # RGBA: transparency is scaled premultiplied
    ],
)
def test_costlier_formats_get_a_smaller_pixel_budget(app, ctx, kind, options, limit_in_words):
    out = io.BytesIO()
    Image.new("RGBA", (4000, 3500), (0, 0, 0, 0)).save(out, kind, **options)
    with pytest.raises(images.ImageRefused, match=limit_in_words):
        _clean(app, out.getvalue())


MEASURE_PEAK = """
import resource, sys
import config
from dialog.core import images
settings = config.load("testing")
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
images.clean(
    data,
    max_pixels=settings.IMAGE_MAX_PIXELS,
    max_side=settings.IMAGE_MAX_SIDE,
    metadata_limit=settings.IMAGE_MAX_METADATA_BYTES,
)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


@pytest.mark.parametrize(("kind", "peak_mb"), [("PNG", 200), ("JPEG", 120)])
def test_accepting_the_largest_allowed_image_keeps_memory_bounded(app, tmp_path, kind, peak_mb):
    """In a process of its own, whose peak memory is the image's: the largest square the
    budget allows, decoded, scaled and re-encoded. Decoding at full size and copying it
    twice, as before, peaked at about 290 MB for either."""
    side = math.isqrt(app.config["IMAGE_MAX_PIXELS"])
    path = tmp_path / "large"
    if kind == "PNG":
        path.write_bytes(_png_of(side, side))
    else:
        Image.new("RGB", (side, side), (30, 120, 200)).save(path, "JPEG")
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE_PEAK, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert int(measured.stdout.strip()) < peak_mb, measured.stdout


def test_large_images_are_kept_scaled_down_and_upright(app, ctx):
    photo = Image.new("RGB", (4000, 3000), (30, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90°
    out = io.BytesIO()
    photo.save(out, "JPEG", exif=exif.tobytes())
    assert Image.open(io.BytesIO(_clean(app, out.getvalue()))).size == (1536, 2048)


def _text_bomb(kind: bytes) -> bytes:
    flood = zlib.compress(b"a" * 50_000_000, 9)  # 50 MB of text in about 50 kB
    body = {
        b"zTXt": b"Comment\x00\x00" + flood,
        b"iTXt": b"Comment\x00\x01\x00sv\x00Kommentar\x00" + flood,
        b"iCCP": b"Profile\x00\x00" + flood,
        b"tEXt": b"Comment\x00" + b"a" * 3_000_000,
        b"eXIf": b"MM\x00*" + b"\x00" * 2_000_000,
    }[kind]
    return _png_of(8, 8, extra=_chunk(kind, body))


@pytest.mark.parametrize("kind", [b"zTXt", b"iTXt", b"iCCP", b"tEXt", b"eXIf"])
def test_a_png_carrying_a_metadata_bomb_is_refused_with_a_reason(
    client, ctx, db, resident, login, make_dialogue, kind
):
    """Pillow used to answer these with ValueError ("Decompressed data too large"): a 500."""
    make_dialogue(phases=PROPOSING)
    login(resident)
    response = _submit(client, {"title": "Text", "body": "Kvar."}, _text_bomb(kind), "b.png")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Bilden innehåller för mycket inbäddad information" in page
    assert 'value="Text"' in page
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_a_jpeg_or_webp_with_a_giant_colour_profile_or_exif_is_refused(app, ctx):
    profile = b"\x00" * 1_500_000  # Pillow splits it over many APP2 segments
    for kind, options in [("JPEG", {"icc_profile": profile}), ("WEBP", {"exif": profile})]:
        out = io.BytesIO()
        Image.new("RGB", (8, 8)).save(out, kind, **options)
        with pytest.raises(images.ImageRefused, match="för mycket inbäddad information"):
            _clean(app, out.getvalue())


def test_ordinary_metadata_is_accepted_and_removed(app, ctx):
    profile = zlib.compress(b"\x00" * 3000)
    data = _png_of(8, 8, extra=_chunk(b"iCCP", b"sRGB\x00\x00" + profile))
    data = data[:33] + _chunk(b"tEXt", b"Author\x00Anna Andersson") + data[33:]
    cleaned = _clean(app, data)
    assert b"Anna Andersson" not in cleaned and b"iCCP" not in cleaned


def _every_kind_of_image() -> dict[str, bytes]:
    made = {}
    for name, kind, options in [
        ("jpeg", "JPEG", {}),
        ("progressive jpeg", "JPEG", {"progressive": True}),
        ("png", "PNG", {}),
        ("lossy webp", "WEBP", {}),
        ("lossless webp", "WEBP", {"lossless": True}),
        ("extended webp", "WEBP", {"exif": b"MM\x00*\x00\x00\x00\x08\x00\x00"}),
    ]:
        out = io.BytesIO()
        Image.new("RGB", (123, 45), (30, 120, 200)).save(out, kind, **options)
        made[name] = out.getvalue()
    return made


@pytest.mark.parametrize("name", list(_every_kind_of_image()))
def test_the_header_gives_the_size_the_decoder_finds(name):
    from dialog.core import image_headers

    data = _every_kind_of_image()[name]
    header = image_headers.read(data, metadata_limit=1024 * 1024)
    assert (header.width, header.height) == (123, 45) == Image.open(io.BytesIO(data)).size


@pytest.mark.parametrize("name", list(_every_kind_of_image()))
def test_a_cut_off_image_is_refused_never_an_error(app, ctx, name):
    data = _every_kind_of_image()[name]
    refused = 0
    for length in range(0, len(data) - 1, max(1, len(data) // 60)):
        try:
            _clean(app, data[:length])
        except images.ImageRefused:  # a reason for the person; anything else is a 500
            refused += 1
    assert refused > 0


def test_uploads_are_capped_per_person_per_day(
    app, client, ctx, db, resident, login, monkeypatch, make_dialogue, make_user
):
    make_dialogue(phases=PROPOSING)
    monkeypatch.setitem(app.config, "UPLOADS_PER_DAY", 2)
    login(resident)
    for title in ("Lekplats i parken", "Cykelställ vid stationen"):
        assert _submit(client, {"title": title, "body": title}, _jpeg_with_gps()).status_code == 302
    refused = _submit(client, {"title": "Fontän", "body": "Vid torget."}, _jpeg_with_gps())
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Du kan ladda upp högst 2 bilder per dygn." in page
    assert 'value="Fontän"' in page and "Vid torget." in page
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 2

    # A day later the first uploads no longer count, and others were never held back.
    for stored in db.session.scalars(select(StoredFile)):
        stored.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert (
        _submit(client, {"title": "Fontän", "body": "Vid torget."}, _jpeg_with_gps()).status_code
        == 302
    )
    login(make_user())
    assert (
        _submit(client, {"title": "Bänk", "body": "I solen."}, _jpeg_with_gps()).status_code == 302
    )


def test_an_image_left_at_the_similar_proposals_step_is_removed_a_day_later(
    app, client, ctx, db, resident, login, make_dialogue
):
    from dialog.proposals import services
    from tests.support import run_task

    dialogue = make_dialogue(phases=PROPOSING)
    services.create_proposal(dialogue, author=None, title="Konst vid kanalen", body="Skulptur")
    db.session.commit()
    login(resident)
    step = _submit(client, {"title": "Konst vid torget", "body": "Skulptur"}, _jpeg_with_gps())
    assert "Konst vid kanalen" in step.get_data(as_text=True)  # and the person leaves
    left = db.session.scalar(select(StoredFile))
    assert left.uploaded_by_id == resident.id
    assert run_task(app, "core.expire_unreferenced_uploads") == 0  # still being written
    left.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert run_task(app, "core.expire_unreferenced_uploads") == 1
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_a_jpeg_of_thousands_of_scans_is_refused_unread(app, ctx):
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG")
    scan_bomb = out.getvalue()[:-2] + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" * 2000
    with pytest.raises(images.ImageRefused, match="inte en bild som vi kan läsa"):
        _clean(app, scan_bomb)


def test_a_control_character_in_the_file_name_is_dropped_not_a_500(
    client, ctx, db, resident, login, make_dialogue
):
    # The browser's name for the file is the sender's: control characters are dropped; NUL
    # (which PostgreSQL refuses in text) is refused with its reason, as in any field.
    make_dialogue(phases=PROPOSING)
    login(resident)
    response = _submit(
        client, {"title": "Konstverk", "body": "Här."}, _jpeg_with_gps(), "a\x00b.jpg"
    )
    assert response.status_code == 400 and "(NUL)" in response.get_data(as_text=True)
    assert db.session.scalar(select(StoredFile.filename)) is None
    response = _submit(
        client, {"title": "Konstverk", "body": "Här."}, _jpeg_with_gps(), "a\x1bb\x07.jpg"
    )
    assert response.status_code == 302
    assert db.session.scalar(select(StoredFile.filename)) == "ab.jpg"
