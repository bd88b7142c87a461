"""Scheduled jobs of the projects app: the daily warnings, the reminders to county liaisons and the monthly
bulletins. Each task calls one service and is safe to run twice: the second run changes nothing.

The schedule runs the warnings and the bulletins with ``fan_out=True``: the task then only queues one task per
program (``program_warnings_refresh_task``, ``program_bulletin_task``), all for the same day, so that every worker
process — on this machine or another — takes programs of its own and the job ends sooner the more workers there are.
Each program's task is idempotent on its own, so a task retried or delivered twice changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from pairing.models import Program

from .selectors import programs_with_live_projects
from .warnings import project_warning_refresh, reminders_send, warnings_refresh

# The bulletin tasks import projects.bulletins when they run: it writes workbooks with openpyxl (some 20 MB), which a
# worker that never makes a bulletin need not load.


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def warnings_refresh_task(fan_out: bool = False) -> dict:
    """Classify every active project red / yellow / blue as of today: in this task, or (``fan_out``) in one
    ``program_warnings_refresh_task`` per program."""
    today = timezone.localdate()
    if fan_out:
        programs = programs_with_live_projects()
        for program_id in programs:
            program_warnings_refresh_task.delay(program_id, today.isoformat())
        return {"today": today.isoformat(), "programs": programs}
    return asdict(warnings_refresh(today=today))


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def program_warnings_refresh_task(program_id: int, today: str) -> dict:
    """Classify the active projects of one program as of ``today`` (ISO date); run twice, nothing changes."""
    program = Program.objects.filter(pk=program_id).first()
    if program is None:  # deleted since it was queued
        return {}
    return asdict(warnings_refresh(today=dt.date.fromisoformat(today), program=program))


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def project_warning_refresh_task(project_id: int) -> dict:
    """Classify one project as of today (after an officer changed its health); run twice, nothing changes."""
    return asdict(project_warning_refresh(project_id=project_id, today=timezone.localdate()))


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def report_reminders_task() -> int:
    """Email the liaisons whose monthly reports are due soon or overdue; returns the number of emails sent."""
    return reminders_send(today=timezone.localdate())


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def monthly_bulletins_task(fan_out: bool = False) -> list[int]:
    """Generate last month's bulletin of every program running in it; run twice, the bulletins are replaced by equal
    ones (one per program and month). Returns the bulletins' ids; with ``fan_out``, queues one
    ``program_bulletin_task`` per program instead and returns the programs' ids."""
    from .bulletins import bulletin_month, bulletin_programs, bulletins_generate_monthly

    today = timezone.localdate()
    if fan_out:
        programs = bulletin_programs(bulletin_month(today))
        for program in programs:
            program_bulletin_task.delay(program.pk, bulletin_month(today), today.isoformat())
        return [program.pk for program in programs]
    return [bulletin.pk for bulletin in bulletins_generate_monthly(today=today)]


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def program_bulletin_task(program_id: int, period: str, today: str) -> int | None:
    """One program's bulletin of ``period`` as of ``today`` (ISO date); run twice, it is replaced by an equal one."""
    from .bulletins import bulletin_generate

    program = Program.objects.filter(pk=program_id).first()
    if program is None:
        return None
    return bulletin_generate(program=program, period=period, today=dt.date.fromisoformat(today)).pk
