"""The municipality's look: the site's name, the municipality's name, its logo, its colour
and the favicon, from settings (config.py), served by the app itself (no CDN, no inline
styles: the colour arrives as a small stylesheet of its own).

The colour carries white text in the header and on buttons, and is the colour of links
on white: config.py refuses one with too little contrast for WCAG 2.1 AA."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from flask import current_app, url_for

from config import FAVICON_TYPES, LOGO_TYPES

# The darker shade for hover and the header: the colour mixed with this much black.
DARKER = 0.3


def darken(colour: str, share: float = DARKER) -> str:
    channels = [round(int(colour[i : i + 2], 16) * (1 - share)) for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in channels)


@dataclass(frozen=True)
class Brand:
    site_name: str
    municipality: str
    colour: str
    logo_path: str
    favicon_path: str

    @classmethod
    def from_config(cls, config) -> Brand:
        return cls(
            site_name=config["SITE_NAME"],
            municipality=config["MUNICIPALITY_NAME"],
            colour=config["BRAND_COLOUR"].lower(),
            logo_path=config["BRAND_LOGO"],
            favicon_path=config["BRAND_FAVICON"],
        )

    @cached_property
    def stylesheet(self) -> str:
        return f":root {{ --accent: {self.colour}; --accent-dark: {darken(self.colour)}; }}\n"

    @cached_property
    def favicon(self) -> tuple[bytes, str]:
        """The configured file, or a speech bubble in the municipality's colour."""
        if self.favicon_path:
            path = Path(self.favicon_path)
            return path.read_bytes(), FAVICON_TYPES[path.suffix.lower()]
        drawing = (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
            f'<rect width="32" height="32" rx="6" fill="{self.colour}"/>'
            '<path d="M7 9h18v11H14l-5 4v-4H7z" fill="#fff"/></svg>'
        )
        return drawing.encode(), LOGO_TYPES[".svg"]

    @cached_property
    def logo(self) -> tuple[bytes, str] | None:
        if not self.logo_path:
            return None
        path = Path(self.logo_path)
        return path.read_bytes(), LOGO_TYPES[path.suffix.lower()]

    @cached_property
    def version(self) -> str:
        """Changes whenever what is served changes, so the files may be cached for long."""
        parts = [self.stylesheet.encode(), self.favicon[0], (self.logo or (b"", ""))[0]]
        return hashlib.sha256(b"\0".join(parts)).hexdigest()[:12]


def brand_url(name: str) -> str:
    """The stylesheet ("brand.css"), "logo" or "favicon", at its versioned address."""
    version = current_app.extensions["brand"].version
    if name == "brand.css":
        return url_for("core.brand_stylesheet", version=version)
    return url_for("core.brand_file", version=version, name=name)
