"""Production settings a browser and a proxy see: HTTPS only (redirect, HSTS for a year, secure cookies), a
Content-Security-Policy on every page, and a secret key that is long and not a default — else the server refuses
to start. ``manage.py check --deploy`` is clean with the environment docker-compose.yml documents.

Each case loads the settings afresh in a subprocess with its own environment, the way a server starts."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest
import yaml

from tests.config.test_compose import BASE_DIR, app_env, run_python
from tests.config.test_settings import OURS, PG_URL, REDIS, run_settings

SECRET = secrets.token_urlsafe(50)
PROBE = """
import json, sys, importlib
s = importlib.import_module(sys.argv[1])
print(json.dumps(default=repr, obj={
    "hsts": s.SECURE_HSTS_SECONDS, "subdomains": s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "preload": s.SECURE_HSTS_PRELOAD,
    "redirect": s.SECURE_SSL_REDIRECT,
    "session_secure": s.SESSION_COOKIE_SECURE, "csrf_secure": s.CSRF_COOKIE_SECURE,
    "language_secure": s.LANGUAGE_COOKIE_SECURE, "middleware": s.MIDDLEWARE,
    "csp": s.CONTENT_SECURITY_POLICY["DIRECTIVES"],
}))
"""


def production(**env: str) -> dict:
    """Production settings loaded with a good secret, PostgreSQL and Redis, and ``env`` (no other DJANGO_ variable)."""
    clean = {key: value for key, value in os.environ.items() if key not in OURS and not key.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "config.settings.production"],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SECRET_KEY": SECRET, "DATABASE_URL": PG_URL, "REDIS_URL": REDIS, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_https_only_by_default():
    loaded = production()

    assert loaded["hsts"] == 365 * 24 * 3600
    assert loaded["subdomains"] is True
    assert loaded["preload"] is False  # submitting the domain to the preload list is the operator's decision
    assert loaded["redirect"] is True
    assert loaded["session_secure"] and loaded["csrf_secure"] and loaded["language_secure"]


def test_https_settings_come_from_the_environment():
    loaded = production(
        DJANGO_HSTS_SECONDS="600",
        DJANGO_HSTS_INCLUDE_SUBDOMAINS="false",
        DJANGO_HSTS_PRELOAD="true",
        DJANGO_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
    )

    assert (loaded["hsts"], loaded["subdomains"], loaded["preload"], loaded["redirect"]) == (600, False, True, False)
    assert not (loaded["session_secure"] or loaded["csrf_secure"] or loaded["language_secure"])


def test_every_page_gets_the_content_security_policy():
    loaded = production()

    assert "csp.middleware.CSPMiddleware" in loaded["middleware"]
    directives = loaded["csp"]
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]  # no inline script, no eval, no CDN
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        # Fixed values: the test ids must be the same in every pytest-xdist worker.
        ("short-but-random-9f3c2a7be1d04c58", "at least 50 characters"),
        ("django-insecure-" + "Qm7xR2vK9pL4sT8wN1zB6yH3jF5dG0cA" * 2, "insecure"),
        ("insecure-local-development-key-change-me" + "x" * 20, "insecure"),
        ("ab" * 40, "at least 5 different characters"),
    ],
)
def test_refuses_a_short_or_default_secret_key(secret, why):
    result = run_settings("config.settings.production", DJANGO_SECRET_KEY=secret, DATABASE_URL=PG_URL, REDIS_URL=REDIS)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert why in result.stderr


def test_check_deploy_is_clean_with_the_documented_environment():
    """The environment docker-compose.yml gives the web container (the README's configuration, as deployed)."""
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text(encoding="utf-8"))
    env = app_env(compose["services"]["web"], DJANGO_SECRET_KEY=SECRET)

    result = run_python("", env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
