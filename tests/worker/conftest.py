import pytest

from tests.support import WorkerProcess


@pytest.fixture(scope="module")
def worker(app, tmp_path_factory):
    """A real Celery worker with the beat scheduler, on the configured broker."""
    app.extensions["celery"].control.purge()
    process = WorkerProcess(tmp_path_factory.mktemp("worker") / "worker.log", beat=True).start()
    yield process
    process.stop()
