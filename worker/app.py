"""Celery entry point: `celery -A worker.app worker` and `celery -A worker.app beat`."""

from dialog import create_app
from dialog.core import periodic

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
celery_app.conf.beat_schedule = periodic.beat_schedule(flask_app.config)
