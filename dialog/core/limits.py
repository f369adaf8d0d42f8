"""Rate-limit strings from the configuration, for `limiter.limit(...)` in every domain."""

import math
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse_many

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


# Failed logins --------------------------------------------------------------------------
# Only failures count, so knowing an address is not enough to keep its owner out. The strict
# limit is per (account, client address): one attacker locks out only themself. A looser
# limit per account over every address slows guessing from many machines; the owner is
# then told to wait a minute or to use a reset link, never locked out for long.


def _login_failure_limits(email: str, ip: str):
    config = current_app.config
    per_pair = config["RATELIMIT_LOGIN_PER_ACCOUNT"]
    any_ip = config["RATELIMIT_LOGIN_FAILURES_PER_ACCOUNT"]
    return [
        ("too_many_failures", item, ("login-failures", email, ip)) for item in parse_many(per_pair)
    ] + [
        ("account_under_attack", item, ("login-failures-any-ip", email))
        for item in parse_many(any_ip)
    ]


def login_refusal(email: str, ip: str) -> tuple[str, int] | None:
    """Why a login attempt is not tried now (a reason code) and the seconds until it may
    be, or None.

    Every attempt from a client address counts toward the per-address limit; only failures
    count toward the per-account ones."""
    if not limiter.enabled:
        return None
    strategy = limiter.limiter
    for item in parse_many(logins_per_ip()):
        if not strategy.hit(item, "login-attempts", ip):
            return "too_many_attempts", _seconds_left(item, ("login-attempts", ip))
    for reason, item, key in _login_failure_limits(email, ip):
        if strategy.test(item, *key):
            continue
        if reason == "account_under_attack" and _slow_lane_open(email, ip):
            continue
        return reason, _seconds_left(item, key)
    return None


# While an account is guessed at from many addresses, each address still gets one try a
# minute: the owner, with the right password, is slowed but never locked out.
SLOW_LANE = "1 per minute"


def _slow_lane_open(email: str, ip: str) -> bool:
    [item] = parse_many(SLOW_LANE)
    return limiter.limiter.hit(item, "login-slow-lane", email, ip)


def _seconds_left(item, key) -> int:
    reset_at = limiter.limiter.get_window_stats(item, *key).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def count_login_failure(email: str, ip: str) -> None:
    if not limiter.enabled:
        return
    for _reason, item, key in _login_failure_limits(email, ip):
        limiter.limiter.hit(item, *key)
