"""The test suite. Uses DATABASE_URL / REDIS_URL when given (CI points them at PostgreSQL and Redis)."""

from .base import *  # noqa: F403

SECRET_KEY = "test-only-secret-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks run in-process in tests; tests that need the real broker connect to it explicitly.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Static files are served by Django's test client from the finders; WhiteNoise would only warn that the
# collected-static directory does not exist.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]  # noqa: F405
# The test client's login() authenticates without a request, which the lockout backend refuses; the lockout itself
# is tested with the full backend list (tests/accounts/test_lockout.py).
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
SILENCED_SYSTEM_CHECKS = ["axes.W003"]
# No throttling by accident: the fuzz test alone makes thousands of requests, and tests of wrong keys share an
# address. tests/common/test_throttling.py and tests/security/test_auth_failure_throttle.py set rates of their own.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(("anon", "user", "api_token", "auth_failure")),
}
