"""Plane geometry for maps drawn without map tiles: a dialogue's area (a GeoJSON Polygon
of [longitude, latitude] positions) and points, framed and projected for an SVG; and
whether a point lies in the area. Reports and the pages' maps share it."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# West, south, east and north edges, in degrees.
Frame = tuple[float, float, float, float]


def rings(area: dict | None) -> list[list[tuple[float, float]]]:
    """The area's rings as (longitude, latitude) pairs: the outline first, then holes."""
    return [[(lon, lat) for lon, lat, *_ in ring] for ring in (area or {}).get("coordinates", [])]


def bounds_of(points: Iterable[tuple[float, float]]) -> Frame | None:
    """The box around (latitude, longitude) points, or None without any."""
    points = list(points)
    if not points:
        return None
    lats = [lat for lat, _lon in points]
    lons = [lon for _lat, lon in points]
    return min(lons), min(lats), max(lons), max(lats)


def frame_around(area: dict | None, bounds: Frame | None) -> Frame | None:
    """The box around the area's outline and the given bounds (of points)."""
    lons = [lon for ring in rings(area) for lon, _lat in ring]
    lats = [lat for ring in rings(area) for _lon, lat in ring]
    if bounds is not None:
        west, south, east, north = bounds
        lons, lats = [*lons, west, east], [*lats, south, north]
    if not lons:
        return None
    return min(lons), min(lats), max(lons), max(lats)


def widened(frame: Frame, least_span: float, margin: float = 0.0) -> Frame:
    """The frame grown by `margin` of its size on each side, and to at least `least_span`
    degrees each way: a lone point gets a neighbourhood instead of a frame of no size."""
    west, south, east, north = frame
    grow_x = max((east - west) * margin, (least_span - (east - west)) / 2, 0.0)
    grow_y = max((north - south) * margin, (least_span - (north - south)) / 2, 0.0)
    return west - grow_x, south - grow_y, east + grow_x, north + grow_y


@dataclass(frozen=True)
class Projection:
    """Degrees to drawing units, so that a kilometre is as long east as north
    (longitudes shrink with the cosine of the latitude), north up."""

    west: float
    north: float
    squeeze: float
    scale: float
    width: float
    height: float

    @classmethod
    def of(cls, frame: Frame, width: float) -> Projection:
        west, south, east, north = frame
        squeeze = math.cos(math.radians((south + north) / 2))
        span = max((east - west) * squeeze, north - south, 1e-6)
        scale = width / span
        return cls(
            west=west,
            north=north,
            squeeze=squeeze,
            scale=scale,
            width=round((east - west) * squeeze * scale, 1) or width,
            height=round((north - south) * scale, 1) or width,
        )

    def __call__(self, lon: float, lat: float) -> list[float]:
        return [
            round((lon - self.west) * self.squeeze * self.scale, 1),
            round((self.north - lat) * self.scale, 1),
        ]


def drawing(
    area: dict | None, points: list[tuple[float, float]], frame: Frame | None, width: float
) -> dict[str, Any] | None:
    """The area's outline and (latitude, longitude) points projected into one frame: an
    SVG needs nothing else, and no map tiles."""
    if frame is None:
        return None
    project = Projection.of(frame, width)
    return {
        "width": project.width,
        "height": project.height,
        "outline": [[project(lon, lat) for lon, lat in ring] for ring in rings(area)],
        "points": [project(lon, lat) for lat, lon in points],
    }


def contains(area: dict | None, lat: float, lon: float) -> bool:
    """Whether the point lies inside the area's outline and outside its holes (the
    even-odd rule over every ring). A dialogue without an area contains everything."""
    area_rings = rings(area)
    if not area_rings:
        return True
    inside = False
    for ring in area_rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside
