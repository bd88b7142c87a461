"""The nightly warnings and the monthly bulletins fan out one task per program (``fan_out=True``, as the schedule
runs them): the result is the one a single run gives, and each program's task is idempotent. On PostgreSQL, runs of
two programs do not wait for each other, while a run of every program waits for any program's run."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from pairing.factories import CountyFactory, PairingFactory, ProgramFactory
from projects.factories import ProjectFactory
from projects.models import Bulletin, ProjectWarning, WarningChange
from projects.tasks import (
    monthly_bulletins_task,
    program_bulletin_task,
    program_warnings_refresh_task,
    warnings_refresh_task,
)
from projects.warnings.refresh import WARNINGS_LOCK_KEY, _lock


def _rows() -> list[tuple]:
    return list(
        ProjectWarning.objects.order_by("project__code").values_list("project__code", "colour", "reasons", "since")
    )


@pytest.fixture
def two_programs(pairing_a, pairing_b):
    other = ProgramFactory(code="sd-other", name="另一计划", start_date=dt.date(2024, 1, 1))
    pairing_c = PairingFactory(
        program=other,
        strong_county=CountyFactory(adcode="370102", name="历下区"),
        weak_county=CountyFactory(adcode="371723", name="成武县"),
    )
    signed = timezone.localdate() - dt.timedelta(days=220)
    for pairing in (pairing_a, pairing_b, pairing_c):
        ProjectFactory(pairing=pairing, signed_date=signed)
        ProjectFactory(pairing=pairing, signed_date=timezone.localdate() - dt.timedelta(days=20))
    return pairing_a.program, other


def test_the_schedule_fans_out():
    schedule = settings.CELERY_BEAT_SCHEDULE
    for name in ("warnings-refresh-daily", "bulletins-monthly", "gaps-recompute-nightly"):
        assert schedule[name]["kwargs"] == {"fan_out": True}


def test_warnings_fan_out_gives_what_one_run_gives(two_programs):
    whole = warnings_refresh_task.delay().get(timeout=5)
    expected = _rows()
    ProjectWarning.objects.all().delete()
    WarningChange.objects.all().delete()

    queued = warnings_refresh_task.delay(fan_out=True).get(timeout=5)

    assert queued["programs"] == sorted(program.pk for program in two_programs)
    assert _rows() == expected
    assert whole["checked"] == len(expected) == 6


def test_a_program_task_run_twice_changes_nothing(two_programs):
    today = timezone.localdate().isoformat()
    program, _other = two_programs
    first = program_warnings_refresh_task.delay(program.pk, today).get(timeout=5)
    before, changes = _rows(), WarningChange.objects.count()

    second = program_warnings_refresh_task.delay(program.pk, today).get(timeout=5)

    assert first["created"] == 4  # the two pairings of the first program
    assert (second["created"], second["updated"], second["colour_changes"]) == (0, 0, 0)
    assert _rows() == before
    assert WarningChange.objects.count() == changes
    assert program_warnings_refresh_task.delay(999_999, today).get(timeout=5) == {}  # deleted since queued


def test_bulletins_fan_out_gives_one_bulletin_per_program_and_again_the_same(two_programs):
    programs = monthly_bulletins_task.delay(fan_out=True).get(timeout=5)
    first = {b.program_id: (b.period, b.summary) for b in Bulletin.objects.all()}

    again = monthly_bulletins_task.delay(fan_out=True).get(timeout=5)
    second = {b.program_id: (b.period, b.summary) for b in Bulletin.objects.all()}

    assert programs == again == sorted(programs, key=lambda pk: next(p.code for p in two_programs if p.pk == pk))
    assert set(first) == {program.pk for program in two_programs}
    assert first == second
    assert Bulletin.objects.count() == 2


def test_a_bulletin_task_of_a_deleted_program_does_nothing(db):
    assert program_bulletin_task.delay(999_999, "2025-09", "2025-10-01").get(timeout=5) is None


def _try_lock(*key: int) -> bool:
    """Whether another session could take the advisory lock ``key`` now (released at once)."""
    outcome = []

    def attempt():
        other = connections["default"]
        try:
            with other.cursor() as cursor:
                placeholders = ", ".join(["%s"] * len(key))
                cursor.execute(f"SELECT pg_try_advisory_lock({placeholders})", list(key))
                got = cursor.fetchone()[0]
                if got:
                    cursor.execute(f"SELECT pg_advisory_unlock({placeholders})", list(key))
                outcome.append(got)
        finally:
            other.close()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(timeout=30)
    return outcome[0]


def test_program_runs_lock_their_program_only(require_postgres, two_programs):
    program, other = two_programs
    with transaction.atomic():
        _lock(program, None)
        assert not _try_lock(WARNINGS_LOCK_KEY, program.pk)  # a second run of the same program waits
        assert _try_lock(WARNINGS_LOCK_KEY, other.pk)  # another program's run goes ahead
        assert not _try_lock(WARNINGS_LOCK_KEY)  # a run of every program waits
    assert connection.vendor == "postgresql"
