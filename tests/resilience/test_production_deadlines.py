"""The figures at the deadlines production runs with: gunicorn from gunicorn.conf.py, the
production config and none of the deadlines set, so every one is its default. A hung
database or Redis costs a request its deadlines and a 503 (or, for Redis, nothing but
the wait), never the gunicorn worker: none is killed for its timeout, none replaced.

PostgreSQL and Redis only: both hang behind a TCP proxy that stops forwarding.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

import config
from tests.factories import LIVE
from tests.support import PRODUCTION, ROOT, free_port, wait_for

pytestmark = pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
    reason="the PostgreSQL + Redis pass: both hang behind a proxy",
)

WORKERS = 2


def _get(base: str, path: str) -> tuple[int, float]:
    """The status of GET `path`, and the seconds it took."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(base + path, timeout=120) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


@pytest.fixture
def defaults() -> tuple[config.Config, config.WebServerConfig]:
    """The deadlines of an environment that sets none of them."""
    env = {name: os.environ.pop(name) for name in list(os.environ) if name.endswith("TIMEOUT")}
    try:
        yield config.ProductionConfig(), config.WebServerConfig()
    finally:
        os.environ.update(env)


@pytest.fixture
def gunicorn(settings, redis_server, proxy, tmp_path):
    """gunicorn as the systemd unit starts it, its database and Redis behind proxies."""
    database = proxy(make_url(settings["DATABASE_URL"]).port or 5432)
    redis = proxy(redis_server.port)
    port = free_port()
    url = make_url(settings["DATABASE_URL"]).set(host="127.0.0.1", port=database.port)
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env |= PRODUCTION | {
        "DIALOG_CONFIG": "production",
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_SECURITY": "none",
        "INSTANCE_PATH": str(tmp_path / "state"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(WORKERS),
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [Path(sys.executable).parent / "gunicorn", "--config", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(base, server, log), timeout=30)
        yield base, database, redis, log
    finally:
        server.terminate()
        server.wait(timeout=60)


def _answers(base: str, server: subprocess.Popen, log: Path) -> bool:
    assert server.poll() is None, log.read_text()
    try:
        return _get(base, "/robots.txt")[0] == 200
    except urllib.error.URLError:
        return False


def _no_worker_lost(log: Path) -> None:
    text = log.read_text()
    assert "WORKER TIMEOUT" not in text and "Worker exiting" not in text, text
    assert text.count("Booting worker") == WORKERS, text


def test_a_hung_database_costs_a_request_its_deadlines_and_never_a_worker(
    committed_db, make_dialogue, gunicorn, defaults, figure
):
    app_settings, server_settings = defaults
    make_dialogue("produktion", phases=LIVE)
    base, database, _redis, log = gunicorn
    assert _get(base, "/d/produktion")[0] == 200

    database.hang()
    page, page_took = _get(base, "/d/produktion")
    api, api_took = _get(base, "/api/v1/dialogues")
    health, health_took = _get(base, "/healthz")
    robots, robots_took = _get(base, "/robots.txt")
    database.resume()
    started = time.monotonic()
    wait_for(lambda: _get(base, "/d/produktion")[0] == 200, timeout=60)
    recovered = time.monotonic() - started

    longest = (
        2 * app_settings.DATABASE_CONNECT_TIMEOUT
        + app_settings.DATABASE_STATEMENT_TIMEOUT
        + config.ANSWER_MARGIN
    )
    assert (page, api, health, robots) == (503, 503, 503, 200)
    assert max(page_took, api_took) <= longest + 1 < server_settings.GUNICORN_TIMEOUT
    assert health_took < app_settings.HEALTH_CHECK_TIMEOUT + 1 and robots_took < 1
    _no_worker_lost(log)
    figure(
        f"database hung, production deadlines (connect {app_settings.DATABASE_CONNECT_TIMEOUT} s, "
        f"statement {app_settings.DATABASE_STATEMENT_TIMEOUT:g} s, gunicorn "
        f"{server_settings.GUNICORN_TIMEOUT} s): a page 503 in {page_took:.1f} s, the API 503 "
        f"in {api_took:.1f} s, /healthz 503 in {health_took:.1f} s, robots.txt 200 in "
        f"{robots_took:.2f} s; pages back {recovered:.1f} s after it answered; 0 workers lost"
    )


def test_a_hung_redis_costs_a_page_its_socket_timeouts_and_never_a_worker(
    committed_db, make_dialogue, gunicorn, defaults, figure
):
    app_settings, _server_settings = defaults
    make_dialogue("produktion-redis", phases=LIVE)
    base, _database, redis, log = gunicorn
    assert _get(base, "/d/produktion-redis/proposals")[0] == 200

    redis.hang()
    # Each gunicorn worker finds the hang for itself; then it backs off from Redis.
    pages = [_get(base, "/d/produktion-redis/proposals") for _ in range(2 * WORKERS)]
    health, health_took = _get(base, "/healthz")
    redis.resume()
    started = time.monotonic()
    wait_for(lambda: _get(base, "/healthz")[0] == 200, timeout=60)
    recovered = time.monotonic() - started

    assert [status for status, _ in pages] == [200] * len(pages) and health == 503
    slowest = max(took for _, took in pages)
    assert slowest < 4 * app_settings.REDIS_SOCKET_TIMEOUT + 1
    assert health_took < app_settings.HEALTH_CHECK_TIMEOUT + 1
    _no_worker_lost(log)
    figure(
        f"Redis hung, production deadlines (socket {app_settings.REDIS_SOCKET_TIMEOUT:g} s): "
        f"{len(pages)} proposal lists 200, slowest {slowest:.1f} s, then "
        f"{min(took for _, took in pages):.2f} s; /healthz 503 "
        f"in {health_took:.1f} s; healthy {recovered:.1f} s after Redis answered; 0 workers lost"
    )
