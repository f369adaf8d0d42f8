"""What an uploaded image claims to be, read from its bytes before any decoder runs.

Decoders allocate for the size a header declares (WebP's canvas as soon as the file is
opened) and expand compressed PNG text and ICC chunks while they read up to the pixels.
So the format, the pixel size and the amount of metadata are read here, by walking the
file's structure without decompressing more than the metadata budget, and an image over
budget is refused before Pillow sees it.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Well-known formats we do not take, so the refusal can say "use JPEG, PNG or WebP"
# rather than "this is not an image".
OTHER_IMAGE_SIGNATURES = (
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"\x00\x00\x01\x00",  # ICO
    b"8BPS",  # Photoshop
)
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif")

# PNG chunks that carry metadata; the compressed ones are expanded by the decoder.
PNG_TEXT = {b"tEXt": 0, b"zTXt": 1, b"iTXt": 2, b"iCCP": 1, b"eXIf": 0}
# JPEG segments the decoder keeps apart as metadata: EXIF (APP1) and ICC profiles (APP2).
JPEG_METADATA = ((0xE1, b"Exif\x00"), (0xE2, b"ICC_PROFILE\x00"))
# Start-of-frame markers (the ones that give the size): C0-CF except DHT, JPG and DAC.
JPEG_FRAMES = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
WEBP_METADATA = (b"ICCP", b"EXIF", b"XMP ")
# A progressive JPEG has about ten scans; thousands make libjpeg work for minutes.
JPEG_MAX_SCANS = 100


class HeaderError(ValueError):
    """The bytes are not an image we take. `reason` says which way, for the message:
    `other_format`, `unreadable` or `metadata`."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Header:
    format: str  # JPEG, PNG or WEBP, Pillow's names
    width: int
    height: int
    alpha: bool = False  # transparency: scaling it costs a premultiplied copy (PNG only)

    @property
    def pixels(self) -> int:
        return self.width * self.height


def read(data: bytes, *, metadata_limit: int) -> Header:
    """The header of a JPEG, PNG or WebP image; HeaderError when it is none of them,
    malformed, or carries more than `metadata_limit` bytes of text, ICC and EXIF."""
    try:
        if data.startswith(PNG_SIGNATURE):
            header = _png(data, metadata_limit)
        elif data.startswith(b"\xff\xd8\xff"):
            header = _jpeg(data, metadata_limit)
        elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            header = _webp(data, metadata_limit)
        elif data.startswith(OTHER_IMAGE_SIGNATURES) or (
            data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS
        ):
            raise HeaderError("other_format")
        else:
            raise HeaderError("unreadable")
    except (struct.error, IndexError) as error:  # the file ends inside a structure
        raise HeaderError("unreadable") from error
    if header.width <= 0 or header.height <= 0:
        raise HeaderError("unreadable")
    return header


class _Budget:
    """Counts metadata bytes as they are found; over the limit the image is refused."""

    def __init__(self, limit: int):
        self.left = limit

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise HeaderError("metadata")

    def inflate(self, compressed: bytes) -> None:
        # Expands no more than the budget allows: a 40 kB chunk can hold 40 MB of text.
        inflater = zlib.decompressobj()
        try:
            expanded = inflater.decompress(compressed, self.left + 1)
        except zlib.error as error:
            raise HeaderError("unreadable") from error
        self.spend(len(expanded))
        if inflater.unconsumed_tail:
            raise HeaderError("metadata")


def _png(data: bytes, metadata_limit: int) -> Header:
    budget = _Budget(metadata_limit)
    position = len(PNG_SIGNATURE)
    width = height = 0
    alpha = False
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        body = data[position + 8 : position + 8 + length]
        if len(body) < length:
            raise HeaderError("unreadable")
        if kind == b"IHDR":
            width, height, _depth, colour_type = struct.unpack_from(">IIBB", body)
            alpha = colour_type in (4, 6)  # grey or RGB with alpha
        elif kind == b"tRNS":
            alpha = True
        elif kind in PNG_TEXT:
            _png_metadata(kind, body, budget)
        elif kind == b"IEND":
            break  # metadata after the pixels counts too: the decoder reads it at the end
        position += 12 + length  # length, type, body, CRC
    return Header("PNG", width, height, alpha)


def _png_metadata(kind: bytes, body: bytes, budget: _Budget) -> None:
    compressed_after = PNG_TEXT[kind]
    if compressed_after == 0:  # tEXt, eXIf: as they are
        budget.spend(len(body))
        return
    keyword, _, rest = body.partition(b"\x00")
    budget.spend(len(keyword))
    if kind == b"iTXt":
        # compression flag, method, language tag \0, translated keyword \0, text
        flag = rest[:1]
        language, _, rest = rest[2:].partition(b"\x00")
        translated, _, text = rest.partition(b"\x00")
        budget.spend(len(language) + len(translated))
        if flag == b"\x01":
            budget.inflate(text)
        else:
            budget.spend(len(text))
        return
    budget.inflate(rest[1:])  # zTXt, iCCP: method byte, then zlib data


def _jpeg(data: bytes, metadata_limit: int) -> Header:
    budget = _Budget(metadata_limit)
    position = 2
    size: tuple[int, int] | None = None
    while position < len(data):
        if data[position] != 0xFF:
            raise HeaderError("unreadable")
        marker = data[position + 1]
        position += 2
        if marker == 0xFF:  # fill byte
            position -= 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # no length
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: the header is over
            break
        (length,) = struct.unpack_from(">H", data, position)
        if length < 2:
            raise HeaderError("unreadable")
        segment = data[position + 2 : position + length]
        if marker in JPEG_FRAMES and size is None:
            height, width = struct.unpack_from(">HH", segment, 1)
            size = (width, height)
        for app, label in JPEG_METADATA:
            if marker == app and segment.startswith(label):
                budget.spend(len(segment))
        position += length
    if size is None:
        raise HeaderError("unreadable")
    # Inside compressed data a 0xFF byte is always followed by 0x00 or a restart marker,
    # so every FF DA is a start of scan.
    if data.count(b"\xff\xda") > JPEG_MAX_SCANS:
        raise HeaderError("unreadable")
    return Header("JPEG", *size)


def _webp(data: bytes, metadata_limit: int) -> Header:
    budget = _Budget(metadata_limit)
    position = 12
    size: tuple[int, int] | None = None
    while position + 8 <= len(data):
        kind, length = struct.unpack_from("<4sI", data, position)
        body = data[position + 8 : position + 8 + length]
        if size is None:
            size = _webp_size(kind, body)
        if kind in WEBP_METADATA:
            budget.spend(length)
        position += 8 + length + (length & 1)  # chunks are padded to an even length
    if size is None:
        raise HeaderError("unreadable")
    return Header("WEBP", *size)


def _webp_size(kind: bytes, body: bytes) -> tuple[int, int] | None:
    if kind == b"VP8X":  # extended: the canvas, 24-bit sizes minus one
        width = int.from_bytes(body[4:7], "little") + 1
        height = int.from_bytes(body[7:10], "little") + 1
        return width, height
    if kind == b"VP8 ":  # lossy: a key frame's start code, then 14-bit sizes
        if body[3:6] != b"\x9d\x01\x2a":
            raise HeaderError("unreadable")
        width, height = struct.unpack_from("<HH", body, 6)
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L":  # lossless: a signature byte, then 14-bit sizes minus one
        if body[:1] != b"\x2f":
            raise HeaderError("unreadable")
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None
