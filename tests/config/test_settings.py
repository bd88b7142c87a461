"""Settings read from the environment: the database URL, the broker, and production's refusals.

Each case imports a settings module afresh in a subprocess with its own environment, the way a server starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

BASE_DIR = settings.BASE_DIR
PROBE = """
import json, sys, importlib
module = importlib.import_module(sys.argv[1])
db = module.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST", ""), "port": db.get("PORT", ""),
    "user": db.get("USER", ""), "conn_max_age": db.get("CONN_MAX_AGE"),
    "debug": module.DEBUG, "allowed_hosts": module.ALLOWED_HOSTS,
    "broker": module.CELERY_BROKER_URL, "broker_options": module.CELERY_BROKER_TRANSPORT_OPTIONS,
    "cache": module.CACHES["default"]["BACKEND"], "static_root": str(module.STATIC_ROOT),
}))
"""
# Variables of the running process that would leak into the settings under test.
OURS = {
    "DATABASE_URL",
    "DATABASE_CONN_MAX_AGE",
    "REDIS_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "TRACKER_VAR_DIR",
}
SECRET = "a-production-secret-that-is-long-and-random-0123456789"
PG_URL = "postgres://tracker:s3cret@db.internal:6543/tracker"
REDIS = "redis://cache.internal:6379/0"


def run_settings(module: str, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key not in OURS}
    return subprocess.run(
        [sys.executable, "-c", PROBE, module],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=240,
    )


def load_settings(module: str, **env: str) -> dict:
    result = run_settings(module, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


class TestDatabaseUrl:
    def test_sqlite_url(self, tmp_path):
        loaded = load_settings("config.settings.local", DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3")

        assert loaded["engine"] == "django.db.backends.sqlite3"
        assert loaded["name"] == f"{tmp_path}/x.sqlite3"

    def test_postgres_url(self):
        loaded = load_settings("config.settings.local", DATABASE_URL=PG_URL, DATABASE_CONN_MAX_AGE="60")

        assert loaded["engine"] == "django.db.backends.postgresql"
        assert (loaded["name"], loaded["host"], loaded["port"], loaded["user"]) == (
            "tracker",
            "db.internal",
            6543,
            "tracker",
        )
        assert loaded["conn_max_age"] == 60

    def test_without_url_a_sqlite_file_in_the_var_dir(self, tmp_path):
        loaded = load_settings("config.settings.local", TRACKER_VAR_DIR=str(tmp_path))

        assert loaded["engine"] == "django.db.backends.sqlite3"
        assert loaded["name"] == str(tmp_path / "tracker.sqlite3")
        assert loaded["static_root"] == str(tmp_path / "staticfiles")
        assert loaded["debug"] is True


class TestBroker:
    def test_redis_url_selects_redis(self):
        loaded = load_settings("config.settings.local", REDIS_URL="redis://cache.internal:6379/3")

        assert loaded["broker"] == "redis://cache.internal:6379/3"
        assert loaded["cache"] == "django.core.cache.backends.redis.RedisCache"

    def test_without_redis_the_filesystem_broker_in_the_var_dir(self, tmp_path):
        loaded = load_settings("config.settings.local", TRACKER_VAR_DIR=str(tmp_path))

        assert loaded["broker"] == "filesystem://"
        options = loaded["broker_options"]
        assert options["data_folder_in"] == options["data_folder_out"] == str(tmp_path / "celery" / "queue")
        assert options["processed_folder"].startswith(str(tmp_path))
        assert loaded["cache"] == "django.core.cache.backends.locmem.LocMemCache"


class TestProduction:
    def test_accepts_a_secret_key_postgres_and_redis(self):
        loaded = load_settings(
            "config.settings.production",
            DJANGO_SECRET_KEY=SECRET,
            DATABASE_URL=PG_URL,
            REDIS_URL=REDIS,
            DJANGO_ALLOWED_HOSTS="tracker.example.org, admin.example.org",
            DJANGO_DEBUG="1",
        )

        assert loaded["engine"] == "django.db.backends.postgresql"
        assert loaded["debug"] is False  # production never runs with DEBUG, whatever the environment says
        assert loaded["allowed_hosts"] == ["tracker.example.org", "admin.example.org"]
        assert loaded["cache"] == "django.core.cache.backends.redis.RedisCache"

    def test_refuses_to_run_without_redis(self):
        # The API's throttle counters (in the cache) must be shared by every worker process.
        result = run_settings("config.settings.production", DJANGO_SECRET_KEY=SECRET, DATABASE_URL=PG_URL)

        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr
        assert "REDIS_URL" in result.stderr

    def test_refuses_the_insecure_default_secret(self):
        result = run_settings("config.settings.production", DATABASE_URL=PG_URL)

        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr
        assert "DJANGO_SECRET_KEY" in result.stderr

    @pytest.mark.parametrize("url", [None, "sqlite:///tmp/tracker.sqlite3"])
    def test_refuses_anything_but_postgres(self, url, tmp_path):
        env = {"DJANGO_SECRET_KEY": SECRET, "TRACKER_VAR_DIR": str(tmp_path)}
        if url:
            env["DATABASE_URL"] = url

        result = run_settings("config.settings.production", **env)

        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr
        assert "PostgreSQL" in result.stderr

    @pytest.mark.parametrize("module", ["config.wsgi", "config.celery_app"])
    def test_entry_points_default_to_production(self, module):
        clean = {key: value for key, value in os.environ.items() if key not in OURS}
        result = subprocess.run(
            [sys.executable, "-c", f"import {module}; from django.conf import settings; settings.DEBUG"],
            cwd=BASE_DIR,
            env=clean,
            capture_output=True,
            text=True,
            timeout=240,
        )

        # Without any environment gunicorn and celery load production settings, which refuse to start: never
        # the local settings with DEBUG on.
        assert result.returncode != 0
        assert "Set DJANGO_SECRET_KEY in production" in result.stderr


def test_test_settings_run_tasks_eagerly():
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    assert settings.CELERY_TASK_SERIALIZER == "json"
