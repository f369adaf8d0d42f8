"""Moderation's periodic clean-up: what redactions took out is not kept for good."""

from __future__ import annotations

from flask import current_app

from dialog.core.periodic import periodic
from dialog.extensions import db
from dialog.moderation import services


@periodic("moderation.purge_redacted_originals", every="PRIVACY_TASK_INTERVAL_SECONDS", lease=600)
def purge_redacted_originals() -> int:
    removed = services.purge_redacted_originals(current_app.config["AUDIT_PII_RETENTION_DAYS"])
    db.session.commit()
    return removed
