"""The broker's queues, and which tasks go on which.

Each queue has workers of its own in production (`deploy/systemd`), so a burst of one kind
of work never holds back another: ten thousand mails wait on `mail` while the sweeper and
the phase changes run on `periodic`, and a long report compiles on `reports`. A task's
queue is declared where the task is (`route`, `periodic`, an outbox subscriber's `queue`);
everything else runs on `default`.
"""

from __future__ import annotations

DEFAULT = "default"
MAIL = "mail"
PERIODIC = "periodic"
REPORTS = "reports"
ALL = (DEFAULT, MAIL, PERIODIC, REPORTS)

_routes: dict[str, str] = {}


def route(task_name: str, queue: str) -> None:
    if queue not in ALL:
        raise ValueError(f"no queue {queue!r}; the queues are {', '.join(ALL)}")
    _routes[task_name] = queue


def of(task_name: str) -> str:
    return _routes.get(task_name, DEFAULT)


def router(name: str, *_args, **_kwargs) -> dict[str, str]:
    """Celery's `task_routes`: a publish that names its queue (an outbox delivery, whose
    subscriber chose it) keeps it."""
    return {"queue": of(name)}
