"""The phase scheduler: a beat task every minute."""

from __future__ import annotations

from dialog.core.periodic import periodic
from dialog.dialogues import scheduler
from dialog.extensions import db


# The unique key on transitions already makes concurrent runs record each event once;
# the lease spares the database the duplicate work.
@periodic("dialogues.record_phase_transitions", every=60, lease=120)
def record_phase_transitions() -> int:
    recorded = scheduler.record_due_transitions()
    db.session.commit()
    return recorded
