"""The heartbeat's fork hooks, driven by two threads that fork at once: each releases only
the lock it took, so the heartbeat never stops for a lock nobody holds."""

import os
import threading

from dialog.core.heartbeat import _HeartbeatThread


def test_two_threads_forking_at_once_release_only_what_each_took(app, monkeypatch):
    hooks = {}
    monkeypatch.setattr(os, "register_at_fork", lambda **given: hooks.update(given))
    beat = _HeartbeatThread(app, "forks@test")
    beat.deadline = 0.2
    beat._make_forks_wait_for_writes()
    took, gave_up = threading.Event(), threading.Event()

    def first():  # takes the lock for its fork, and is back in the parent last
        hooks["before"]()
        took.set()
        gave_up.wait(5)
        hooks["after_in_parent"]()

    def second():  # finds it taken, forks anyway after the deadline
        took.wait(5)
        hooks["before"]()
        gave_up.set()
        hooks["after_in_parent"]()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for each in threads:
        each.start()
    for each in threads:
        each.join(10)
    assert beat.writing.acquire(blocking=False), "the fork lock was left held"
