"""Language choice: `?lang=` for the session, then the profile, then Accept-Language."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user


def init_app(app: Flask) -> None:
    app.before_request(_remember_language_choice)


def _remember_language_choice() -> None:
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or languages[0]
