"""The Celery wiring: the schedule names real tasks, a task makes a round trip through Redis, and the
filesystem broker lets ``celery worker --beat`` run without any server (what ``make run`` relies on)."""

from __future__ import annotations

import datetime as dt
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from celery import Celery, _state
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from config.celery_app import app
from pairing.factories import PairingFactory
from pairing.models import Pairing, PairingStatus

TASK = "pairing.tasks.close_expired_pairings_task"


class TestSchedule:
    def test_every_scheduled_task_is_registered(self):
        app.loader.import_default_modules()

        scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}

        assert scheduled, "the beat schedule is empty"
        assert scheduled <= set(app.tasks)

    def test_schedule_comes_from_settings(self):
        assert app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE
        assert app.conf.beat_schedule["pairings-close-expired"]["task"] == TASK
        assert app.conf.timezone == settings.TIME_ZONE

    def test_json_only(self):
        assert app.conf.task_serializer == "json"
        assert app.conf.accept_content == ["json"]

    def test_tasks_run_eagerly_in_tests(self, db):
        from pairing.tasks import close_expired_pairings_task

        assert close_expired_pairings_task.delay().get(timeout=1) == 0


@contextmanager
def redis_app(url: str) -> Iterator[Celery]:
    """A Celery app of its own on the Redis broker (not eager, with a result backend), so the project's app and
    the eager test configuration are left untouched; the previous current app is restored afterwards."""
    import celery.contrib.testing.tasks  # noqa: F401  registers celery.ping for the worker's start-up check

    import pairing.tasks  # noqa: F401  shared tasks bind to every app when it is finalised

    previous_current, previous_default = _state.get_current_app(), _state.default_app
    roundtrip = Celery("tracker-roundtrip", set_as_current=False)
    roundtrip.conf.update(
        broker_url=url,
        result_backend=url,
        task_always_eager=False,
        task_ignore_result=False,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_default_queue=f"roundtrip-{uuid.uuid4().hex}",  # no other worker on this Redis takes our messages
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=False,
        result_expires=60,
    )
    try:
        yield roundtrip
    finally:
        roundtrip.close()
        client = redis.Redis.from_url(url)
        client.delete(*client.keys(f"*{roundtrip.conf.task_default_queue}*") or ["-"])
        previous_current.set_current()
        _state.default_app = previous_default


@pytest.mark.django_db(transaction=True)
def test_round_trip_through_redis(require_redis):
    today = timezone.localdate()
    expired = PairingFactory(start_date=today - dt.timedelta(days=30), end_date=today - dt.timedelta(days=1))

    with redis_app(require_redis) as roundtrip, start_worker(roundtrip, pool="solo", ping_task_timeout=60):
        first, second = roundtrip.tasks[TASK].delay(), None
        changed = first.get(timeout=60)
        second = roundtrip.tasks[TASK].delay()
        again = second.get(timeout=60)
        first.forget()
        second.forget()

    assert (changed, again) == (1, 0)
    assert Pairing.objects.get(pk=expired.pk).status == PairingStatus.ENDED
    # The project's app is the current one again and still eager.
    assert _state.get_current_app() is app
    assert app.conf.task_always_eager is True


def run_local_worker(var_dir: Path, timeout: float = 180) -> tuple[bool, str]:
    """Start ``celery -A config worker --beat --pool=solo`` without REDIS_URL, as ``make run`` does, wait for
    "ready" and stop it. Returns whether it got ready and what it logged."""
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", TRACKER_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--beat", "--pool=solo", "--loglevel=INFO"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in worker.stdout], daemon=True).start()
    output: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not any(" ready." in line for line in output):
            try:
                output.append(lines.get(timeout=0.5))
            except queue.Empty:
                if worker.poll() is not None:
                    break
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)
    return any(" ready." in line for line in output), "".join(output)


def test_filesystem_broker_worker_with_beat_starts_from_a_fresh_var_dir(tmp_path):
    """What ``make run`` starts, on a machine with no Redis and an empty var/ (a new checkout, ``make clean``)."""
    ready, log = run_local_worker(tmp_path)

    assert ready, log
    assert "filesystem://" in log
    assert TASK in log  # the worker registered the scheduled task
    assert "beat: Starting" in log
    assert (tmp_path / "celery" / "queue").is_dir()
    assert any((tmp_path / "celery").glob("beat-schedule*")), "beat wrote no schedule file"
