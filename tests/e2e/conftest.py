"""Browser fixtures: a live server, a real worker, Debian's Chromium through Playwright."""

from __future__ import annotations

import threading
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.support import WorkerProcess, wait_for

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


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def live_server(app, settings):
    server = make_server("127.0.0.1", int(settings["LIVE_SERVER_PORT"]), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield settings["PUBLIC_URL"]
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def worker(app, tmp_path_factory):
    app.extensions["celery"].control.purge()
    process = WorkerProcess(tmp_path_factory.mktemp("e2e-worker") / "worker.log", beat=True)
    yield process.start()
    process.stop()


@pytest.fixture(scope="session")
def browser():
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(browser, live_server, committed_db):
    context = browser.new_context(base_url=live_server, locale="sv-SE")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page_without_js(browser, live_server, committed_db):
    context = browser.new_context(base_url=live_server, locale="sv-SE", java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


_axe = Axe()


def assert_accessible(page) -> None:
    """Fail on any WCAG 2.1 A/AA violation axe-core finds on the page as it is now."""
    page.wait_for_load_state()
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations = results.response["violations"]
    report = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in violations
    ]
    assert report == [], f"{page.url}:\n" + "\n".join(report)


def wait_for_mail(settings, to: str, timeout: float = 30):
    folder = Path(settings["MAIL_DIR"])

    def find():
        found = None
        for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == to:
                found = message
        return found

    return wait_for(find, timeout=timeout)
