"""What the report pages call a version's state, the stage it is at and why it failed."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dialog.reports import services
from dialog.reports.models import Report, ReportStatus

STATUS_LABELS = {
    ReportStatus.queued: _l("Waiting for the worker"),
    ReportStatus.running: _l("Being compiled"),
    ReportStatus.done: _l("Ready"),
    ReportStatus.failed: _l("Failed"),
}
STAGE_LABELS = {
    "queued": _l("starting"),
    "participation": _l("counting participation"),
    "proposals": _l("ranking the proposals"),
    "opinion": _l("finding opinion groups"),
    "themes": _l("spreading the input over themes"),
    "topics": _l("reading what residents wrote"),
    "geography": _l("placing the proposals"),
    "feedback": _l("counting the answers"),
    "moderation": _l("counting moderation"),
    "done": _l("done"),
}
FAILURE_LABELS = {
    services.STOPPED: _l(
        "The worker stopped before the report was done (it was restarted, or ran out of "
        "time). Try again; if it fails again, tell the administrator."
    ),
}


def progress_text(report: Report) -> str:
    """One sentence for the progress bar's live region."""
    if report.status is ReportStatus.running:
        stage = STAGE_LABELS.get(report.stage or "queued", report.stage)
        return _("%(percent)d %% done: %(stage)s.", percent=report.percent, stage=stage)
    return str(STATUS_LABELS[report.status])


def failure_text(report: Report) -> str:
    """Why it failed, in words where the reason is a known one; otherwise the error as the
    worker recorded it, for the administrator."""
    known = FAILURE_LABELS.get(report.error or "")
    return str(known) if known else _("The worker reported: %(error)s", error=report.error)


RANKINGS = (
    ("most_supported", _l("Most support")),
    ("highest_agreement", _l("Highest agreement (for less against, of at least five votes)")),
    ("most_discussed", _l("Most discussed")),
    ("most_divided", _l("Most divided (for and against most even, weighed by votes)")),
)


def source_label(value: str) -> str:
    from dialog.proposals.labels import SOURCE_LABELS
    from dialog.proposals.models import Source

    return str(SOURCE_LABELS[Source(value)])


def answer_label(value: str) -> str:
    from dialog.proposals.labels import ANSWER_LABELS
    from dialog.proposals.models import AnswerStatus

    return str(ANSWER_LABELS[AnswerStatus(value)])


def day(text: str) -> date:
    return date.fromisoformat(text)


MAP_SIZE = 100  # the SVG's viewBox; the stylesheet sizes it
MAP_MARGIN = 4


def map_points(points: list[dict]) -> list[tuple[float, float, int]]:
    """The opinion map's points in the SVG's box, the same scale on both axes so that
    distances read true."""
    if not points:
        return []
    xs = [p["x"] for p in points]
    ys = [p["y"] for p in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    inner = MAP_SIZE - 2 * MAP_MARGIN
    mid_x, mid_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return [
        (
            round(MAP_SIZE / 2 + (p["x"] - mid_x) / span * inner, 2),
            round(MAP_SIZE / 2 - (p["y"] - mid_y) / span * inner, 2),
            p["group"],
        )
        for p in points
    ]


AREA_PART_LABELS = {
    "north-west": _l("North-west"),
    "north": _l("North"),
    "north-east": _l("North-east"),
    "west": _l("West"),
    "centre": _l("Centre"),
    "east": _l("East"),
    "south-west": _l("South-west"),
    "south": _l("South"),
    "south-east": _l("South-east"),
}


def area_part_label(value: str) -> str:
    """A part of the geography's 3 × 3 grid (`compiling.AREA_PARTS`) in words."""
    return str(AREA_PART_LABELS[value])


def flag_reason_label(value: str) -> str:
    from dialog.moderation.labels import FLAG_REASONS
    from dialog.moderation.models import FlagReason

    if value == "moderator":
        return _("No report: a moderator's own decision")
    return str(FLAG_REASONS[FlagReason(value)])


ACTION_NAMES = {
    "approve": _l("Approved"),
    "hide": _l("Hidden"),
    "restore": _l("Shown again"),
    "dismiss": _l("Reports dismissed"),
    "redact": _l("Redacted"),
    "block": _l("Author blocked"),
}


def action_label(value: str) -> str:
    return str(ACTION_NAMES.get(value, value))


CHART_WIDTH = 600  # the per-day chart's viewBox; the stylesheet sizes it
CHART_HEIGHT = 80


def day_bars(per_day: list[dict], kind: str) -> list[tuple[float, float, float, int, str]]:
    """One bar per day (x, height, width, count, date) in a box CHART_WIDTH wide: days
    with nothing get no bar but keep their place, so gaps read as quiet days."""
    if not per_day:
        return []
    first, last = day(per_day[0]["date"]), day(per_day[-1]["date"])
    days = (last - first).days + 1
    # A version compiled before a kind was counted per day has no bars of it.
    tallest = max(d.get(kind, 0) for d in per_day) or 1
    width = CHART_WIDTH / days
    return [
        (
            round((day(d["date"]) - first).days * width, 2),
            round(d[kind] / tallest * CHART_HEIGHT, 2),
            round(max(width * 0.8, 0.5), 2),
            d[kind],
            d["date"],
        )
        for d in per_day
        if d.get(kind)
    ]


def busiest_day(per_day: list[dict]) -> dict | None:
    """The day with most input of all kinds together (the first of equals)."""
    if not per_day:
        return None
    return max(per_day, key=lambda d: d["proposals"] + d["comments"] + d["votes"])


# A dimension named in a sentence: Swedish inflects the adjective ("den ekologiska").
DIMENSIONS_IN_A_SENTENCE = {
    "economic": _l("the economic dimension"),
    "ecological": _l("the ecological dimension"),
    "social": _l("the social dimension"),
}


def dimensions_named(values: list[str]) -> str:
    """ "the ecological dimension or the social dimension", in the reader's language."""
    from babel.lists import format_list
    from flask_babel import get_locale

    names = [str(DIMENSIONS_IN_A_SENTENCE[v]) for v in values]
    return format_list(names, style="or", locale=get_locale())
