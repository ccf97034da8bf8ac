"""gunicorn settings for the ballot app; every value can be overridden from the environment.

    gunicorn -c deploy/gunicorn.conf.py "ballot:create_app()"
"""

import multiprocessing
import os

bind = os.environ.get("BALLOT_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("BALLOT_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("BALLOT_THREADS", 4))
timeout = 30
graceful_timeout = 10
# Phones keep their connection between the four requests of a vote; closing idle ones too early
# under load makes a POST race the close (seen in the 1,000-phone burst).
keepalive = int(os.environ.get("BALLOT_KEEPALIVE", 75))
# Access log without ballot URLs, credentials or voters' IP addresses (ballot.gunicorn_logging).
logger_class = "ballot.gunicorn_logging.RedactingLogger"
accesslog = os.environ.get("BALLOT_ACCESS_LOG", "-")
errorlog = os.environ.get("BALLOT_ERROR_LOG", "-")
loglevel = os.environ.get("BALLOT_LOG_LEVEL", "info")
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms'
# A meeting room may put a reverse proxy in front; only trust it when told to.
forwarded_allow_ips = os.environ.get("BALLOT_FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 27's control socket has one path per user (~/.gunicorn/gunicorn.ctl): two servers on
# one machine (a test run beside a meeting, the benchmark) would take each other's. Not used.
control_socket_disable = True


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Each worker runs the closer: evaluations close at their closing time with no request
    (ballot/evaluations/closer.py; BALLOT_CLOSE_DUE_SECONDS, 0 turns it off)."""
    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "config") and "CLOSE_DUE_SECONDS" in app.config:
        from ballot.evaluations.closer import start

        start(app)
