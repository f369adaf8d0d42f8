"""Celery bound to the Flask app: every task runs inside an application context."""

from __future__ import annotations

import time

from billiard.pool import Pool as BlockingPool
from billiard.queues import SimpleQueue
from celery import Celery, Task, signals
from celery.concurrency import get_implementation
from celery.concurrency.prefork import TaskPool as PreforkPool
from flask import Flask
from kombu import Queue
from kombu.transport import TRANSPORT_ALIASES
from kombu.transport.sqlalchemy import Transport as SQLAlchemyTransport

from dialog import logs
from dialog.core import queues
from dialog.core.timezone import LOCAL_ZONE_NAME


class EmbeddedTransport(SQLAlchemyTransport):
    """The embedded broker (`sqla+sqlite://`), asked for work every 0.1 s while work comes
    in and every second (kombu's interval) once none has for a few seconds. A worker
    whose pool is busy asks again only at the next poll, so with tasks of a fraction of
    a second (a batch of mail) kombu's fixed second would leave it idle most of the
    time, and a fixed 0.1 s costs an idle worker several percent of a core. Not a
    transport option: kombu hands those to create_engine."""

    BUSY_POLL, IDLE_POLL, BUSY_FOR = 0.1, 1.0, 5.0
    _last_delivery = float("-inf")

    @property
    def polling_interval(self) -> float:
        busy = time.monotonic() - self._last_delivery < self.BUSY_FOR
        return self.BUSY_POLL if busy else self.IDLE_POLL

    def _deliver(self, message, queue):
        self._last_delivery = time.monotonic()
        return super()._deliver(message, queue)


TRANSPORT_ALIASES["sqla"] = f"{__name__}:EmbeddedTransport"


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
        task_default_queue=queues.DEFAULT,
        task_queues=[Queue(name) for name in queues.ALL],
        task_routes=[queues.router],
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


class _JobQueue(SimpleQueue):
    """The pipe a blocking prefork pool hands jobs down, shared by all its processes.

    Billiard's own queue has an idle process wait for the next job while holding the
    queue's lock, shared with the other processes. Killed then (the OOM killer, a
    SIGKILL), it never releases it: its replacement and every other process wait on that
    lock for ever, and no task runs again. Here a process waits for a job without the
    lock and takes it only to read a job that is there, so an idle process holds nothing.
    """

    def get_payload(self):
        while True:
            self._reader.poll(None)  # a job, or the pipe closed: recv_bytes raises then
            with self._rlock:
                if self._reader.poll(0):  # another process may have read it first
                    return self._reader.recv_bytes()


class _Pool(BlockingPool):
    def _setup_queues(self) -> None:
        super()._setup_queues()
        unused, self._inqueue = self._inqueue, _JobQueue(ctx=self._ctx)
        unused._reader.close()
        unused._writer.close()
        self._quick_put = self._inqueue._writer.send


class _PreforkPool(PreforkPool):
    BlockingPool = _Pool


@signals.worker_init.connect
def _pool_whose_idle_processes_hold_no_lock(sender, **_kwargs) -> None:
    """A prefork worker on a broker without an event loop (kombu's SQLAlchemy transport,
    the embedded default) runs billiard's blocking pool; with one (Redis), Celery's
    asynchronous pool gives each process a pipe of its own, and needs nothing here."""
    if not sender.use_eventloop and get_implementation(sender.pool_cls) is PreforkPool:
        sender.pool_cls = _PreforkPool
