"""The rules every program starts with: the data migration added them to the programs that existed, a program created
later gets them when it is first saved, and the command ``validation_defaults`` catches up any program that has none.
Officers change or switch them off in the admin."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

EARLIEST_PLAUSIBLE = dt.date(2000, 1, 1)

DEFAULT_RULES: list[dict] = [
    {
        "kind": "date_range",
        "field": "actual_start_date",
        "severity": "error",
        "earliest": EARLIEST_PLAUSIBLE,
        "note": "A construction start before 2000 is a typing mistake (e.g. 1900).",
    },
    {
        "kind": "date_range",
        "field": "actual_production_date",
        "severity": "error",
        "earliest": EARLIEST_PLAUSIBLE,
        "note": "A production date before 2000 is a typing mistake.",
    },
    {
        "kind": "text_words",
        "field": "problems",
        "severity": "error",
        "max_words": 1000,
        "note": "A problem for provincial coordination is stated in a page, not pasted documents.",
    },
    {"kind": "text_words", "field": "stage_back_reason", "severity": "error", "max_words": 500, "note": ""},
    {
        "kind": "month_jump",
        "field": "month_investment",
        "severity": "warning",
        "threshold": Decimal("300"),
        "note": "This month's investment four times last month's, or a quarter of it, is worth a look.",
    },
    {
        "kind": "cumulative_falls",
        "field": "cumulative_investment",
        "severity": "warning",
        "note": "Below the last approved report it is refused; below a submitted one it is shown to the reviewer.",
    },
    {
        "kind": "beyond_plan",
        "field": "cumulative_investment",
        "severity": "warning",
        "threshold": Decimal("20"),
        "note": "Completed investment more than 20% beyond the plan.",
    },
    {"kind": "value_range", "field": "jobs_created", "severity": "warning", "maximum": Decimal("20000"), "note": ""},
    {
        "kind": "growth_mismatch",
        "field": "stat_growth_pct",
        "severity": "warning",
        "threshold": Decimal("5"),
        "note": "A reported growth more than 5 points from the growth of the two levels.",
    },
    {
        "kind": "value_range",
        "field": "stat_growth_pct",
        "severity": "warning",
        "minimum": Decimal("-50"),
        "maximum": Decimal("100"),
        "note": "A county's growth beyond −50% or +100% in a year is rare enough to check.",
    },
]


def add_defaults(rule_model, program) -> int:
    """Add the default rules to ``program`` if it has none (so it can run twice). ``rule_model`` is the model, or a
    migration's historical model. Returns how many were added."""
    if rule_model.objects.filter(program_id=program.pk).exists():
        return 0
    rule_model.objects.bulk_create(rule_model(program_id=program.pk, **values) for values in DEFAULT_RULES)
    return len(DEFAULT_RULES)
