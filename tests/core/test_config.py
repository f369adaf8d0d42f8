import os
import subprocess
import sys
from pathlib import Path

import pytest

import config
from tests.support import PRODUCTION, ROOT


@pytest.fixture
def production(monkeypatch):
    """The environment of a sound production installation, for one test to change."""
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TWO_FACTOR_KEY", raising=False)
    return monkeypatch


def _problems(name: str = "production") -> list[str]:
    with pytest.raises(config.ConfigurationError) as error:
        config.load(name)
    return list(error.value.problems)


def test_production_refuses_to_start_without_its_secrets(monkeypatch):
    for name in config.ProductionConfig.REQUIRED:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError) as error:
        config.load("production")
    for name in config.ProductionConfig.REQUIRED:
        assert name in str(error.value)


def test_production_names_only_what_is_missing(production):
    production.delenv("MAIL_SERVER")
    [problem] = _problems()
    assert "MAIL_SERVER" in problem and "SECRET_KEY" not in problem


def test_production_needs_an_address_people_read_for_accessibility_feedback(production):
    production.delenv("ACCESSIBILITY_FEEDBACK_EMAIL")
    [problem] = _problems()
    assert "ACCESSIBILITY_FEEDBACK_EMAIL" in problem
    production.setenv("ACCESSIBILITY_FEEDBACK_EMAIL", "two@kommun.se, addresses@kommun.se")
    [problem] = _problems()
    assert problem.startswith("ACCESSIBILITY_FEEDBACK_EMAIL must be one address")


def test_a_sound_production_environment_starts(production):
    assert config.load("production").MAIL_SECURITY == "starttls"


def test_production_uses_secure_cookies_redis_and_owasp_hashing(production):
    production.setenv("DATABASE_URL", "postgres://db/dialog")
    for name in (
        "SESSION_COOKIE_SECURE",
        "CELERY_BROKER_URL",
        "RATELIMIT_STORAGE_URI",
        "ARGON2_MEMORY_KIB",
        "ARGON2_TIME_COST",
    ):
        production.delenv(name, raising=False)
    settings = config.load("production")
    assert settings.SESSION_COOKIE_SECURE and settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://db/dialog"
    assert settings.CELERY_BROKER_URL == "redis://cache:6379/0"
    assert settings.RATELIMIT_STORAGE_URI == "redis://cache:6379/0"
    assert settings.ARGON2_MEMORY_KIB >= 19 * 1024 and settings.ARGON2_TIME_COST >= 2


def test_embedded_default_needs_no_server(monkeypatch, tmp_path):
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "RATELIMIT_STORAGE_URI",
        "MAIL_SECURITY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    settings = config.load("development")
    assert f"sqlite:///{tmp_path / 'dialog.sqlite'}" == settings.SQLALCHEMY_DATABASE_URI
    assert f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}" == settings.CELERY_BROKER_URL
    assert settings.RATELIMIT_STORAGE_URI == "memory://"
    assert settings.BABEL_DEFAULT_LOCALE == "sv"
    assert settings.BABEL_DEFAULT_TIMEZONE == "Europe/Stockholm"
    # Development's relay, if any, is a local sink; mail goes to files without one.
    assert settings.MAIL_SECURITY == "none"


def test_unknown_configuration_name_is_a_clear_error():
    with pytest.raises(config.ConfigurationError, match="DIALOG_CONFIG"):
        config.load("staging")


def test_production_refuses_to_start_without_its_public_url(production):
    """Links in mail and the API come from PUBLIC_URL; a default would point elsewhere."""
    production.delenv("PUBLIC_URL")
    [problem] = _problems()
    assert "PUBLIC_URL" in problem


def test_production_refuses_a_public_url_without_https(production):
    production.setenv("PUBLIC_URL", "http://dialog.kommun.se")
    [problem] = _problems()
    assert problem.startswith("PUBLIC_URL must start with https://")


@pytest.mark.parametrize(
    "url", ["dialog.kommun.se", "https://", "ftp://dialog.kommun.se", "https://x.se/?a=1"]
)
def test_a_public_url_that_is_no_site_address_is_refused_everywhere(monkeypatch, url):
    monkeypatch.setenv("PUBLIC_URL", url)
    [problem] = _problems("development")
    assert problem.startswith("PUBLIC_URL must be the site's address")


