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
    "feedback": _l("counting the answers"),
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
