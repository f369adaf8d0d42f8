"""Rate-limit strings from the configuration, for `limiter.limit(...)` in every domain,
and the limits counted by hand (failed logins, mail to one address).

When the limit store (Redis) is unreachable, limits are counted in each process instead:
Flask-Limiter does so for the decorated views (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED), and
`hit` and `test` here for the counts kept by hand. Nobody gets a 500 for it.
"""

import math
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import RateLimiter
from sqlalchemy.exc import SQLAlchemyError

from dialog.core import outages
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
    try:
        if current_user.is_authenticated:
            return f"account:{current_user.id}"
    except SQLAlchemyError:
        # Who is logged in needs the database. Raised here, Flask-Limiter would take it for
        # its own store failing; the view asks again and the error handlers answer.
        pass
    return get_remote_address()


def write_limit(
    methods: list[str] | None = None, *, per: Callable[[], str] | None = None
) -> Callable[[View], View]:
    """The limits on a view that changes something: per account, and looser per address.

    `per` counts by another key instead, and alone: a request that speaks for one person
    without their session (a mail provider's one-click unsubscribe, sent from a handful of
    servers for a great many people) is limited per that person, not per address."""

    def decorate(view: View) -> View:
        if per is not None:
            return limiter.limit(
                writes, key_func=per, methods=methods, error_message=lambda: str(WRITES_MESSAGE)
            )(view)
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
    for item in parse_many(logins_per_ip()):
        if not hit(item, "login-attempts", ip):
            return "too_many_attempts", _seconds_left(item, ("login-attempts", ip))
    for reason, item, key in _login_failure_limits(email, ip):
        if test(item, *key):
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
    return hit(item, "login-slow-lane", email, ip)


def _seconds_left(item, key) -> int:
    reset_at = _counted("get_window_stats", item, *key).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def count_login_failure(email: str, ip: str) -> None:
    if not limiter.enabled:
        return
    for _reason, item, key in _login_failure_limits(email, ip):
        hit(item, *key)


# Limits counted by hand ------------------------------------------------------------------


def hit(item: RateLimitItem, *identifiers: str) -> bool:
    """Count one more against the limit; False when it is used up."""
    return _counted("hit", item, *identifiers)


def test(item: RateLimitItem, *identifiers: str) -> bool:
    """Whether one more would still be within the limit, without counting it."""
    return _counted("test", item, *identifiers)


def _counted(method: str, item: RateLimitItem, *identifiers: str):
    in_store, in_process = _strategies()
    outage = outages.of("rate-limit store", "limits are counted in this process")
    if outage.worth_trying():
        try:
            answer = getattr(in_store, method)(item, *identifiers)
        except limiter.storage.base_exceptions as error:
            outage.failed(error)
        else:
            outage.succeeded()
            return answer
    return getattr(in_process, method)(item, *identifiers)


def _strategies() -> tuple[RateLimiter, RateLimiter]:
    """Flask-Limiter's strategy on its store, and the same counting in this process.

    On the store itself, not `limiter.limiter`: that turns to Flask-Limiter's own fallback
    while it thinks the store is down, and these counts must stay in one place.
    """
    storage = limiter.storage
    kept = current_app.extensions.get("dialog.limits")
    if kept is None or kept[0] is not storage:  # a new store: the app was set up again
        strategy = type(limiter.limiter)
        kept = (storage, strategy(storage), strategy(MemoryStorage()))
        current_app.extensions["dialog.limits"] = kept
    return kept[1], kept[2]
