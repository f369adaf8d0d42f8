"""Medborgardialog: a co-creation citizen-dialogue platform."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import config as config_module
from dialog import logs

# The domains, each a package with `init_app(app)`, set up in this order: core first (it
# binds the database and the <int:...> converter the others rely on), districts before
# accounts (a profile names one), demo last (it uses all).
DOMAINS = (
    "core",
    "districts",
    "accounts",
    "dialogues",
    "proposals",
    "moderation",
    "notifications",
    "reports",
    "pages",
    "audit",
    "api",
    "demo",
)


def create_app(config_name: str | None = None, **overrides) -> Flask:
    # Unsafe settings end the process in one line each, whoever starts it (flask, gunicorn,
    # celery): each would print a traceback for an exception.
    with config_module.exit_on_refusal():
        settings = config_module.load(config_name)
    app = Flask(
        __name__,
        instance_path=settings.INSTANCE_PATH,
        template_folder=str(config_module.DATA_DIR / "templates"),
        static_folder=str(config_module.DATA_DIR / "static"),
    )
    app.config.from_object(settings)
    app.config["CONFIG_NAME"] = settings.name
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logs.init_app(app)  # first: every later line and request hook has the format and the id
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1)

    _init_extensions(app)
    for name in DOMAINS:
        import_module(f"{__name__}.{name}").init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    # Core binds the database, migrations and translations: they need its hooks (SQLite
    # pragmas, the autogenerate filter, the locale selector).
    from dialog.celery import celery_init_app
    from dialog.extensions import cache, csrf, limiter, login_manager

    csrf.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)
    login_manager.init_app(app)
    celery_init_app(app)
