"""The beat schedule is what the periodic tasks declare, nothing more or less."""

import pytest

from dialog.core import outbox, queues
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
        "notifications.sweep_mail": {
            "task": "notifications.sweep_mail",
            "schedule": sweep_interval,
        },
        "notifications.queue_digests": {"task": "notifications.queue_digests", "schedule": 600.0},
        "reports.sweep": {"task": "reports.sweep", "schedule": sweep_interval},
        "reports.check_published_words": {
            "task": "reports.check_published_words",
            "schedule": sweep_interval,
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


def test_every_periodic_task_goes_on_the_periodic_queue_and_mail_on_the_mail_queue(app):
    import worker.app

    router = worker.app.celery_app.amqp.router
    for name in worker.app.celery_app.conf.beat_schedule:
        assert router.route({}, name)["queue"].name == queues.PERIODIC
    assert router.route({}, "notifications.send_mail")["queue"].name == queues.MAIL
    assert router.route({}, "reports.compile")["queue"].name == queues.REPORTS
    assert router.route({}, "core.deliver_outbox")["queue"].name == queues.DEFAULT
    # A delivery names its subscriber's queue when it is published.
    assert router.route({"queue": queues.MAIL}, "core.deliver_outbox")["queue"].name == "mail"
    assert outbox.queue_of("core.send_email") == queues.MAIL
    assert outbox.queue_of("notifications.comment_added") == queues.DEFAULT


def test_a_periodic_task_name_is_declared_once():
    with pytest.raises(ValueError, match="'core.sweep_outbox' is declared twice"):
        periodic("core.sweep_outbox", every=1, lease=1)(lambda: 0)
