"""The live server the browser tests talk to answers concurrent requests, as a page's parallel fetches make them.

With SQLite's in-memory test database every request thread of the live server used the test's one connection:
concurrent requests failed with "database table is locked" (a 500) or hung for good inside SQLite, and the browser
test waiting on the page hung with them. The test database is now a file, so each thread has its own connection.
Every wait here is bounded: a hang fails with a message instead of stopping the run.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import pytest
from django.db import connection

from accounts.services import api_token_create

pytestmark = [pytest.mark.django_db(transaction=True)]

THREADS = 15
REQUESTS_PER_THREAD = 10
WAIT_SECONDS = 90
REQUEST_TIMEOUT = 20
DEMO_PROGRAM = "sd-2024"


def test_the_test_database_is_not_shared_between_threads():
    # The in-memory database is what made the live server's threads share one connection.
    assert not (connection.vendor == "sqlite" and connection.is_in_memory_db())


def test_concurrent_requests_all_succeed(live_server, seeded_demo, officer):
    # The demo program: the dashboard's endpoints read enough rows for requests to overlap, as they do on the page.
    _, key = api_token_create(user=officer, name="concurrency")
    paths = [
        f"/api/v1/reports/program-summary/?program={DEMO_PROGRAM}&period=2025",
        f"/api/v1/gaps/summary/?program={DEMO_PROGRAM}&period=2025",
        f"/api/v1/reports/map/?program={DEMO_PROGRAM}&period=2025",
        f"/api/v1/reports/trends/?program={DEMO_PROGRAM}",
        f"/api/v1/reports/funnel/?program={DEMO_PROGRAM}",
    ]
    statuses: list[int] = []
    failures: list[str] = []

    def client(path: str) -> None:
        for _ in range(REQUESTS_PER_THREAD):
            request = urllib.request.Request(live_server.url + path, headers={"Authorization": f"Bearer {key}"})
            try:
                with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
                    response.read()
                    statuses.append(response.status)
            except urllib.error.HTTPError as exc:
                failures.append(f"{path}: {exc.code}")
            except OSError as exc:  # a timeout: the server stopped answering
                failures.append(f"{path}: {exc!r}")

    threads = [threading.Thread(target=client, args=(paths[i % len(paths)],), daemon=True) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    hung = sum(thread.is_alive() for thread in threads)

    assert hung == 0, f"{hung} of {THREADS} clients got no answer within {WAIT_SECONDS} s: the live server hangs"
    assert failures == []
    assert statuses == [200] * THREADS * REQUESTS_PER_THREAD
