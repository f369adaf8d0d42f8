"""Rate-limit strings from the configuration, for `limiter.limit(...)` in every domain."""

from flask import current_app


def writes() -> str:
    return current_app.config["RATELIMIT_WRITES"]


def logins_per_ip() -> str:
    return current_app.config["RATELIMIT_LOGIN_PER_IP"]


def logins_per_account() -> str:
    return current_app.config["RATELIMIT_LOGIN_PER_ACCOUNT"]