def test_production_refuses_the_published_development_key(production):
    production.setenv("SECRET_KEY", config.DEVELOPMENT_SECRET_KEY)
    [problem] = _problems()
    assert problem.startswith("SECRET_KEY is the development key")


@pytest.mark.parametrize("name", ["SECRET_KEY", "TWO_FACTOR_KEY"])
def test_production_refuses_secrets_shorter_than_32_bytes(production, name):
    production.setenv(name, "k" * 31)
    [problem] = _problems()
    assert problem.startswith(f"{name} is too short: at least 32 bytes")
    production.setenv(name, "k" * 32)
    config.load("production")
    # Bytes, not characters: 16 Swedish letters are 32 bytes in UTF-8.
    production.setenv(name, "ö" * 16)
    config.load("production")


def test_production_requires_mail_security_to_be_chosen(production):
    production.delenv("MAIL_SECURITY")
    [problem] = _problems()
    assert "MAIL_SECURITY" in problem


@pytest.mark.parametrize("value", ["none", "starttls", "ssl", "STARTTLS"])
def test_mail_security_takes_its_three_values(production, value):
    production.setenv("MAIL_SECURITY", value)
    settings = config.load("production")
    assert value.lower() == settings.MAIL_SECURITY


def test_mail_security_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("MAIL_SECURITY", "tls")
    [problem] = _problems("development")
    assert problem == "MAIL_SECURITY must be one of none, starttls, ssl, not 'tls'."


@pytest.mark.parametrize(
    "sender",
    [
        "noreply@kommun.se",
        "Södertälje kommun <dialog@sodertalje.se>",
        '"Kommun, Södertälje" <dialog@sodertalje.se>',
    ],
)
def test_the_sender_may_be_an_address_with_or_without_a_name(production, sender):
    production.setenv("MAIL_DEFAULT_SENDER", sender)
    settings = config.load("production")
    assert sender == settings.MAIL_DEFAULT_SENDER


@pytest.mark.parametrize(
    "sender", ["noreply", "Kommunen", "a@kommun.se, b@kommun.se", "Kommun <noreply>", "x@"]
)
def test_a_sender_that_is_not_one_address_is_refused(production, sender):
    production.setenv("MAIL_DEFAULT_SENDER", sender)
    [problem] = _problems()
    assert problem.startswith("MAIL_DEFAULT_SENDER must be one address")


def test_production_refuses_to_serve_untranslated_pages(production, monkeypatch, tmp_path):
    """Without compiled catalogues every page and mail is English labelled Swedish."""
    (tmp_path / "translations" / "sv" / "LC_MESSAGES").mkdir(parents=True)
    monkeypatch.setattr(config, "DATA_DIR", tmp_path)
    [problem] = _problems()
    assert problem.startswith("The translations are not compiled")


def test_a_number_that_is_not_one_is_named(monkeypatch):
    monkeypatch.setenv("MAIL_PORT", "smtp")
    [problem] = _problems("development")
    assert problem == "MAIL_PORT must be a whole number, not 'smtp'."


def test_every_problem_is_named_at_once(production):
    production.setenv("SECRET_KEY", "short")
    production.setenv("MAIL_SECURITY", "tls")
    production.setenv("MAIL_DEFAULT_SENDER", "noreply")
    production.setenv("PUBLIC_URL", "http://dialog.kommun.se")
    problems = _problems()
    assert [problem.split()[0] for problem in problems] == [
        "MAIL_SECURITY",
        "MAIL_DEFAULT_SENDER",
        "SECRET_KEY",
        "PUBLIC_URL",
    ]


# Start-up: a refusal is a line per problem and exit status 78, whoever starts the app ----

