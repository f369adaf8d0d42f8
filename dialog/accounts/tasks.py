"""Privacy tasks: the export job (an outbox subscriber) and the periodic clean-ups."""

from __future__ import annotations

from typing import Any

from dialog.accounts import privacy, records
from dialog.core import outbox
from dialog.core.periodic import periodic
from dialog.extensions import db


@outbox.subscriber(privacy.EXPORT_EVENT, name="accounts.build_data_export")
def build_data_export(payload: dict[str, Any]) -> None:
    privacy.build_export(payload["export_id"])


@periodic("accounts.expire_data_exports", every="PRIVACY_TASK_INTERVAL_SECONDS", lease=600)
def expire_data_exports() -> int:
    expired = privacy.expire_exports()
    db.session.commit()
    return expired


@periodic("accounts.inactive_accounts", every="PRIVACY_TASK_INTERVAL_SECONDS", lease=1800)
def inactive_accounts() -> int:
    anonymised = privacy.anonymise_inactive_accounts()
    db.session.commit()
    warned = privacy.warn_inactive_accounts()
    db.session.commit()
    return anonymised + warned


@periodic("accounts.retention_limits", every="PRIVACY_TASK_INTERVAL_SECONDS", lease=600)
def retention_limits() -> int:
    done = privacy.enforce_retention_limits()
    db.session.commit()
    return sum(done.values())


@periodic("accounts.thin_dialogues", every="PRIVACY_TASK_INTERVAL_SECONDS", lease=1800)
def thin_dialogues() -> int:
    thinned = 0
    for dialogue in records.dialogues_due_for_thinning():
        records.thin(dialogue)
        db.session.commit()  # one dialogue at a time: a failure keeps the others done
        thinned += 1
    return thinned
