"""Background work of the impact app: recompute a program's estimates, fanned out one task per program after a gap
recomputation that changed figures. Each task calls one service and is safe to run twice: the second run writes
nothing."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task
from django.db import OperationalError, transaction

from pairing.models import Program

from .services import impact_recompute


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def impact_recompute_task(program_code: str) -> dict | None:
    """Recompute every indicator of the program ``program_code`` (None if the program is gone)."""
    program = Program.objects.filter(code=program_code).first()
    if program is None:
        return None
    return asdict(impact_recompute(program=program))


def impact_fan_out(*, provinces: list[str] | None = None) -> list[str]:
    """Queue one ``impact_recompute_task`` per program (of the given provinces, or all), once the transaction
    commits. Returns the codes queued."""
    programs = Program.objects.order_by("code")
    if provinces:
        programs = programs.filter(province_id__in=provinces)
    codes = list(programs.values_list("code", flat=True))
    for code in codes:
        transaction.on_commit(lambda code=code: impact_recompute_task.delay(code))
    return codes


def enqueue_after_gaps(sender, *, provinces: list[str] | None = None, **kwargs) -> None:
    """Receiver of ``stats.signals.gaps_changed``."""
    impact_fan_out(provinces=provinces)
