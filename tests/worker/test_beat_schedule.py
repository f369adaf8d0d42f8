"""The beat schedule is what the periodic tasks declare, nothing more or less."""

import pytest

from dialog.core.periodic import periodic


def test_the_beat_schedule_holds_exactly_the_declared_periodic_tasks(app):
    import worker.app

    sweep_interval = float(app.config["OUTBOX_SWEEP_INTERVAL_SECONDS"])
    privacy_interval = float(app.config["PRIVACY_TASK_INTERVAL_SECONDS"])
    assert worker.app.celery_app.conf.beat_schedule == {
        "dialogues.record_phase_transitions": {
            "task": "dialogues.record_phase_transitions",
            "schedule": 60.0,
        },
        "proposals.reconcile_counts": {"task": "proposals.reconcile_counts", "schedule": 3600.0},
        "core.sweep_outbox": {"task": "core.sweep_outbox", "schedule": sweep_interval},
        "core.expire_unreferenced_uploads": {
            "task": "core.expire_unreferenced_uploads",
            "schedule": 3600.0,
        },
        **{
            name: {"task": name, "schedule": privacy_interval}
            for name in (
                "accounts.expire_data_exports",
                "accounts.inactive_accounts",
                "accounts.retention_limits",
                "accounts.thin_dialogues",
                "moderation.purge_redacted_originals",
            )
        },
    }
    for entry in worker.app.celery_app.conf.beat_schedule.values():
        assert entry["task"] in worker.app.celery_app.tasks


def test_a_periodic_task_name_is_declared_once():
    with pytest.raises(ValueError, match="'core.sweep_outbox' is declared twice"):
        periodic("core.sweep_outbox", every=1, lease=1)(lambda: 0)
