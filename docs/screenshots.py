"""Screenshots of the main pages for the README, at a phone's and a desktop's width.

    .venv/bin/python docs/screenshots.py [--out docs/screenshots]

Builds the demo in a temporary SQLite instance, serves it on loopback and photographs
each page with Debian's Chromium (the browser the tests use), logged in as the person
who would see it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
from pathlib import Path

WIDTHS = {"phone": 375, "desktop": 1280}
# (file name, who is logged in, path)
PAGES = [
    ("start", None, "/"),
    ("dialogue", None, "/d/framtidens-stadskarna"),
    ("proposals", None, "/d/framtidens-stadskarna/proposals"),
    ("proposal", "resident@example.org", "/d/framtidens-stadskarna/proposals?sort=newest"),
    ("make-proposal", "resident@example.org", "/d/framtidens-stadskarna/proposals/new"),
    ("answered", None, "/d/trygga-strak-hovsjo/proposals"),
    ("what-we-heard", None, "/d/trygga-strak-hovsjo/what-we-heard"),
    ("moderation", "planner@example.org", "/moderation/"),
    ("admin-dialogues", "admin@example.org", "/admin/dialogues"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "screenshots"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as instance:
        base = _serve(instance)
        _photograph(base, out)


def _serve(instance: str) -> str:
    from werkzeug.serving import make_server

    os.environ.update(
        DIALOG_CONFIG="development",
        INSTANCE_PATH=instance,
        DATABASE_URL=f"sqlite:///{instance}/demo.sqlite",
        REQUIRE_STAFF_2FA="false",
        RATELIMIT_ENABLED="false",
    )
    os.environ.pop("REDIS_URL", None)
    from flask_migrate import upgrade

    from dialog import create_app
    from dialog.demo import services as demo
    from dialog.extensions import db

    app = create_app()
    with app.app_context():
        upgrade()
        demo.seed()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def _photograph(base: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"]
        )
        for who in {person for _, person, _ in PAGES}:
            for screen, width in WIDTHS.items():
                context = browser.new_context(
                    base_url=base, locale="sv-SE", viewport={"width": width, "height": 900}
                )
                page = context.new_page()
                if who:
                    _log_in(page, who)
                for name, person, path in PAGES:
                    if person != who:
                        continue
                    page.goto(path)
                    if name == "proposal":  # the newest proposal, from the list
                        page.locator(".proposal-card a").first.click()
                    _keep(page.screenshot(full_page=True), out / f"{name}-{screen}.png")
                context.close()
        browser.close()


# Long pages are cut after this many pixels; 256 colours keep the files small.
TALLEST = 3000


def _keep(png: bytes, path: Path) -> None:
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.crop((0, 0, image.width, min(image.height, TALLEST)))
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def _log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill("demo-password")
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()


if __name__ == "__main__":
    main()
