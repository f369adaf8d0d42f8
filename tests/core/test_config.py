import pytest

import config


def test_production_refuses_to_start_without_its_secrets(monkeypatch):
    for name in config.ProductionConfig.REQUIRED:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError) as error:
        config.load("production")
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PUBLIC_URL", "MAIL_SERVER"):
        assert name in str(error.value)


def test_production_names_only_what_is_missing(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/dialog")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("PUBLIC_URL", "https://dialog.kommun.se")
    monkeypatch.delenv("MAIL_SERVER", raising=False)
    monkeypatch.setenv("MAIL_DEFAULT_SENDER", "noreply@kommun.se")
    with pytest.raises(RuntimeError, match="MAIL_SERVER") as error:
        config.load("production")
    assert "SECRET_KEY" not in str(error.value)


def test_production_uses_secure_cookies_redis_and_owasp_hashing(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://db/dialog")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("PUBLIC_URL", "https://dialog.kommun.se")
    monkeypatch.setenv("MAIL_SERVER", "smtp.kommun.se")
    monkeypatch.setenv("MAIL_DEFAULT_SENDER", "noreply@kommun.se")
    for name in (
        "SESSION_COOKIE_SECURE",
        "CELERY_BROKER_URL",
        "RATELIMIT_STORAGE_URI",
        "ARGON2_MEMORY_KIB",
        "ARGON2_TIME_COST",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = config.load("production")
    assert settings.SESSION_COOKIE_SECURE and settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://db/dialog"
    assert settings.CELERY_BROKER_URL == "redis://cache:6379/0"
    assert settings.RATELIMIT_STORAGE_URI == "redis://cache:6379/0"
    assert settings.ARGON2_MEMORY_KIB >= 19 * 1024 and settings.ARGON2_TIME_COST >= 2


def test_embedded_default_needs_no_server(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "RATELIMIT_STORAGE_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    settings = config.load("development")
    assert f"sqlite:///{tmp_path / 'dialog.sqlite'}" == settings.SQLALCHEMY_DATABASE_URI
    assert f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}" == settings.CELERY_BROKER_URL
    assert settings.RATELIMIT_STORAGE_URI == "memory://"
    assert settings.BABEL_DEFAULT_LOCALE == "sv"
    assert settings.BABEL_DEFAULT_TIMEZONE == "Europe/Stockholm"


def test_unknown_configuration_name_is_a_clear_error():
    with pytest.raises(RuntimeError, match="DIALOG_CONFIG"):
        config.load("staging")


def test_production_refuses_to_start_without_its_public_url(monkeypatch):
    """Links in mail and the API come from PUBLIC_URL; a default would point elsewhere."""
    for name, value in {
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": "postgresql://db/dialog",
        "REDIS_URL": "redis://cache:6379/0",
        "MAIL_SERVER": "smtp.kommun.se",
        "MAIL_DEFAULT_SENDER": "noreply@kommun.se",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        config.load("production")
