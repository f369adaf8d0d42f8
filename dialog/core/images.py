"""Uploaded images: the type is read from the content, the size is capped, and the pixels
are re-encoded so that no metadata (camera, GPS position, names) survives.

Decoding is what costs: a 170 kB PNG can declare 40 million pixels. So the header is read
first (`image_headers`), and an image over the pixel budget (`IMAGE_MAX_PIXELS`, less for
formats whose decoder needs more) or carrying too much metadata is refused before any
decoder runs. A JPEG is scaled down by libjpeg while it decodes
(`draft`); every image is then reduced to at most `IMAGE_MAX_SIDE` pixels a side before
it is copied, so a worker holds one full-size decode at most, bounded by the budget.
"""

from __future__ import annotations

import io
import logging
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps

from dialog.core import image_headers, storage
from dialog.core.db import utcnow
from dialog.core.models import StoredFile

log = logging.getLogger(__name__)

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# How many pixels of the budget one pixel costs, measured as peak memory against an RGB
# PNG (about 6 bytes a pixel, decoded and scaled): libwebp holds several canvases while it
# decodes (4), transparency is scaled on a premultiplied copy (2); a JPEG decodes at a
# reduced scale or, progressive, holds its coefficients (1).
DECODE_COST = {"JPEG": 1, "PNG": 1, "WEBP": 4}
ALPHA_COST = 2
# Modes the resampling filters and all three encoders handle as they are.
PLAIN_MODES = ("L", "LA", "RGB", "RGBA")

UNREADABLE = _l("The file is not an image we can read. Use JPEG, PNG or WebP.")
HEADER_REFUSALS = {
    "other_format": _l("Only JPEG, PNG and WebP images can be used."),
    "unreadable": UNREADABLE,
    "metadata": _l(
        "The image carries too much embedded information (such as text or a colour "
        "profile). Save it again without it, or take a screenshot of it, and try again."
    ),
}


class ImageRefused(ValueError):
    """The upload is not an image we take; the message says why, for the person."""


def store(data: bytes, filename: str, *, uploaded_by: int | None = None) -> StoredFile:
    """Check, clean and store an uploaded image; raises ImageRefused with a reason.

    `uploaded_by` (a person's id) counts the upload towards their daily cap."""
    config = current_app.config
    if uploaded_by is not None:
        _check_daily_cap(uploaded_by, config["UPLOADS_PER_DAY"])
    if len(data) > config["IMAGE_MAX_BYTES"]:
        raise ImageRefused(
            _l(
                "The image is too large: at most %(mb)d MB.",
                mb=config["IMAGE_MAX_BYTES"] // (1024 * 1024),
            )
        )
    cleaned, kind = clean(
        data,
        max_pixels=config["IMAGE_MAX_PIXELS"],
        max_side=config["IMAGE_MAX_SIDE"],
        metadata_limit=config["IMAGE_MAX_METADATA_BYTES"],
    )
    stem = (filename.rsplit(".", 1)[0] or "bild")[:100]
    return storage.save(
        cleaned,
        filename=f"{stem}.{EXTENSIONS[kind]}",
        content_type=FORMATS[kind],
        uploaded_by_id=uploaded_by,
    )


def clean(data: bytes, *, max_pixels: int, max_side: int, metadata_limit: int) -> tuple[bytes, str]:
    """The image re-encoded upright, at most `max_side` pixels a side and without
    metadata, and its format; ImageRefused when it is over budget or unreadable."""
    try:
        header = image_headers.read(data, metadata_limit=metadata_limit)
    except image_headers.HeaderError as error:
        raise ImageRefused(HEADER_REFUSALS[error.reason]) from error
    allowed = max_pixels // (DECODE_COST[header.format] * (ALPHA_COST if header.alpha else 1))
    if header.pixels > allowed:
        raise ImageRefused(
            _l(
                "The image has too many pixels: at most %(megapixels)d megapixels. "
                "Make it smaller and try again.",
                megapixels=max(1, allowed // 1_000_000),
            )
        )
    try:
        image = _decode(data, header, max_side)
        return _without_metadata(image, header.format), header.format
    except ImageRefused:
        raise
    except Exception as error:
        # Hostile or broken files fail decoders in many ways (OSError, SyntaxError,
        # struct.error, ValueError...); each is the file's fault, never a server error.
        log.info("image refused by the decoder: %r", error)
        raise ImageRefused(UNREADABLE) from error


def _check_daily_cap(person_id: int, per_day: int) -> None:
    if storage.count_uploaded_by(person_id, since=utcnow() - timedelta(days=1)) >= per_day:
        raise ImageRefused(
            _l(
                "You can upload at most %(limit)d images in 24 hours. Try again later, "
                "or send your proposal without an image.",
                limit=per_day,
            )
        )


def _decode(data: bytes, header: image_headers.Header, max_side: int) -> Image.Image:
    image = Image.open(io.BytesIO(data), formats=[header.format])
    if image.size != (header.width, header.height):
        # Pillow read another size than the one the budget was checked against.
        raise ImageRefused(UNREADABLE)
    if header.format == "JPEG":
        # libjpeg decodes at 1/2, 1/4 or 1/8 scale, never below the size we keep.
        image.draft(None, _fitted(image.size, max_side))
    image.load()
    if image.mode == "1":
        image = image.convert("L")
    elif image.mode not in PLAIN_MODES:
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    # Reduce by whole factors first, then resample: the full-size decode is let go early.
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    ImageOps.exif_transpose(image, in_place=True)
    return image


def _fitted(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _without_metadata(image: Image.Image, kind: str) -> bytes:
    # Copy only the pixels into a new image: EXIF, XMP, ICC and text chunks stay behind.
    if kind == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    pixels = Image.new(image.mode, image.size)
    pixels.paste(image)
    out = io.BytesIO()
    pixels.save(out, format=kind, **({"quality": 85} if kind in ("JPEG", "WEBP") else {}))
    return out.getvalue()


# Cards show images this wide (twice the 240 CSS pixels of a card's picture, for sharp
# screens): a list of twenty stays light however large the uploads were.
CARD_SIDE = 480


def scaled(data: bytes, content_type: str, side: int = CARD_SIDE) -> bytes:
    """A stored (already cleaned) image made at most `side` pixels a side, same format."""
    kind = next(name for name, mime in FORMATS.items() if mime == content_type)
    image = Image.open(io.BytesIO(data), formats=[kind])
    if max(image.size) <= side:
        return data
    image.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return _without_metadata(image, kind)