BROKEN_PRODUCTION = {**PRODUCTION, "DIALOG_CONFIG": "production", "SECRET_KEY": "short"}
BIN = Path(sys.executable).parent
START_UP_COMMANDS = {
    "flask --help": [BIN / "flask", "--app", "dialog", "--help"],
    "flask db upgrade": [BIN / "flask", "--app", "dialog", "db", "upgrade"],
    "gunicorn": [BIN / "gunicorn", "--config", ROOT / "gunicorn.conf.py"],
    "celery worker": [BIN / "celery", "-A", "worker.app", "worker"],
}


def _start(command: list, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("command", START_UP_COMMANDS.values(), ids=START_UP_COMMANDS.keys())
def test_an_unsafe_production_start_is_one_line_without_a_traceback(command, tmp_path):
    result = _start(command, tmp_path, **BROKEN_PRODUCTION)
    assert result.returncode == config.EXIT_CONFIGURATION, result.stderr
    assert result.stderr.splitlines() == [
        "Configuration error: SECRET_KEY is too short: at least 32 bytes, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
    ]
    assert result.stdout == ""


@pytest.mark.parametrize(
    "setting, value, line",
    [
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be text or json, not 'xml'."),
        (
            "LOG_LEVEL",
            "loud",
            "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not 'LOUD'.",
        ),
    ],
)
def test_a_bad_log_setting_is_a_configuration_error_in_one_line(setting, value, line, tmp_path):
    """Not a traceback and exit 1, which systemd would restart in a loop."""
    result = _start(START_UP_COMMANDS["flask --help"], tmp_path, **{setting: value})
    assert result.returncode == config.EXIT_CONFIGURATION, result.stderr
    assert result.stderr.splitlines() == [f"Configuration error: {line}"]


def test_gunicorn_refuses_a_timeout_shorter_than_a_requests_database_deadlines(tmp_path):
    result = _start(
        START_UP_COMMANDS["gunicorn"],
        tmp_path,
        GUNICORN_TIMEOUT="20",
        DATABASE_CONNECT_TIMEOUT="5",
        DATABASE_STATEMENT_TIMEOUT="10",
    )
    assert result.returncode == config.EXIT_CONFIGURATION, result.stderr
    assert result.stderr.splitlines() == [
        "Configuration error: GUNICORN_TIMEOUT (20 s) must be longer than the longest "
        "database wait of a request (22 s: twice DATABASE_CONNECT_TIMEOUT, "
        "DATABASE_STATEMENT_TIMEOUT and 2 s for its answer)."
    ]


def test_a_connect_timeout_under_two_seconds_is_refused(monkeypatch):
    monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT", "0")
    with pytest.raises(config.ConfigurationError, match="DATABASE_CONNECT_TIMEOUT must be at"):
        config.load("development")


@pytest.mark.parametrize("seconds", ["0", "-1"])
def test_a_health_check_timeout_of_no_time_is_refused(monkeypatch, seconds):
    monkeypatch.setenv("HEALTH_CHECK_TIMEOUT", seconds)
    with pytest.raises(config.ConfigurationError, match="HEALTH_CHECK_TIMEOUT must be more"):
        config.load("development")


@pytest.mark.parametrize("command", ["seed-demo", "seed-scale"])
def test_demo_data_is_refused_in_production(command, tmp_path):
    # The databases named do not exist: the refusal comes before any connection.
    result = _start(
        [BIN / "flask", "--app", "dialog", command],
        tmp_path,
        **PRODUCTION,
        DIALOG_CONFIG="production",
    )
    assert result.returncode == 1
    # The last line: start-up's own log lines (the app is built) may come before it.
    assert result.stderr.splitlines()[-1].startswith(
        f"Error: {command} is refused in production: it "
    )
    assert "Traceback" not in result.stderr


def test_no_absolute_link_is_built_from_the_request():
    """PUBLIC_URL is the one base of absolute links (core/urls.py, public_url)."""
    from_the_request = ("_external", "url_root", "host_url", "request.host")
    sources = [*(ROOT / "dialog").rglob("*.py"), *(ROOT / "templates").rglob("*.*")]
    sources.remove(ROOT / "dialog" / "core" / "urls.py")  # where public_url builds them
    offenders = [
        f"{path.relative_to(ROOT)}: {word}"
        for path in sources
        for word in from_the_request
        if word in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
