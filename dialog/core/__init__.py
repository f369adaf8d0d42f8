"""Cross-cutting parts every domain builds on: the database, translations, errors, mail.

Like every domain's `init_app`, this one imports the package's modules when it runs, not
at the top: importing any `dialog.core.x` runs this file first, and loading the views and
tasks at that moment would import the other domains in a circle.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale

import config


def init_app(app: Flask) -> None:
    # Models, mail and tasks register on import: tables, the email handler, Celery tasks.
    from dialog.core import (  # noqa: F401
        errors,
        health,
        heartbeat,
        i18n,
        mail,
        models,
        security,
        tasks,
        text,
        views,
    )
    from dialog.core.backup import init_app as init_backup
    from dialog.core.branding import Brand
    from dialog.core.urls import DatabaseId
    from dialog.extensions import babel

    _init_database(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    security.init_app(app)
    text.init_app(app)
    errors.init_app(app)
    health.init_app(app)
    heartbeat.init_app(app)
    # Before any blueprint is registered: every domain's <int:...> routes use it.
    app.url_map.converters["int"] = DatabaseId
    app.register_blueprint(views.bp)
    app.extensions["brand"] = Brand.from_config(app.config)
    _add_template_helpers(app)
    init_backup(app)


def _add_template_helpers(app: Flask) -> None:
    from dialog.core.branding import brand_url
    from dialog.core.permissions import moment_format
    from dialog.core.urls import language_url

    app.jinja_env.globals.update(
        format_datetime=format_datetime,
        format_date=format_date,
        format_decimal=format_decimal,
        format_percent=format_percent,
        current_language=lambda: str(get_locale()),
        language_url=language_url,
        brand=lambda: app.extensions["brand"],
        brand_url=brand_url,
        # moment_format(phase.starts_at, phase_moments(dialogue.phases)): see its rule.
        moment_format=moment_format,
    )


def _init_database(app: Flask) -> None:
    from dialog.core.db import configure_postgres, configure_sqlite, include_in_autogenerate
    from dialog.extensions import db, migrate

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
            configure_postgres(engine, app.config)
    migrate.init_app(
        app,
        db,
        directory=str(config.DATA_DIR / "migrations"),
        render_as_batch=True,
        include_object=include_in_autogenerate,
        compare_type=True,
    )
