"""Generating bulletins: one program's bulletin for a month (its warnings refreshed, figures and workbook stored on
the program's one ``Bulletin`` row), and last month's bulletin of every program, as the scheduled job does.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from common.memory import without_cyclic_gc
from common.periods import month_before, month_of
from pairing.models import Program

from ..models import (
    Bulletin,
)
from ..warnings import (
    add_months,
    warnings_refresh,
)
from .figures import bulletin_figures, bulletin_filename, bulletin_period_check
from .workbook import bulletin_workbook_bytes

# --- Services --------------------------------------------------------------------------------------------------------


def bulletin_generate(
    *, program: Program, period: str, by: AbstractBaseUser | None = None, today: dt.date | None = None
) -> Bulletin:
    """Make (or make again) ``program``'s bulletin for month ``period``: bring the warnings up to date, compute the
    figures, write the workbook and keep both on the program's one ``Bulletin`` row for that month.

    Generating again replaces the stored workbook and figures. All database writes happen in one transaction; the
    previous workbook file is removed only once it has committed, so the row never points at a missing file. The
    reporting period is not closed here: closing a month is a decision people take.
    """
    today = today or timezone.localdate()
    bulletin_period_check(program=program, period=period, today=today)
    # A national bulletin is a million cells and hundreds of thousands of rows read: see without_cyclic_gc.
    with without_cyclic_gc(), transaction.atomic():
        warnings_refresh(today=today, program=program)
        figures = bulletin_figures(program=program, period=period, today=today)
        content = bulletin_workbook_bytes(figures)
        now = timezone.now()
        created = Bulletin.objects.get_or_create(program=program, period=period, defaults={"generated_at": now})[0]
        bulletin = Bulletin.objects.select_for_update().select_related("program").get(pk=created.pk)
        storage = bulletin.workbook.storage
        previous = bulletin.workbook.name
        bulletin.workbook.save(bulletin_filename(program=program, period=period), ContentFile(content), save=False)
        written = bulletin.workbook.name
        bulletin.summary = figures
        bulletin.generated_at = now
        bulletin.generated_by = by
        try:
            bulletin.save(update_fields=["workbook", "summary", "generated_at", "generated_by"])
        except Exception:
            storage.delete(written)
            raise
        if previous and previous != written:
            transaction.on_commit(lambda: storage.delete(previous))
    return bulletin


def _month_span(period: str) -> tuple[dt.date, dt.date]:
    year, month = (int(part) for part in period.split("-"))
    first = dt.date(year, month, 1)
    return first, add_months(first, 1) - dt.timedelta(days=1)


def bulletin_month(today: dt.date) -> str:
    """The month the scheduled bulletins of ``today`` are about: the one before."""
    return month_before(month_of(today))


def bulletin_programs(period: str) -> list[Program]:
    """The programs running during month ``period``, by code: each gets that month's bulletin."""
    first, last = _month_span(period)
    return list(Program.objects.filter(start_date__lte=last).exclude(end_date__lt=first).order_by("code"))


def bulletins_generate_monthly(*, today: dt.date | None = None) -> list[Bulletin]:
    """Last month's bulletin of every program running in that month (what the scheduled job does on the 1st, one
    task per program). Each program's bulletin is its own transaction; running it twice replaces the bulletins with
    equal ones."""
    today = today or timezone.localdate()
    period = bulletin_month(today)
    return [bulletin_generate(program=program, period=period, today=today) for program in bulletin_programs(period)]
