import asyncio
import os
import threading
from collections import Counter
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.support import WorkerProcess, free_port


class Inbox:
    """An SMTP server's mailbox; `answers` (e.g. ["421 ...", "250 ..."]) are given to the
    DATA commands in turn, then 250. `on_message(message)` runs for each message taken,
    before its 250 is sent."""

    def __init__(self):
        self.messages = []
        self.answers: list[str] = []
        self.on_message = None

    async def handle_DATA(self, server, session, envelope):
        answer = self.answers.pop(0) if self.answers else "250 OK"
        if answer.startswith("250"):
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            if self.on_message:
                self.on_message(self.messages[-1])
        return answer


@pytest.fixture(scope="module")
def _smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def smtp(app, monkeypatch, _smtp_server):
    """A real SMTP server on loopback the app sends to; its mailbox, empty."""
    inbox, port = _smtp_server
    inbox.messages.clear()
    inbox.answers.clear()
    inbox.on_message = None
    for name, value in {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_SECURITY": "none",
        "MAIL_USERNAME": None,
    }.items():
        monkeypatch.setitem(app.config, name, value)
    return inbox


# A real worker sending to a sink -----------------------------------------------------

BATCH = 4
CLAIM_SECONDS = 3


class Sink:
    """An SMTP server's store of accepted messages. `answers` ("421 ...") go to the next
    DATA commands in turn, then 250. `hold_at`: the message of that number, once taken
    in, waits for its 250 until `release` is set, so a test acts while the exchange is in
    flight; `held_peer` is then the sending socket's (host, port)."""

    def __init__(self):
        self.messages = []
        self.answers: list[str] = []
        self.hold_at: int | None = None
        self.held = threading.Event()
        self.release = threading.Event()
        self.held_peer: tuple[str, int] | None = None

    async def handle_DATA(self, server, session, envelope):
        answer = self.answers.pop(0) if self.answers else "250 OK"
        if not answer.startswith("250"):
            return answer
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        if len(self.messages) == self.hold_at:
            self.held_peer = session.peer
            self.held.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        return answer

    def copies(self) -> Counter:
        """How often each Message-ID arrived."""
        return Counter(message["Message-ID"] for message in self.messages)


@pytest.fixture
def sink():
    store = Sink()
    controller = Controller(store, hostname="127.0.0.1", port=free_port())
    controller.start()
    store.port = controller.port
    yield store
    store.release.set()
    controller.stop()


@pytest.fixture
def workers(app, sink, tmp_path):
    """start() a real prefork worker with beat, sending to the sink; all stopped after."""
    app.extensions["celery"].control.purge()
    started = []
    env = dict(os.environ)
    env |= {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.port), "MAIL_SECURITY": "none"}
    env |= {"MAIL_BATCH": str(BATCH), "MAIL_CLAIM_SECONDS": str(CLAIM_SECONDS)}

    def start(**settings: str) -> WorkerProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        process = WorkerProcess(log, beat=True, env=env | settings, pool_processes=2)
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()
