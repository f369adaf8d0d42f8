"""The embedded broker (`sqla+sqlite://`) is our transport: kombu's SQLAlchemy one, asked
for work often while work comes in and seldom when none does."""

from __future__ import annotations

from kombu import Connection, Queue

from dialog.celery import EmbeddedTransport


def test_the_embedded_broker_polls_fast_while_work_comes_in_and_slowly_when_idle(tmp_path):
    with Connection(f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}") as connection:
        transport = connection.transport
        assert isinstance(transport, EmbeddedTransport)  # what a worker's URL resolves to
        assert transport.polling_interval == EmbeddedTransport.IDLE_POLL

        queue = Queue("probe")
        received = []

        def take(body, message):
            received.append(body)
            message.ack()

        with connection.Consumer(queue, callbacks=[take]):
            connection.Producer().publish({"n": 1}, routing_key="probe", declare=[queue])
            connection.drain_events(timeout=5)
        assert received == [{"n": 1}]
        assert transport.polling_interval == EmbeddedTransport.BUSY_POLL

        transport._last_delivery -= EmbeddedTransport.BUSY_FOR  # as if that long had passed
        assert transport.polling_interval == EmbeddedTransport.IDLE_POLL
