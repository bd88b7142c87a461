"""Settings of ``bench/api.py`` only: the local settings with DEBUG off, the bench URLconf (the real URLs plus the
bare comparison view) and no throttling. Never used by the site: nothing but the benchmark names this module."""

from config.settings.local import *  # noqa: F403

DEBUG = False  # DEBUG keeps every SQL statement in memory and serves slower error pages: not what production runs
ROOT_URLCONF = "bench.api_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# 20 clients at full speed would pass any per-user rate within seconds; the rates protect the service, they are not
# what is measured here (their counters are the cache's work, Redis in production).
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
