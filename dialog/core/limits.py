"""Rate-limit strings from the configuration, for `limiter.limit(...)` in every domain."""

from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user

from dialog.extensions import limiter

View = TypeVar("View", bound=Callable)

WRITES_MESSAGE = _l("You have sent many changes in a short while. Wait a minute and try again.")


def writes() -> str:
    """Changes one person may make per endpoint (per address when not logged in)."""
    return current_app.config["RATELIMIT_WRITES"]


def writes_per_ip() -> str:
    """Changes from one address in all: looser, as a library or a workshop shares one."""
    return current_app.config["RATELIMIT_WRITES_PER_IP"]


def writer() -> str:
    # The account, not the address: people sharing one address each get their own limit.
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return get_remote_address()


def write_limit(methods: list[str] | None = None) -> Callable[[View], View]:
    """The limits on a view that changes something: per account, and looser per address."""

    def decorate(view: View) -> View:
        view = limiter.shared_limit(
            writes_per_ip,
            scope="writes-per-ip",
            key_func=get_remote_address,
            methods=methods,
            error_message=lambda: str(WRITES_MESSAGE),
        )(view)
        return limiter.limit(
            writes, key_func=writer, methods=methods, error_message=lambda: str(WRITES_MESSAGE)
        )(view)

    return decorate


def logins_per_ip() -> str:
    return current_app.config["RATELIMIT_LOGIN_PER_IP"]


def logins_per_account() -> str:
    return current_app.config["RATELIMIT_LOGIN_PER_ACCOUNT"]
