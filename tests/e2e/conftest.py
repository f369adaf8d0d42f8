"""Browser fixtures: a live server, a real worker, Debian's Chromium through Playwright.

Tests here take `page` (which brings the live server and `committed_db`), never the
`db`/`client` fixtures: those bind the app to a transaction the live server cannot see.
"""

from __future__ import annotations

import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from tests.support import PASSWORD, WorkerProcess, wait_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MAIL_TIMEOUT = 30


def pytest_collection_modifyitems(items):
    """Every test in this folder is an e2e test, including files that forget `pytestmark`."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def live_server(app, settings):
    server = make_server("127.0.0.1", int(settings["LIVE_SERVER_PORT"]), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield settings["PUBLIC_URL"]
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="package")
def worker(app, tmp_path_factory):
    """A real Celery worker with the beat scheduler; it writes the emails to MAIL_DIR.

    It takes `app` so the environment is set and the database migrated before it starts.
    Stopped when the browser tests end: a worker left running would take the tasks, and
    beat's heartbeat, of the tests that start workers of their own.
    """
    process = WorkerProcess(log_path=tmp_path_factory.mktemp("worker") / "worker.log", beat=True)
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def browser():
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()
    playwright.stop()


def _new_page(browser, live_server, **options):
    # Swedish browsers: without a choice the app follows Accept-Language, and Playwright's
    # default (en-US) would make every page English.
    context = browser.new_context(**{"base_url": live_server, "locale": "sv-SE", **options})
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server, committed_db):
    context, page = _new_page(browser, live_server)
    yield page
    context.close()


@pytest.fixture
def page_without_js(browser, live_server, committed_db):
    context, page = _new_page(browser, live_server, java_script_enabled=False)
    yield page
    context.close()


@pytest.fixture
def new_page(browser, live_server, committed_db):
    """More pages in contexts of their own (another browser, another language)."""
    contexts = []

    def make(**options):
        context, page = _new_page(browser, live_server, **options)
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        context.close()


_axe = Axe()


def log_in(page, email: str, password: str = PASSWORD) -> None:
    """Log in through the Swedish login page, as a person does."""
    page.goto("/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("button", name="Logga ut")).to_be_visible()


def assert_accessible(page) -> None:
    """Fail on any WCAG 2.1 A/AA violation axe-core finds on the page as it is now, and
    on an id used twice (WCAG 2.1's 4.1.1, which axe no longer checks: a page with several
    forms must not repeat its CSRF field's id)."""
    page.wait_for_load_state()
    repeated = page.evaluate(
        """() => {
            const seen = {};
            for (const e of document.querySelectorAll("[id]")) seen[e.id] = (seen[e.id] || 0) + 1;
            return Object.keys(seen).filter((id) => seen[id] > 1);
        }"""
    )
    assert repeated == [], f"ids used more than once on {page.url}: {repeated}"
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations = results.response["violations"]
    if not violations:
        return
    lines = [f"{len(violations)} accessibility violation(s) on {page.url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node['html'][:160]}")
    pytest.fail("\n".join(lines), pytrace=False)


def wait_for_mail(settings, to: str, subject: str | None = None) -> EmailMessage:
    """The first .eml in MAIL_DIR addressed to `to` (with `subject`), polled for 30 s."""
    folder = Path(settings["MAIL_DIR"])

    def find():
        if not folder.exists():
            return None
        for path in sorted(folder.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == to and (subject is None or message["Subject"] == subject):
                return message
        return None

    try:
        return wait_for(find, timeout=MAIL_TIMEOUT)
    except AssertionError:
        raise AssertionError(f"no email to {to} ({subject}) within {MAIL_TIMEOUT} s") from None


def wait_for_outbox(app) -> None:
    """Until the worker has marked every outbox event delivered (its last commit)."""
    from sqlalchemy import func, select

    from dialog.core.models import OutboxEvent, OutboxStatus
    from dialog.extensions import db

    def settled():
        with app.app_context():
            pending = db.session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.status == OutboxStatus.pending)
            )
            db.session.remove()
        return pending == 0

    wait_for(settled, timeout=MAIL_TIMEOUT)


def text_body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()
