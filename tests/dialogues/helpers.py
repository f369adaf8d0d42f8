"""Building dialogues with schedules for tests."""

from __future__ import annotations

from datetime import timedelta

from dialog.core.db import utcnow
from dialog.dialogues import services
from dialog.dialogues.models import DialogueState, PhaseKind, Visibility


def make_dialogue(
    db,
    slug="stadskarna",
    *,
    state=DialogueState.published,
    visibility=Visibility.public,
    phases=(),
    **fields,
):
    """A dialogue with phases given as (kind, start offset, end offset) in hours from now."""
    dialogue = services.create_dialogue(
        slug=slug,
        title=fields.pop("title", f"Dialog {slug}"),
        summary=fields.pop("summary", "Sammanfattning"),
        state=state,
        visibility=visibility,
        **fields,
    )
    now = utcnow().replace(microsecond=0)
    for kind, start, end in phases:
        services.add_phase(
            dialogue,
            services.PhasePlan(
                kind=PhaseKind(kind),
                title=f"{kind} {start}",
                starts_at=now + timedelta(hours=start),
                ends_at=now + timedelta(hours=end) if end is not None else None,
            ),
            by=None,
        )
    db.session.commit()
    return dialogue


LIVE = (("information", -72, -1), ("proposals", -1, 24), ("voting", 24, 48), ("result", 48, None))
