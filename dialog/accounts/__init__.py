"""Users, roles, sessions, profiles, GDPR export and erasure."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user


def init_app(app: Flask) -> None:
    # Models register their tables on import; privacy_views adds the "My data" routes,
    # my_page_views "My page", tasks the export job and the privacy clean-ups.
    from dialog.accounts import (  # noqa: F401
        cli,
        labels,
        models,
        my_page_views,
        permissions,
        privacy_views,
        tasks,
        views,
    )
    from dialog.extensions import login_manager

    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.create_user_command)
    app.jinja_env.globals.update(
        role_labels=labels.ROLE_LABELS,
        can_manage_roles=lambda: permissions.can_manage_roles(current_user),
    )
