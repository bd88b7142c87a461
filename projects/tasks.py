"""Scheduled jobs of the projects app: the daily warnings, the reminders to county liaisons and the monthly
bulletins. Each task calls one service and is safe to run twice: the second run changes nothing."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from .bulletins import bulletins_generate_monthly
from .warnings import project_warning_refresh, reminders_send, warnings_refresh


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def warnings_refresh_task() -> dict:
    """Classify every active project red / yellow / blue as of today."""
    return asdict(warnings_refresh(today=timezone.localdate()))


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def project_warning_refresh_task(project_id: int) -> dict:
    """Classify one project as of today (after an officer changed its health); run twice, nothing changes."""
    return asdict(project_warning_refresh(project_id=project_id, today=timezone.localdate()))


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def report_reminders_task() -> int:
    """Email the liaisons whose monthly reports are due soon or overdue; returns the number of emails sent."""
    return reminders_send(today=timezone.localdate())


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def monthly_bulletins_task() -> list[int]:
    """Generate last month's bulletin of every program running in it; run twice, the bulletins are replaced by equal
    ones (one per program and month). Returns the bulletins' ids."""
    return [bulletin.pk for bulletin in bulletins_generate_monthly(today=timezone.localdate())]
