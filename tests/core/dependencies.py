"""Real stand-ins for dependencies that fail: a private Redis to stop and start, and a
socket that accepts connections and never answers (a hung database or Redis)."""

from __future__ import annotations

import socket
import subprocess
import threading

import redis

from tests.support import free_port, wait_for


class RedisServer:
    """A redis-server of our own on a free port, stopped and started again on that port."""

    def __init__(self, directory):
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        try:
            wait_for(lambda: self._answers(client), timeout=10, interval=0.05)
        finally:
            client.close()
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    @staticmethod
    def _answers(client) -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            return False


class BlackHole:
    """Accepts every connection and never sends a byte: a dependency that hangs.

    Closing it closes what it accepted, so whatever still waits on it fails then.
    """

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._accept, name="black-hole", daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.closing.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.accepted.append(connection)

    def close(self) -> None:
        self.closing.set()
        self.thread.join()
        self.listener.close()
        for connection in self.accepted:
            connection.close()


def threads_named(prefix: str) -> list[threading.Thread]:
    return [each for each in threading.enumerate() if each.name.startswith(prefix)]


def answered_within(limit: float, call):
    """What `call()` returned, or a failure once it has taken `limit` seconds (the call
    is left to finish in its thread when the hang ends)."""
    done = threading.Event()
    outcome = {}

    def run():
        outcome["result"] = call()
        done.set()

    threading.Thread(target=run, name="timed-request", daemon=True).start()
    assert done.wait(limit), f"no answer within {limit} s"
    return outcome["result"]
