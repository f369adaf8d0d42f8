"""The maps of a dialogue, its list of proposals and a proposal: drawn on the server as an
SVG of the area's outline and the proposals' points, which needs neither JavaScript nor
map tiles, and handed as data to static/js/map.js, which makes them Leaflet maps."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from flask import url_for

from dialog.core import geometry
from dialog.dialogues.models import Dialogue
from dialog.proposals import queries
from dialog.proposals.models import Proposal

# Drawing units across an SVG map (it scales to the page's width).
MAP_WIDTH = 600
# Points closer than this (in drawing units, a cell of a grid) share one circle with
# their count: at 600 units across, about the size of a fingertip on a phone.
CLUSTER_CELL = 40
# The smallest span of a map, in degrees (about 400 m north to south): a lone point gets
# a neighbourhood, not a frame of no size.
LEAST_SPAN = 0.004
# A point this far outside the area's box (in box sizes) is left out of the drawing, so
# that one mistyped coordinate cannot shrink the area to a dot; the list still names it.
FAR_OUTSIDE = 1.0
# The dialogue page draws this many of the newest points; the list's map draws them all.
DIALOGUE_MARKERS = 400


@dataclass(frozen=True)
class Marker:
    lat: float
    lon: float
    title: str
    url: str


@dataclass(frozen=True)
class Dot:
    """One circle of the drawing: a proposal, or several close together (a cluster)."""

    x: float
    y: float
    markers: tuple[Marker, ...]

    @property
    def count(self) -> int:
        return len(self.markers)


@dataclass(frozen=True)
class PlaceMap:
    width: float
    height: float
    outline: str  # the area as an SVG path (holes too, by the even-odd rule), or ""
    dots: list[Dot]
    markers: list[Marker]  # every drawn marker, for the Leaflet map
    area: dict | None
    located: int  # proposals with a point in all, drawn or not
    far: int  # left out of the drawing, far outside the area
    outside_area: bool = False  # a proposal's own point outside the dialogue's area

    def data(self) -> dict[str, Any]:
        """What static/js/map.js draws: the area and the markers."""
        return {
            "area": self.area,
            "markers": [
                {"lat": m.lat, "lon": m.lon, "title": m.title, "url": m.url} for m in self.markers
            ],
        }


def dialogue_map(dialogue: Dialogue) -> PlaceMap | None:
    """The dialogue page's map: the area and its newest proposals' points."""
    located, total = queries.located_proposals(dialogue, DIALOGUE_MARKERS)
    markers = [_marker(p.id, p.title, p.lat, p.lon) for p in located]
    return _map(dialogue.place_area, markers, total, cluster=True)


def list_map(dialogue: Dialogue, placed: Iterable[Proposal]) -> PlaceMap | None:
    """The map of the proposals' list: every placed proposal that has a point."""
    markers = [
        _marker(p.id, p.title, p.place_lat, p.place_lon) for p in placed if p.place_lat is not None
    ]
    return _map(dialogue.place_area, markers, len(markers), cluster=True)


def proposal_map(proposal: Proposal) -> PlaceMap | None:
    """A proposal's own point in the dialogue's area; none when it names no point."""
    if proposal.place_lat is None or proposal.place_lon is None:
        return None
    area = proposal.dialogue.place_area
    marker = _marker(proposal.id, proposal.title, proposal.place_lat, proposal.place_lon)
    place_map = _map(area, [marker], 1, cluster=False, keep_far=True)
    inside = geometry.contains(area, proposal.place_lat, proposal.place_lon)
    return replace(place_map, outside_area=not inside)


def picker(dialogue: Dialogue) -> dict[str, Any]:
    """What the proposal form's map picker starts from: the area, where the named places
    lie (those whose proposals tell) and the dialogue's own point."""
    centre = None
    if dialogue.place_lat is not None and dialogue.place_lon is not None:
        centre = [dialogue.place_lat, dialogue.place_lon]
    box = geometry.frame_around(dialogue.place_area, None)
    return {
        "area": dialogue.place_area,
        "box": [round(edge, 4) for edge in box] if box else None,
        "centre": centre,
        "places": {
            name: [round(lat, 6), round(lon, 6)]
            for name, (lat, lon) in queries.named_place_points(dialogue).items()
        },
    }


def by_place(placed: Iterable[Proposal]) -> list[tuple[str | None, list[Proposal]]]:
    """The placed proposals under their place's name, names in order and those with only
    a point last (the same on both databases, which sort a missing name differently)."""
    groups: dict[str | None, list[Proposal]] = {}
    for proposal in placed:
        groups.setdefault(proposal.place_name or None, []).append(proposal)
    return sorted(groups.items(), key=lambda group: (group[0] is None, group[0] or ""))


def _marker(proposal_id: int, title: str, lat: float, lon: float) -> Marker:
    return Marker(lat, lon, title, url_for("proposals.show", proposal_id=proposal_id))


def _map(
    area: dict | None,
    markers: list[Marker],
    located: int,
    *,
    cluster: bool,
    keep_far: bool = False,
) -> PlaceMap | None:
    """The drawing: nothing to draw (no area, no point) is no map at all, never a blank
    box."""
    near = markers if keep_far else _near(area, markers)
    frame = geometry.frame_around(area, geometry.bounds_of((m.lat, m.lon) for m in near))
    if frame is None:
        return None
    project = geometry.Projection.of(geometry.widened(frame, LEAST_SPAN, margin=0.05), MAP_WIDTH)
    points = [(project(m.lon, m.lat), m) for m in near]
    return PlaceMap(
        width=project.width,
        height=project.height,
        outline=" ".join(
            "M" + " L".join(f"{x},{y}" for x, y in (project(lon, lat) for lon, lat in ring)) + " Z"
            for ring in geometry.rings(area)
        ),
        dots=_clustered(points) if cluster else [Dot(x, y, (m,)) for (x, y), m in points],
        markers=near,
        area=area,
        located=located,
        far=len(markers) - len(near),
    )


def _near(area: dict | None, markers: list[Marker]) -> list[Marker]:
    box = geometry.frame_around(area, None)
    if box is None:
        return markers
    west, south, east, north = geometry.widened(box, LEAST_SPAN, margin=FAR_OUTSIDE)
    return [m for m in markers if west <= m.lon <= east and south <= m.lat <= north]


def _clustered(points: list[tuple[list[float], Marker]]) -> list[Dot]:
    """Points in one cell of a grid drawn as one circle at their mean, with their count."""
    cells: dict[tuple[int, int], list[tuple[list[float], Marker]]] = {}
    for (x, y), marker in points:
        cells.setdefault((int(x // CLUSTER_CELL), int(y // CLUSTER_CELL)), []).append(
            ((x, y), marker)
        )
    return [
        Dot(
            round(sum(x for (x, _y), _m in members) / len(members), 1),
            round(sum(y for (_x, y), _m in members) / len(members), 1),
            tuple(m for _xy, m in members),
        )
        for members in cells.values()
    ]
