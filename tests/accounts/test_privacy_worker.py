"""Download all my data, end to end: the request through the view, the job in a real
Celery worker on the configured broker, the link through a real SMTP server (aiosmtpd on
loopback), the download through the view."""

from __future__ import annotations

import json
import os
import re
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from dialog.accounts.models import DataExport
from dialog.core.models import AuditEntry
from tests.support import WorkerProcess, body, free_port, post_form, wait_for

pytestmark = pytest.mark.worker


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def smtp_inbox():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture(scope="module")
def mailing_worker(app, settings, smtp_inbox, tmp_path_factory):
    """A real worker that sends its mail to the SMTP server above."""
    controller, _inbox = smtp_inbox
    env = {
        **os.environ,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(controller.port),
        "MAIL_SECURITY": "none",
        "MAIL_DEFAULT_SENDER": "Södertälje kommun <dialog@sodertalje.se>",
    }
    app.extensions["celery"].control.purge()
    log = tmp_path_factory.mktemp("privacy-worker") / "worker.log"
    process = WorkerProcess(log, env=env).start()
    yield process
    process.stop()


def test_the_worker_builds_the_copy_and_the_link_arrives_by_smtp(
    app, committed_db, make_user, mailing_worker, smtp_inbox
):
    _controller, inbox = smtp_inbox
    person = make_user(email="frida@example.org", display_name="Frida Holm")
    client = app.test_client()
    post_form(client, "/login", {"email": person.email, "password": "correct horse battery staple"})
    response = post_form(client, "/profile/my-data/export", {}, form_path="/profile/my-data")
    assert response.status_code == 302

    message = wait_for(
        lambda: next((m for m in inbox.messages if m["To"] == "frida@example.org"), None),
        timeout=60,
    )
    assert message["Subject"] == "Din kopia av dina uppgifter är klar"
    link = re.search(r"https?://\S+/profile/my-data/download/\S+", body(message)).group(0)
    assert link in message.get_body(("html",)).get_content()

    download = client.get(link.replace(app.config["PUBLIC_URL"], ""))
    assert download.status_code == 200
    document = json.loads(download.get_data())
    assert document["sections"]["user_account"][0]["display_name"] == "Frida Holm"
    with app.app_context():
        export = committed_db.session.scalar(select(DataExport))
        assert export.ready_at is not None and export.downloaded_at is not None
        actions = set(committed_db.session.scalars(select(AuditEntry.action)))
    assert {"data_export_requested", "data_export_ready", "data_export_downloaded"} <= actions
