"""Periodic upkeep of proposal counters."""

from __future__ import annotations

from dialog.core.periodic import periodic
from dialog.extensions import db
from dialog.proposals import services


@periodic("proposals.reconcile_counts", every=3600, lease=3600)
def reconcile_counts() -> int:
    """Rebuild vote counters from the vote rows; they should already agree."""
    fixed = services.reconcile_counts()
    db.session.commit()
    return fixed
