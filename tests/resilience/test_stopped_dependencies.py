"""A dependency that is stopped degrades the service and never takes it down.

Each test stops one real dependency (a private redis-server, the broker's redis-server, an
SMTP server behind a proxy that stops listening), walks through the common requests while
it is away, then gives it back and measures how soon service is whole again by itself.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.resilience.journey import (
    VOTING,
    Walk,
    deliver_pending,
    mails_to,
    registered,
    time_until,
    votes_of,
)
from tests.support import PASSWORD, WorkerProcess, pending_deliveries, post_form, wait_for


def _messages(logs, text: str) -> int:
    return sum(text in record.getMessage() for record in logs.records)


def test_pages_login_registration_and_votes_go_on_while_the_cache_and_limit_redis_is_stopped(
    app,
    committed_db,
    build_site,
    redis_server,
    make_user,
    make_dialogue,
    make_proposal,
    mailbox,
    settings,
    logs,
    figure,
):
    resident, other = make_user(), make_user()
    dialogue = make_dialogue("cache-borta", phases=VOTING)
    first, second, third = (make_proposal(dialogue, title=f"Förslag {n}") for n in range(3))
    # One REDIS_URL, as the README describes, for the page cache and the rate limits; the
    # broker is the suite's, so only the cache and limit store goes away.
    site = build_site(
        REDIS_URL=redis_server.url,
        CELERY_BROKER_URL=app.config["CELERY_BROKER_URL"],
        ANONYMOUS_PAGE_CACHE_SECONDS=5,
    )
    store = redis_server.client()
    walk = {"slug": "cache-borta", "resident_email": resident.email}

    before = Walk(site, proposal_id=first.id, **walk).run()
    assert before.all_as_usual, before.failures()
    assert store.keys("dialog:page:*") and store.keys("LIMITS:*")  # both were on this Redis

    redis_server.stop()
    during = Walk(site, proposal_id=second.id, **walk).run()
    assert during.all_as_usual, during.failures()
    assert registered(app, during.new_email) and votes_of(app, resident.email) == 2
    # Failed logins are still limited, counted in this process.
    guesses = [
        post_form(
            site.test_client(), "/login", {"email": other.email, "password": "fel"}
        ).status_code
        for _ in range(6)
    ]
    assert guesses == [200] * 5 + [429]
    # Said once each, not once a request.
    assert _messages(logs, "page cache unreachable") == 1
    assert _messages(logs, "rate-limit store unreachable") == 1
    assert _messages(logs, "falling back to in-memory storage") == 1

    redis_server.start()

    def back_on_redis() -> bool:
        client = site.test_client()
        client.get("/d/cache-borta/proposals?sort=newest")  # anonymous: the page cache
        client.get("/api/v1/dialogues")  # a decorated limit
        post_form(client, "/login", {"email": resident.email, "password": PASSWORD})
        keys = [key.decode() for key in store.keys("*")]
        return (
            any(key.startswith("dialog:page:") for key in keys)
            and any("login-attempts" in key for key in keys)
            and any("api" in key for key in keys)
        )

    recovered_after = time_until(back_on_redis)
    after = Walk(site, proposal_id=third.id, **walk).run()
    assert after.all_as_usual, after.failures()

    mailbox.deliver()  # the suite's broker has no worker: run what is pending in-process
    folder = Path(settings["MAIL_DIR"])
    sent = [mails_to(folder, w.new_email) for w in (before, during, after)]
    assert sent == [1, 1, 1]
    figure(
        f"cache/limit Redis stopped: {during.summary()}; back {recovered_after:.1f} s after it "
        f"returned; confirmation mails lost {sent.count(0)}, doubled {sum(sent) - 3}"
    )


def test_writes_and_logins_go_on_while_the_broker_is_stopped_and_no_mail_is_lost(
    app,
    committed_db,
    build_site,
    redis_server,
    make_user,
    make_dialogue,
    make_proposal,
    settings,
    tmp_path,
    figure,
):
    resident = make_user()
    dialogue = make_dialogue("broker-borta", phases=VOTING)
    first, second, third = (make_proposal(dialogue, title=f"Förslag {n}") for n in range(3))
    site = build_site(CELERY_BROKER_URL=redis_server.url)
    folder = Path(settings["MAIL_DIR"])
    walk = {"slug": "broker-borta", "resident_email": resident.email}
    # A real worker with beat (and so the outbox sweeper) on the same broker.
    worker = WorkerProcess(tmp_path / "worker.log", beat=True).start()
    try:
        before = Walk(site, proposal_id=first.id, **walk).run()
        assert before.all_as_usual, before.failures()
        wait_for(lambda: mails_to(folder, before.new_email) == 1, timeout=30)

        redis_server.stop()
        during = Walk(site, proposal_id=second.id, **walk).run()
        assert during.all_as_usual, during.failures()
        assert registered(app, during.new_email) and votes_of(app, resident.email) == 2
        assert pending_deliveries(app) > 0  # kept in the outbox, not published, not lost

        redis_server.start()
        recovered_after = time_until(lambda: pending_deliveries(app) == 0)
        after = Walk(site, proposal_id=third.id, **walk).run()
        assert after.all_as_usual, after.failures()
        wait_for(lambda: mails_to(folder, after.new_email) == 1, timeout=30)
    finally:
        worker.stop()
    sent = [mails_to(folder, w.new_email) for w in (before, during, after)]
    assert sent == [1, 1, 1]
    figure(
        f"broker Redis stopped: {during.summary()}; outbox drained {recovered_after:.1f} s "
        f"after it returned; mails lost {sent.count(0)}, doubled {sum(n - 1 for n in sent if n)}"
    )


def test_mail_waits_in_the_outbox_while_smtp_is_stopped_and_goes_once_it_is_back(
    app,
    committed_db,
    build_site,
    smtp_server,
    proxy,
    make_user,
    make_dialogue,
    make_proposal,
    figure,
):
    controller, inbox = smtp_server
    relay = proxy(controller.port)
    resident = make_user()
    dialogue = make_dialogue("smtp-borta", phases=VOTING)
    proposal = make_proposal(dialogue)
    site = build_site(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=relay.port,
        MAIL_SECURITY="none",
        MAIL_DEFAULT_SENDER="Medborgardialog <dialog@example.org>",
    )

    relay.refuse()
    during = Walk(site, slug="smtp-borta", proposal_id=proposal.id, resident_email=resident.email)
    during.run()
    assert during.all_as_usual, during.failures()
    deliver_pending(site)  # the real task code, as the worker runs it
    assert inbox.messages == [] and pending_deliveries(app) > 0

    relay.resume()
    started = time.monotonic()
    deliver_pending(site)
    recovered_after = time.monotonic() - started
    assert pending_deliveries(app) == 0
    confirmations = len(inbox.to(during.new_email))
    assert confirmations == 1 and len(inbox.to(resident.email)) == 1  # and the reset link
    figure(
        f"SMTP refused: {during.summary()}; mail went on the first attempt after "
        f"({recovered_after:.2f} s); lost 0, doubled {confirmations - 1}"
    )
