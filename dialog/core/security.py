"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, current_app

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    app.after_request(_set_security_headers)


def _tile_origin() -> str:
    url = current_app.config.get("MAP_TILE_URL") or ""
    if "://" not in url:
        return ""
    scheme, rest = url.split("://", 1)
    return " " + scheme + "://" + rest.split("/", 1)[0].replace("{s}", "*")


def _set_security_headers(response):
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy", CONTENT_SECURITY_POLICY.format(tiles=_tile_origin())
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
    if current_app.config["HSTS"]:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    return response
