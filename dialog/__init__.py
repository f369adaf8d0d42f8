"""Medborgardialog: a co-creation citizen-dialogue platform."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import config as config_module


def create_app(config_name: str | None = None, **overrides) -> Flask:
    settings = config_module.load(config_name)
    app = Flask(
        __name__,
        instance_path=settings.INSTANCE_PATH,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_object(settings)
    app.config["CONFIG_NAME"] = settings.name
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from dialog import templating
    from dialog.celery import celery_init_app
    from dialog.core import errors, i18n, security
    from dialog.core.db import configure_sqlite, include_in_autogenerate
    from dialog.extensions import babel, cache, csrf, db, limiter, login_manager, migrate

    _import_models()
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(
        app,
        db,
        directory=str(Path(app.root_path).parent / "migrations"),
        render_as_batch=True,
        include_object=include_in_autogenerate,
        compare_type=True,
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    cache.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    celery_init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)


def _import_models() -> None:
    # Every model must be known to the metadata before migrations or queries run.
    import dialog.accounts.models  # noqa: F401
    import dialog.core.mail  # noqa: F401
    import dialog.core.models  # noqa: F401
    import dialog.core.tasks  # noqa: F401
    import dialog.dialogues.models  # noqa: F401
    import dialog.dialogues.tasks  # noqa: F401
    import dialog.proposals.models  # noqa: F401
    import dialog.proposals.tasks  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from dialog.accounts.views import bp as accounts
    from dialog.api.views import bp as api
    from dialog.core.urls import DatabaseId
    from dialog.core.views import bp as core
    from dialog.dialogues.views import bp as dialogues
    from dialog.proposals.views import bp as proposals

    app.url_map.converters["int"] = DatabaseId
    for blueprint in (core, accounts, dialogues, proposals, api):
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from dialog.cli import register

    register(app)
