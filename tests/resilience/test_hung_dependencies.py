"""A dependency that hangs (accepts, then never answers) costs a request a few seconds at
most, and a clear 503 only where nothing can stand in for it; the app recovers by itself.

The hangs are real: a TCP proxy in front of the real server stops forwarding. The apps
built here use deadlines of half a second to two (FAST_DEADLINES in conftest.py).
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.factories import LIVE
from tests.resilience.journey import (
    BOUND_SECONDS,
    VOTING,
    Walk,
    deliver_pending,
    mails_to,
    registered,
    time_until,
    votes_of,
)
from tests.support import (
    csrf_token,
    log_in,
    pending_deliveries,
    post_form,
    run_task,
    tasks_waiting,
)

needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"), reason="the database hangs through a proxy: PostgreSQL"
)
needs_sqlite = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="SQLite's write lock: the embedded database"
)


def _timed(request):
    started = time.monotonic()
    response = request()
    return response, time.monotonic() - started


def test_a_hung_cache_and_limit_redis_costs_a_request_at_most_its_socket_timeout(
    app,
    committed_db,
    build_site,
    redis_server,
    proxy,
    make_user,
    make_dialogue,
    make_proposal,
    logs,
    figure,
):
    resident = make_user()
    dialogue = make_dialogue("cache-hänger", phases=VOTING)
    first, second, third = (make_proposal(dialogue, title=f"Förslag {n}") for n in range(3))
    relay = proxy(redis_server.port)
    site = build_site(
        REDIS_URL=f"redis://127.0.0.1:{relay.port}/0",
        CELERY_BROKER_URL=app.config["CELERY_BROKER_URL"],
        ANONYMOUS_PAGE_CACHE_SECONDS=5,
    )
    store = redis_server.client()  # beside the proxy: what really reached Redis
    walk = {"slug": "cache-hänger", "resident_email": resident.email}
    assert Walk(site, proposal_id=first.id, **walk).run().all_as_usual
    assert store.keys("dialog:page:*")

    relay.hang()
    during = Walk(site, proposal_id=second.id, **walk).run()
    assert during.all_as_usual, during.failures()
    assert registered(app, during.new_email) and votes_of(app, resident.email) == 2

    store.flushall()
    relay.resume()

    def back_on_redis() -> bool:
        client = site.test_client()
        client.get("/d/cache-hänger/proposals?sort=newest")
        client.get("/api/v1/dialogues")
        keys = [key.decode() for key in store.keys("*")]
        return any(key.startswith("dialog:page:") for key in keys) and any(
            "api" in key for key in keys
        )

    recovered_after = time_until(back_on_redis)
    after = Walk(site, proposal_id=third.id, **walk).run()
    assert after.all_as_usual, after.failures()
    figure(
        f"cache/limit Redis hung: {during.summary()}; back {recovered_after:.1f} s after it "
        "answered again"
    )


def test_a_hung_broker_costs_a_write_at_most_the_publish_timeout_and_loses_nothing(
    app,
    committed_db,
    build_site,
    redis_server,
    proxy,
    make_user,
    make_dialogue,
    make_proposal,
    figure,
):
    resident = make_user()
    dialogue = make_dialogue("broker-hänger", phases=VOTING)
    first, second, third = (make_proposal(dialogue, title=f"Förslag {n}") for n in range(3))
    relay = proxy(redis_server.port)
    site = build_site(CELERY_BROKER_URL=f"redis://127.0.0.1:{relay.port}/0")
    queue = redis_server.client()
    walk = {"slug": "broker-hänger", "resident_email": resident.email}
    assert Walk(site, proposal_id=first.id, **walk).run().all_as_usual
    deliver_pending(site)  # what the first round published is done: only new ones count
    queue.flushall()

    relay.hang()
    during = Walk(site, proposal_id=second.id, **walk).run()
    assert during.all_as_usual, during.failures()
    assert tasks_waiting(queue) == 0
    held_back = pending_deliveries(app)
    assert held_back > 0

    relay.resume()

    def swept() -> bool:
        run_task(site, "core.sweep_outbox")  # what beat runs every OUTBOX_SWEEP_INTERVAL
        return tasks_waiting(queue) >= held_back

    swept_after = time_until(swept)
    assert tasks_waiting(queue) == held_back  # every held-back delivery, once
    after = Walk(site, proposal_id=third.id, **walk).run()
    assert after.all_as_usual, after.failures()
    figure(
        f"broker Redis hung: {during.summary()}; {held_back} deliveries kept, all published "
        f"{swept_after:.1f} s after it answered (when their retry time came)"
    )


def test_a_hung_smtp_server_costs_a_delivery_attempt_its_timeout_and_the_mail_goes_later(
    app, committed_db, build_site, smtp_server, proxy, make_user, figure
):
    controller, inbox = smtp_server
    relay = proxy(controller.port)
    user = make_user()
    site = build_site(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=relay.port,
        MAIL_SECURITY="none",
        MAIL_DEFAULT_SENDER="Medborgardialog <dialog@example.org>",
    )
    client = site.test_client()
    relay.hang()  # accepts, and never sends its greeting
    response = post_form(client, "/password/forgot", {"email": user.email})
    assert response.status_code == 200
    attempt_took = _timed(lambda: deliver_pending(site))[1]
    assert attempt_took < BOUND_SECONDS and inbox.messages == [] and pending_deliveries(app) == 1

    relay.resume()
    deliver_pending(site)
    assert len(inbox.to(user.email)) == 1 and pending_deliveries(app) == 0
    figure(
        f"SMTP hung: a delivery attempt gave up after {attempt_took:.2f} s (MAIL_TIMEOUT 0.5); "
        "sent once on the next attempt after it answered"
    )


@needs_postgres
def test_a_hung_database_answers_503_within_seconds_and_robots_txt_needs_it_not(
    app, committed_db, build_site, proxy, make_user, make_dialogue, settings, figure
):
    resident = make_user()
    make_dialogue("databas-hänger")
    url = make_url(settings["DATABASE_URL"])
    relay = proxy(url.port or 5432)
    site = build_site(
        DATABASE_URL=url.set(host="127.0.0.1", port=relay.port).render_as_string(False)
    )
    visitor, member = site.test_client(), site.test_client()
    assert log_in(member, resident.email).status_code == 302
    assert visitor.get("/").status_code == 200
    token = csrf_token(member, "/profile")

    relay.hang()
    page, page_took = _timed(lambda: member.get("/?lang=en"))
    assert page.status_code == 503 and page_took < BOUND_SECONDS
    assert "The service is temporarily unavailable" in page.get_data(as_text=True)
    assert page.headers["Retry-After"] == "60"
    api, api_took = _timed(lambda: visitor.get("/api/v1/dialogues"))
    assert api.status_code == 503 and api_took < BOUND_SECONDS
    assert api.get_json()["error"]["status"] == 503 and api.get_json()["error"]["reason"]
    write, write_took = _timed(
        lambda: member.post("/profile", data={"csrf_token": token, "display_name": "Ny"})
    )
    assert write.status_code == 503 and write_took < BOUND_SECONDS
    for client in (visitor, member):
        robots, robots_took = _timed(lambda c=client: c.get("/robots.txt"))
        assert robots.status_code == 200 and robots_took < 0.5

    relay.resume()
    recovered_after = time_until(lambda: member.get("/").status_code == 200, timeout=30)
    assert "Log out" in member.get("/?lang=en").get_data(as_text=True)  # still logged in
    figure(
        f"database hung: pages 503 in {page_took:.2f} s, the API 503 in {api_took:.2f} s, "
        f"robots.txt 200 at once; pages back {recovered_after:.1f} s after it answered"
    )


@needs_postgres
def test_a_statement_past_the_web_deadline_answers_503_and_work_outside_requests_waits_longer(
    app, committed_db, build_site, make_dialogue, settings, figure
):
    make_dialogue("låst")
    site = build_site(DATABASE_STATEMENT_TIMEOUT="0.5", DATABASE_WORKER_STATEMENT_TIMEOUT="30")
    locker = sa.create_engine(make_url(settings["DATABASE_URL"]))
    try:
        with locker.connect() as holder:
            holder.exec_driver_sql("LOCK TABLE dialogue IN ACCESS EXCLUSIVE MODE")
            page, took = _timed(lambda: site.test_client().get("/d/låst"))
            api, _ = _timed(lambda: site.test_client().get("/api/v1/dialogues"))
            holder.rollback()
    finally:
        locker.dispose()
    assert page.status_code == 503 and took < BOUND_SECONDS
    assert api.status_code == 503 and api.is_json
    assert site.test_client().get("/d/låst").status_code == 200
    from dialog.extensions import db

    with site.app_context():
        assert db.session.scalar(sa.text("SHOW statement_timeout")) == "30s"
        db.session.rollback()
    figure(f"statement past DATABASE_STATEMENT_TIMEOUT (0.5 s): 503 after {took:.2f} s")


@needs_sqlite
def test_a_write_waiting_past_sqlites_busy_timeout_answers_503_and_pages_still_read(
    app, committed_db, build_site, make_user, make_dialogue, make_proposal, settings, figure
):
    resident = make_user()
    dialogue = make_dialogue("låst", phases=VOTING)
    proposal = make_proposal(dialogue)
    site = build_site(SQLITE_BUSY_TIMEOUT_MS="300")
    member = site.test_client()
    assert log_in(member, resident.email).status_code == 302
    path = make_url(settings["DATABASE_URL"]).database
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process's long write, say
        page = member.get(f"/p/{proposal.id}")
        token = csrf_token(member, f"/p/{proposal.id}")
        vote, took = _timed(
            lambda: member.post(
                f"/p/{proposal.id}/vote", data={"csrf_token": token, "value": "for"}
            )
        )
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    assert page.status_code == 200  # readers do not wait for the write lock
    assert vote.status_code == 503 and took < BOUND_SECONDS
    vote_again = post_form(
        member, f"/p/{proposal.id}/vote", {"value": "for"}, form_path=f"/p/{proposal.id}"
    )
    assert vote_again.status_code == 302 and votes_of(app, resident.email) == 1
    figure(f"SQLite write lock held: a vote answered 503 after {took:.2f} s (busy timeout 0.3 s)")


@needs_sqlite
def test_a_logged_in_page_skips_the_session_touch_while_sqlites_write_lock_is_held(
    app, committed_db, build_site, make_user, settings
):
    resident = make_user()
    site = build_site(SQLITE_BUSY_TIMEOUT_MS="300", SESSION_TOUCH_SECONDS="0")
    member = site.test_client()
    assert log_in(member, resident.email).status_code == 302
    seen_at_login = _last_seen(app, resident.id)
    holder = sqlite3.connect(make_url(settings["DATABASE_URL"]).database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process's long write, say
        page, took = _timed(lambda: member.get("/profile"))
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    assert page.status_code == 200 and resident.email in page.get_data(as_text=True)
    assert took < 3  # the busy timeout (0.3 s) once, not a 503 or a retry's second wait
    assert _last_seen(app, resident.id) == seen_at_login  # the touch waits for later
    assert member.get("/profile").status_code == 200
    assert _last_seen(app, resident.id) > seen_at_login  # and the next request makes it


def _last_seen(app, user_id: int):
    from dialog.accounts.models import UserSession
    from dialog.extensions import db

    with app.app_context():
        return db.session.scalar(
            sa.select(UserSession.last_seen_at).where(UserSession.user_id == user_id)
        )


def test_inviting_forty_with_a_hung_broker_costs_one_publish_timeout_and_every_mail_goes_later(
    app,
    committed_db,
    build_site,
    redis_server,
    proxy,
    make_user,
    make_dialogue,
    settings,
    logs,
    figure,
):
    from dialog.accounts.models import User
    from dialog.dialogues import services as dialogue_services
    from dialog.dialogues.models import Dialogue, Visibility
    from dialog.extensions import db

    dialogue = make_dialogue("inbjudna", visibility=Visibility.invited, phases=LIVE)
    planner = make_user(role="planner")
    with app.app_context():
        dialogue_services.assign_planner(
            db.session.get(Dialogue, dialogue.id), db.session.get(User, planner.id), by=None
        )
        db.session.commit()
    relay = proxy(redis_server.port)
    site = build_site(CELERY_BROKER_URL=f"redis://127.0.0.1:{relay.port}/0")
    client = site.test_client()
    assert log_in(client, planner.email).status_code == 302
    token = csrf_token(client, "/d/inbjudna/invitations")
    addresses = [f"inbjuden{n}@example.org" for n in range(40)]

    relay.hang()
    response, took = _timed(
        lambda: client.post(
            "/d/inbjudna/invitations", data={"csrf_token": token, "emails": "\n".join(addresses)}
        )
    )
    assert response.status_code == 302
    # One publish waits for its timeout (0.5 s); the other 39 are left to the sweeper.
    assert took < BOUND_SECONDS, f"{took:.1f} s"
    said = [r for r in logs.records if "broker unreachable" in r.getMessage()]
    assert len(said) == 1, [r.getMessage() for r in logs.records]
    held_back = pending_deliveries(app)
    assert held_back == 40

    relay.resume()
    queue = redis_server.client()

    def swept() -> bool:
        run_task(site, "core.sweep_outbox")  # once the broker's back-off has passed
        return tasks_waiting(queue) >= held_back

    swept_after = time_until(swept)
    assert tasks_waiting(queue) == held_back
    deliver_pending(site)  # no worker on this broker: run what was published in-process
    folder = Path(settings["MAIL_DIR"])
    assert [mails_to(folder, address) for address in addresses] == [1] * 40
    assert pending_deliveries(app) == 0
    figure(
        f"broker Redis hung: inviting 40 took {took:.1f} s; all 40 published "
        f"{swept_after:.1f} s after it answered"
    )
