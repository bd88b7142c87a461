"""gunicorn's settings for the web container: ``gunicorn -c config/gunicorn.py config.wsgi:application`` (the
Dockerfile and docker-compose.yml run it so). Each value can be changed with the environment variable beside it.

Threaded workers (``gthread``): each of ``GUNICORN_WORKERS`` processes serves ``GUNICORN_THREADS`` requests at once.
A page mostly waits on PostgreSQL, so a few threads keep the two cores busy where sync workers left a queue of
requests behind one slow page. And a sync worker is killed when one response takes longer than ``--timeout``: a
streamed CSV of a national list (a minute or more) was cut off at 30 s. A gthread worker's main thread keeps telling
the arbiter it is alive while its threads work, so ``timeout`` only catches a worker that hangs, and long downloads
finish; ``EXPORT_MAX_STREAMED_ROWS`` bounds how long one can be. See docs/benchmarks.md ("National volume").
"""

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = _int("GUNICORN_WORKERS", 3)
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
# gthread: seconds a worker may go without a heartbeat (it hangs), not the length of a request.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# A worker is replaced after this many requests (with jitter, not all at once): memory a long-lived process
# fragments is given back.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
accesslog = "-"
