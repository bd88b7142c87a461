"""Statistical periods: a year ``2025`` or a year-to-date month ``2025-09`` (1–9月累计)."""

from __future__ import annotations

import re

PERIOD_RE = re.compile(r"^(?P<year>[0-9]{4})(-(?P<month>0[1-9]|1[0-2]))?$")


def is_period(text: str) -> bool:
    return bool(PERIOD_RE.match(text))


def previous_period(period: str) -> str:
    """The same span a year earlier: growth is always year on year (2025 → 2024, 2025-09 → 2024-09)."""
    match = PERIOD_RE.match(period)
    if match is None:
        raise ValueError(f"Not a period: {period!r}")
    year = int(match["year"]) - 1
    return f"{year:04d}" + (f"-{match['month']}" if match["month"] else "")
