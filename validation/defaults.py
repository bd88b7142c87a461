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
        "note": "2000年以前的开工日期是录入错误（例如1900年）。",
    },
    {
        "kind": "date_range",
        "field": "actual_production_date",
        "severity": "error",
        "earliest": EARLIEST_PLAUSIBLE,
        "note": "2000年以前的投产日期是录入错误。",
    },
    {
        "kind": "text_words",
        "field": "problems",
        "severity": "error",
        "max_words": 1000,
        "note": "需省级协调的问题用一页纸说清，不粘贴整份文件。",
    },
    {"kind": "text_words", "field": "stage_back_reason", "severity": "error", "max_words": 500, "note": ""},
    {
        "kind": "month_jump",
        "field": "month_investment",
        "severity": "warning",
        "threshold": Decimal("300"),
        "note": "本月投资是上月的四倍以上或四分之一以下，值得核实。",
    },
    {
        "kind": "cumulative_falls",
        "field": "cumulative_investment",
        "severity": "warning",
        "note": "低于上次审核通过的月报即被拒绝；低于已提交的月报则提示审核人。",
    },
    {
        "kind": "beyond_plan",
        "field": "cumulative_investment",
        "severity": "warning",
        "threshold": Decimal("20"),
        "note": "累计完成投资超出计划投资20%以上。",
    },
    {"kind": "value_range", "field": "jobs_created", "severity": "warning", "maximum": Decimal("20000"), "note": ""},
    {
        "kind": "growth_mismatch",
        "field": "stat_growth_pct",
        "severity": "warning",
        "threshold": Decimal("5"),
        "note": "报送增速与两期总量推算的增速相差5个百分点以上。",
    },
    {
        "kind": "value_range",
        "field": "stat_growth_pct",
        "severity": "warning",
        "minimum": Decimal("-50"),
        "maximum": Decimal("100"),
        "note": "县域年增速低于−50%或高于+100%十分罕见，需核实。",
    },
]


def add_defaults(rule_model, program) -> int:
    """Add the default rules to ``program`` if it has none (so it can run twice). ``rule_model`` is the model, or a
    migration's historical model. Returns how many were added."""
    if rule_model.objects.filter(program_id=program.pk).exists():
        return 0
    rule_model.objects.bulk_create(rule_model(program_id=program.pk, **values) for values in DEFAULT_RULES)
    return len(DEFAULT_RULES)
