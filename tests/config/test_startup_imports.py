"""What a process loads when it starts: the large libraries wait for the code that uses them.

A web worker (``django.setup()`` and the URLconf) and a Celery worker (its tasks) import every app's admin, views
and tasks. pandas and numpy (the impact estimates), openpyxl with lxml and Pillow (the workbooks), WeasyPrint (the
evaluation report's PDF) and the estimators cost together some 55 MB in every such process, and each is needed by a
few requests or jobs. They are imported inside the functions that use them; this test fails when a module-level
import brings one back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

HEAVY = (
    "pandas",
    "numpy",
    "scipy",
    "openpyxl",
    "lxml",
    "PIL",
    "weasyprint",
    "pysyncon",
    "linearmodels",
    "shapely",
)
PROBE = f"""
import json, sys
import django

django.setup()
import config.urls  # a web worker
from config.celery_app import app

app.loader.import_default_modules()  # a Celery worker: every app's tasks
print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))
"""
ENVIRONMENTS = {
    "config.settings.local": {},
    "config.settings.production": {
        "DJANGO_SECRET_KEY": "a-production-secret-that-is-long-and-random-0123456789",
        "DATABASE_URL": "postgres://tracker:s3cret@db.internal:6543/tracker",
        "REDIS_URL": "redis://cache.internal:6379/0",
    },
}


@pytest.mark.parametrize("module", sorted(ENVIRONMENTS))
def test_a_starting_process_loads_none_of_the_large_libraries(module, tmp_path):
    # Settings start from the environment of a server, not the test run's (no database or Redis of the test run).
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "TRACKER_", "PYTEST_"))
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": module, "TRACKER_VAR_DIR": str(tmp_path), **ENVIRONMENTS[module]},
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []
