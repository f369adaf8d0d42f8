"""Shared fixtures: the app on a migrated database, isolation, clients, users, mail.

In-process tests run inside one outer transaction that is rolled back; the app's
commits become savepoints. Tests whose data lives in another process or thread (a
worker, the live server) use `committed_db`, which empties the tables afterwards.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests import factories, support
from tests.support import PASSWORD


def _fresh_postgres_database(url: str) -> str:
    """A database of our own beside the one named, so the suite never clobbers it."""
    base = make_url(url)
    # One database per test session: parallel runs on one server never meet.
    name = f"{base.database}_pytest_{os.getpid()}"
    admin = sa.create_engine(
        base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return base.set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )


def _drop_database(url: str) -> None:
    from dialog.extensions import db

    for engine in list(getattr(db, "_app_engines", {}).values()):
        for bound in engine.values():
            bound.dispose()
    target = make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def settings(tmp_path_factory, request) -> dict[str, str]:
    """The environment every process of the suite shares (app, worker, live server)."""
    instance = tmp_path_factory.mktemp("instance")
    port = support.free_port()
    env = {
        "DIALOG_CONFIG": "testing",
        "INSTANCE_PATH": str(instance),
        "MAIL_DIR": str(instance / "mail"),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LIVE_SERVER_PORT": str(port),
        "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
    }
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = _fresh_postgres_database(os.environ["DATABASE_URL"])
        request.addfinalizer(lambda: _drop_database(env["DATABASE_URL"]))
    else:
        env["DATABASE_URL"] = f"sqlite:///{instance / 'test.sqlite'}"
    for name in ("MAIL_SERVER", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ.update(env)
    return env


@pytest.fixture(scope="session")
def app(settings):
    from flask_migrate import upgrade

    from dialog import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def db(app):
    """One rolled-back transaction per test; the app's commits become savepoints."""
    from dialog.extensions import db as database

    with app.app_context():
        engine = database.engine
        connection = engine.connect()
        transaction = connection.begin()
        engines = database._app_engines[app]
        engines[None] = connection
        database.session.remove()
        factory_options = dict(database.session.session_factory.kw)
        database.session.configure(join_transaction_mode="create_savepoint")
    _reset_rate_limits(app)
    try:
        yield database
    finally:
        with app.app_context():
            database.session.remove()
            database.session.session_factory.kw.clear()
            database.session.session_factory.kw.update(factory_options)
        engines[None] = engine
        transaction.rollback()
        connection.close()


@pytest.fixture
def committed_db(app):
    """For tests whose data another process or thread must see: empty tables afterwards."""
    from dialog.extensions import db as database

    _reset_rate_limits(app)
    yield database
    with app.app_context():
        database.session.remove()
        support.empty_all_tables(database)


@pytest.fixture(autouse=True)
def _close_connections_of_extra_apps():
    """Apps a test builds for itself (a broken broker, extra routes) have engines of their
    own; their pooled connections are closed when the test ends, not left to the garbage
    collector (a ResourceWarning in whichever test happens to run then)."""
    from dialog.extensions import db as database

    before = set(database._app_engines.keys())
    yield
    for other in set(database._app_engines.keys()) - before:
        for engine in database._app_engines[other].values():
            if isinstance(engine, sa.engine.Engine):
                engine.dispose()


def _reset_rate_limits(app) -> None:
    from dialog.extensions import limiter

    with app.app_context():
        limiter.reset()


@pytest.fixture
def ctx(app, db):
    """An application context for calling services directly."""
    with app.app_context():
        yield


@pytest.fixture
def client(app, db):
    return app.test_client()


def _isolated(request) -> None:
    """Builders write through `db` (rolled back) unless the test uses `committed_db`."""
    if "committed_db" not in request.fixturenames:
        request.getfixturevalue("db")


@pytest.fixture
def _factories(app, request):
    _isolated(request)
    return factories.Factories(app)


@pytest.fixture
def make_user(app, request):
    """make_user(role="resident", verified=True, **fields): a committed, detached user."""
    _isolated(request)
    return factories.UserFactory(app)


@pytest.fixture
def make_dialogue(_factories):
    """make_dialogue(slug="stadskarna", phases=(), **fields): published and public."""
    return _factories.make_dialogue


@pytest.fixture
def make_phase(_factories):
    """make_phase(dialogue, kind, start, end=None, **plan_fields): one more phase."""
    return _factories.make_phase


@pytest.fixture
def make_proposal(_factories):
    """make_proposal(dialogue, author=None, **fields): a published proposal."""
    return _factories.make_proposal


@pytest.fixture
def make_comment(_factories):
    """make_comment(proposal, author, body="Bra idé", stance=..., parent=None)."""
    return _factories.make_comment


@pytest.fixture
def cast_vote(_factories):
    """cast_vote(proposal, voter, value=VoteValue.for_): a vote through the service."""
    return _factories.cast_vote


@pytest.fixture
def make_answer(_factories):
    """make_answer(proposal, by, status=accepted, body="Ja", publish=True)."""
    return _factories.make_answer


@pytest.fixture
def resident(make_user):
    return make_user(role="resident")


@pytest.fixture
def planner(make_user):
    return make_user(role="planner")


@pytest.fixture
def admin(make_user):
    return make_user(role="admin")


@pytest.fixture
def login(client):
    def log_in(user, password: str = PASSWORD):
        return support.log_in(client, user.email, password)

    return log_in


@pytest.fixture
def mailbox(app, settings):
    return support.Mailbox(app, Path(settings["MAIL_DIR"]))


@pytest.fixture
def count_queries(app):
    return support.QueryCounter(app)


@pytest.fixture
def resident_client(client, resident, login):
    """A client logged in as a verified resident."""
    login(resident)
    return client
