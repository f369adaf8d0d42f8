"""Uploaded images: the type is read from the content, the size is capped, and the pixels
are re-encoded so that no metadata (camera, GPS position, names) survives."""

from __future__ import annotations

import io

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from dialog.core import storage
from dialog.core.models import StoredFile

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


class ImageRefused(ValueError):
    """The upload is not an image we take; the message says why, for the person."""


def store(data: bytes, filename: str) -> StoredFile:
    """Check, clean and store an uploaded image; raises ImageRefused with a reason."""
    config = current_app.config
    if len(data) > config["IMAGE_MAX_BYTES"]:
        raise ImageRefused(
            _l(
                "The image is too large: at most %(mb)d MB.",
                mb=config["IMAGE_MAX_BYTES"] // (1024 * 1024),
            )
        )
    image = _open(data, config["IMAGE_MAX_PIXELS"])
    kind = image.format
    cleaned = _without_metadata(image, kind)
    stem = (filename.rsplit(".", 1)[0] or "bild")[:100]
    return storage.save(cleaned, filename=f"{stem}.{EXTENSIONS[kind]}", content_type=FORMATS[kind])


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in FORMATS:
            raise ImageRefused(_l("Only JPEG, PNG and WebP images can be used."))
        if image.width * image.height > max_pixels:
            raise ImageRefused(_l("The image has too many pixels."))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ImageRefused(
            _l("The file is not an image we can read. Use JPEG, PNG or WebP.")
        ) from error
    return image


def _without_metadata(image: Image.Image, kind: str) -> bytes:
    # Turn the picture the way the camera meant, then copy only its pixels into a new
    # image: EXIF, XMP, ICC and text chunks stay behind.
    upright = ImageOps.exif_transpose(image)
    if upright.mode == "P":
        upright = upright.convert("RGBA")
    if kind == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    pixels = Image.new(upright.mode, upright.size)
    pixels.paste(upright)
    out = io.BytesIO()
    pixels.save(out, format=kind, **({"quality": 85} if kind in ("JPEG", "WEBP") else {}))
    return out.getvalue()
