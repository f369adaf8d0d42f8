"""gunicorn's settings for Medborgardialog: `gunicorn -c gunicorn.conf.py` in a checkout
(`make run`), `gunicorn -c python:dialog.gunicorn_conf` where the wheel is installed (it
carries this file under that name). Values come from the environment, through config.py.
"""

# gunicorn takes every module-level name that is one of its settings, `config` among them.
import config as dialog_config

# The app's settings are checked here, in the master, before anything starts: a refusal is
# one line per problem and exit status 78, where a worker failing to boot would print a
# traceback (and gunicorn would read this file in vain).
with dialog_config.exit_on_refusal():
    settings = dialog_config.WebServerConfig()
    if problems := settings.problems(dialog_config.load()):
        raise dialog_config.ConfigurationError(*problems)

wsgi_app = "dialog:create_app()"
bind = [settings.GUNICORN_BIND]
workers = settings.GUNICORN_WORKERS
# A worker silent this long is killed and replaced; requests have deadlines of their own.
timeout = settings.GUNICORN_TIMEOUT
# On SIGTERM or HUP, workers finish the requests they have for this long.
graceful_timeout = settings.GUNICORN_GRACEFUL_TIMEOUT
# Behind a reverse proxy that keeps connections open.
keepalive = 5
# Workers are replaced after this many requests, at staggered times, so that slow growth
# in memory never adds up and they never all restart at once.
max_requests = settings.GUNICORN_MAX_REQUESTS
max_requests_jitter = max(settings.GUNICORN_MAX_REQUESTS // 10, 1)
accesslog = settings.GUNICORN_ACCESS_LOG
# The request id the app answers with, so a line here finds the app's and the tasks' lines.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms '
    "request_id=%({x-request-id}o)s"
)
# Proxies trusted with X-Forwarded-Proto; the app's PROXY_FIX_X_FOR does X-Forwarded-For.
forwarded_allow_ips = settings.FORWARDED_ALLOW_IPS
# No preloading: each worker builds its own app and connections, and HUP loads new code.
preload_app = False
