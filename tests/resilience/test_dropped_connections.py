"""Pooled Redis connections that something between dropped while Redis stayed up (a
restarted proxy, load balancer or NAT, a failover): the next command on one is answered
with a reset. That costs one fresh connection, never an outage of the broker, the page
cache or the limit store; a Redis that hangs is still given up on after one timeout.
"""

from __future__ import annotations

import time

from limits import parse

from dialog.core import limits, mail, outages, outbox, page_cache
from dialog.extensions import db
from tests.resilience.conftest import FAST_DEADLINES
from tests.support import tasks_waiting

TIMEOUT = float(FAST_DEADLINES["OUTBOX_PUBLISH_TIMEOUT"])
assert float(FAST_DEADLINES["REDIS_SOCKET_TIMEOUT"]) == TIMEOUT
# Above one timeout with room for a loaded machine, below two.
ONE_TIMEOUT_AT_MOST = 1.8 * TIMEOUT


def _queue_mail(site, to: str) -> float:
    """Record a mail and commit, which publishes its delivery; how long the commit took."""
    with site.app_context():
        mail.queue(
            to=to,
            template="password_changed",
            locale="sv",
            key=f"dropped:{to}",
            name="Ada",
            reset_url="https://dialog.example/r",
        )
        started = time.monotonic()
        db.session.commit()
        return time.monotonic() - started


def _down(site, name: str) -> bool:
    with site.app_context():
        return outages.of(name, "").down


def test_a_publish_after_the_brokers_connections_were_dropped_goes_on_a_fresh_one(
    committed_db, build_site, redis_server, proxy, logs, figure
):
    relay = proxy(redis_server.port)
    site = build_site(CELERY_BROKER_URL=f"redis://127.0.0.1:{relay.port}/0")
    queue = redis_server.client()
    _queue_mail(site, "first@example.org")
    assert tasks_waiting(queue) == 1
    connections = relay.accepted

    relay.lose_connections()
    took = _queue_mail(site, "second@example.org")

    assert tasks_waiting(queue) == 2  # published now, not left to the sweeper
    assert relay.accepted > connections  # on a fresh connection
    assert not _down(site, "broker")
    assert not [r for r in logs.records if "broker unreachable" in r.getMessage()]
    with site.app_context():
        assert outbox.broker_outage().worth_trying()

    # A hung broker is not tried twice: a write still waits one publish timeout at most.
    relay.hang()
    hung_took = _queue_mail(site, "third@example.org")
    assert _down(site, "broker") and tasks_waiting(queue) == 2
    assert hung_took < ONE_TIMEOUT_AT_MOST, f"{hung_took:.2f} s"
    figure(
        f"broker connections dropped by a proxy: the next publish took {took * 1000:.0f} ms "
        f"on a fresh connection, broker not marked down; hung: {hung_took:.2f} s "
        f"(timeout {TIMEOUT} s)"
    )


def test_the_cache_and_limit_store_carry_on_after_their_connections_were_dropped(
    app, committed_db, build_site, redis_server, proxy, logs, figure
):
    relay = proxy(redis_server.port)
    site = build_site(
        REDIS_URL=f"redis://127.0.0.1:{relay.port}/0",
        CELERY_BROKER_URL=app.config["CELERY_BROKER_URL"],
    )
    store = redis_server.client()
    limit = parse("100/minute")
    rendered = []

    def render(text: str):
        return lambda: rendered.append(text) or text

    with site.test_request_context("/"):
        assert page_cache.fragment("dropped", render("first")) == "first"
        assert limits.hit(limit, "dropped")
        relay.lose_connections()

        started = time.monotonic()
        cached = page_cache.fragment("dropped", render("again"))
        counted = limits.hit(limit, "dropped")
        took = time.monotonic() - started

    assert cached == "first" and rendered == ["first"]  # read from Redis, not rendered again
    assert counted and [int(store.get(key)) for key in store.keys("LIMITS:*")] == [2]
    assert not _down(site, "page cache") and not _down(site, "rate-limit store")
    assert not [r for r in logs.records if "unreachable" in r.getMessage()]

    # A hung store is not tried twice: one lookup waits one socket timeout at most.
    relay.hang()
    with site.test_request_context("/"):
        started = time.monotonic()
        assert page_cache.fragment("dropped", render("hung")) == "hung"
        hung_took = time.monotonic() - started
    assert _down(site, "page cache")
    assert hung_took < ONE_TIMEOUT_AT_MOST, f"{hung_took:.2f} s"
    figure(
        f"cache/limit Redis connections dropped by a proxy: a cached read and a count took "
        f"{took * 1000:.0f} ms on fresh connections, neither store marked down; hung: "
        f"{hung_took:.2f} s (timeout {TIMEOUT} s)"
    )
