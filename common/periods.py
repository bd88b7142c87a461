"""Periods and the small number helpers every app shares: one home, names that say what they mean.

Two kinds of period are in use:

- a **report month** ``YYYY-MM``: the month a progress report, a closed period or a bulletin is about;
- a **statistical period**: a year ``2025`` or a year-to-date month ``2025-09`` (1–9月累计), as the statistics
  bureau publishes figures.

"Previous" means two different things and has two names here: :func:`month_before` is the calendar month before
(a liaison in October reports on September), :func:`same_period_year_before` is the same span a year earlier (growth
is always year on year: 2025 → 2024, 2025-09 → 2024-09).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.utils import timezone

# The database's check constraints use these patterns as they are (projects' and stats' migrations copy them).
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
STAT_PERIOD_PATTERN = r"^[0-9]{4}(-(0[1-9]|1[0-2]))?$"
MONTH_RE = re.compile(MONTH_PATTERN)
STAT_PERIOD_RE = re.compile(r"^(?P<year>[0-9]{4})(-(?P<month>0[1-9]|1[0-2]))?$")

HUNDRED = Decimal(100)
# Percentages and growth rates are shown to one decimal place.
ONE_PLACE = Decimal("0.1")


# --- Report months ---------------------------------------------------------------------------------------------------


def is_month(text: str | None) -> bool:
    return bool(MONTH_RE.match(text or ""))


def month_of(day: dt.date) -> str:
    """The report month a date falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def current_month(today: dt.date | None = None) -> str:
    """This month, by the site's calendar (Beijing time), not the server's UTC date."""
    return month_of(today or timezone.localdate())


def month_add(period: str, months: int) -> str:
    """The report month ``months`` months after ``period`` (before it when negative)."""
    year, month = (int(part) for part in period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_before(period: str) -> str:
    """The calendar month before ``period`` (2025-01 → 2024-12)."""
    return month_add(period, -1)


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included (empty when ``first`` is later)."""
    # Counted in months since year 0 and formatted once each: the warnings and bulletins list the months owed by
    # each of ~100k projects, and a month_add per month parsed the text again every time.
    first_year, first_month = (int(part) for part in first.split("-"))
    last_year, last_month = (int(part) for part in last.split("-"))
    return [
        f"{index // 12:04d}-{index % 12 + 1:02d}"
        for index in range(first_year * 12 + first_month - 1, last_year * 12 + last_month)
    ]


# --- Statistical periods ---------------------------------------------------------------------------------------------


def is_stat_period(text: str) -> bool:
    return bool(STAT_PERIOD_RE.match(text))


def same_period_year_before(period: str) -> str:
    """The same span a year earlier: growth is always year on year (2025 → 2024, 2025-09 → 2024-09)."""
    match = STAT_PERIOD_RE.match(period)
    if match is None:
        raise ValueError(f"Not a period: {period!r}")
    year = int(match["year"]) - 1
    return f"{year:04d}" + (f"-{match['month']}" if match["month"] else "")


# --- Numbers ---------------------------------------------------------------------------------------------------------


def rate_pct(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``part`` as a percentage of ``whole``, unrounded; None when there is nothing to measure against."""
    if not whole:
        return None
    return Decimal(part) * HUNDRED / Decimal(whole)
