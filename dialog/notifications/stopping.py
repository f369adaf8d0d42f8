"""A worker asked to stop finishes the mail in flight and sends no more of its batch.

A service manager stops the worker by sending SIGTERM to its whole process group. The
main process then shuts down warm (running tasks may finish), but in a prefork pool
process billiard's handler raises SystemExit in the middle of the task: perhaps after the
SMTP server accepted a message and before that was recorded, so the mail went out again.
While a task runs, a pool process's SIGTERM only notes the request here; the batch stops
after the message in flight is marked sent, returns normally, and the rest stay pending
for the sweeper and the next worker. The handler is set for each task, since billiard
sets its own after the pool process has started (`worker_process_init` is too early).
"""

from __future__ import annotations

import signal
import threading

from billiard.common import _shutdown_cleanup as _billiards_handler
from celery import signals

_requested = threading.Event()
_outer = {}


def requested() -> bool:
    return _requested.is_set()


def _note(signum, frame) -> None:
    _requested.set()
    outer = _outer.get("handler")
    # The solo pool runs tasks in the main process: Celery's warm shutdown hears it too.
    if callable(outer) and outer is not _billiards_handler:
        outer(signum, frame)


@signals.task_prerun.connect(weak=False)
def _note_sigterm_while_a_task_runs(**_kwargs) -> None:
    if threading.current_thread() is threading.main_thread():
        # A request heard during an earlier task was for that task: a pool process
        # asked to stop between tasks gets billiard's own handler, and exits.
        _requested.clear()
        _outer["handler"] = signal.signal(signal.SIGTERM, _note)


@signals.task_postrun.connect(weak=False)
def _put_the_handler_back(**_kwargs) -> None:
    if "handler" in _outer and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _outer.pop("handler"))


# A warm shutdown of the main process (the solo pool) announces itself too.
signals.worker_shutting_down.connect(lambda **_kwargs: _requested.set(), weak=False)
