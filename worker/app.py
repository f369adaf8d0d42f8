"""Celery entry point: `celery -A worker.app worker` and `celery -A worker.app beat`."""

from dialog import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
celery_app.conf.beat_schedule = {
    "record-phase-transitions": {
        "task": "dialogues.record_phase_transitions",
        "schedule": 60.0,
    },
    "reconcile-vote-counts": {
        "task": "proposals.reconcile_counts",
        "schedule": 3600.0,
    },
    "sweep-outbox": {
        "task": "core.sweep_outbox",
        "schedule": flask_app.config["OUTBOX_SWEEP_INTERVAL_SECONDS"],
    },
}
