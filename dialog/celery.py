"""Celery bound to the Flask app: every task runs inside an application context."""

from __future__ import annotations

from celery import Celery, Task, signals
from flask import Flask

from dialog import logs
from dialog.core.timezone import LOCAL_ZONE_NAME


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    timeout = app.config["OUTBOX_PUBLISH_TIMEOUT"]
    celery_app.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"],
        task_ignore_result=True,
        result_backend=None,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        timezone=LOCAL_ZONE_NAME,
        enable_utc=True,
        broker_connection_timeout=timeout,
        broker_connection_retry_on_startup=True,
        # Publishing gives up fast; the outbox sweeper is what makes delivery reliable.
        broker_transport_options=_transport_options(app.config["CELERY_BROKER_URL"], timeout),
        task_default_queue="default",
        task_routes={"core.deliver_outbox": {"queue": "default"}},
        beat_schedule_filename=f"{app.config['INSTANCE_PATH']}/celerybeat-schedule",
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def _transport_options(broker_url: str, timeout: float) -> dict:
    options = {"max_retries": 0, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
    if broker_url.startswith("redis"):
        # Each command too: a Redis that accepts and never answers would otherwise hold a
        # publish, and the request behind it, forever (kombu's own default is no timeout).
        options.update(
            socket_connect_timeout=timeout, socket_timeout=timeout, visibility_timeout=3600
        )
    return options


@signals.setup_logging.connect
def _keep_the_apps_logging(**_kwargs) -> None:
    """The worker and beat log like the web app: create_app (run when Celery loads
    worker.app) has set logging up from LOG_LEVEL and LOG_FORMAT. A receiver here is what
    stops Celery from replacing the root logger's handlers with its own format; its
    `--loglevel` is ignored for the same reason."""


@signals.before_task_publish.connect
def _carry_the_request_id(headers: dict | None = None, **_kwargs) -> None:
    """A task published while serving a request (or running a task) carries its id."""
    request_id = logs.current_request_id()
    if headers is not None and request_id and logs.TASK_HEADER not in headers:
        headers[logs.TASK_HEADER] = request_id
