"""Rows the reporting tests build through the factories and the real services (not a pytest conftest, so the
fixtures of other test modules in this package are not affected).

Statistics: a small province in the shape of Shandong (370000) with four county-level units — the conftest's
pairing A (黄岛区 370211 → 台儿庄区 370405) and pairing B (历城区 370112 → 蒙阴县 371328) — whose gaps and ranks the
real engine (``stats.services.gaps_recompute``) computes. GDP levels in 亿元:

    county     2023   2024   2025   reported 2025 growth
    370211     5000   5200   5400   —
    371328      290    300    318   —            (derived 6%)
    370405      180    190    200   5.581        (the reported rate wins over the derived 5.263…)
    370112      150    180    205   —

Ranks by level: 2024 370211, 371328, 370405, 370112; 2025 370211, 371328, 370112, 370405 (台儿庄 falls from 3 to
4, 历城 rises from 4 to 3). The province reports 4.0% for 2024 and 5.0% for 2025; FAI is published as a rate only
(province 3.0%, 台儿庄 12.5%, 蒙阴 8.0%), and GDP also for the year-to-date month 2025-09.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from funds.models import Fund
from funds.services import allocation_create, disbursement_create
from projects.factories import ProjectFactory
from projects.models import Health, ProgressReport, Project, Stage
from projects.reports import ReportData, progress_report_approve, progress_report_save, progress_report_submit
from stats.models import Indicator, StatValue
from stats.services import gaps_recompute

YI = Decimal(100_000_000)
SOURCE = "测试数据"

GDP_LEVELS = {
    "370211": (5000, 5200, 5400),
    "371328": (290, 300, 318),
    "370405": (180, 190, 200),
    "370112": (150, 180, 205),
}
REPORTED_GDP_2025 = {"370405": Decimal("5.581")}
PROVINCE_GDP_GROWTH = {"2024": Decimal("4.0"), "2025": Decimal("5.0"), "2025-09": Decimal("5.2")}
FAI_GROWTH_2025 = {"370000": Decimal("3.0"), "370405": Decimal("12.5"), "371328": Decimal("8.0")}
GDP_2025_09 = {"370405": (Decimal(150), Decimal("5.9")), "371328": (Decimal(230), Decimal("6.1"))}


def statistics_build() -> None:
    """The figures above, then the real gap engine over them."""
    rows = []
    for adcode, levels in GDP_LEVELS.items():
        for period, level in zip(("2023", "2024", "2025"), levels, strict=True):
            growth = REPORTED_GDP_2025.get(adcode) if period == "2025" else None
            rows.append(
                StatValue(
                    region_id=adcode,
                    indicator=Indicator.GDP,
                    period=period,
                    value=level * YI,
                    growth_pct=growth,
                    source=SOURCE,
                )
            )
    for period, growth in PROVINCE_GDP_GROWTH.items():
        rows.append(
            StatValue(region_id="370000", indicator=Indicator.GDP, period=period, growth_pct=growth, source=SOURCE)
        )
    for adcode, growth in FAI_GROWTH_2025.items():
        rows.append(
            StatValue(region_id=adcode, indicator=Indicator.FAI, period="2025", growth_pct=growth, source=SOURCE)
        )
    for adcode, (level, growth) in GDP_2025_09.items():
        rows.append(
            StatValue(
                region_id=adcode,
                indicator=Indicator.GDP,
                period="2025-09",
                value=level * YI,
                growth_pct=growth,
                source=SOURCE,
            )
        )
    StatValue.objects.bulk_create(rows)
    gaps_recompute()


def project_build(
    pairing,
    *,
    stage: str = Stage.SIGNED,
    signed: dt.date | None = dt.date(2025, 3, 15),
    started: dt.date | None = None,
    producing: dt.date | None = None,
    planned: str = "150000000.00",
    completed: str = "0.00",
    health: str = Health.NORMAL,
    planned_start: dt.date | None = dt.date(2025, 6, 1),
    planned_production: dt.date | None = dt.date(2026, 6, 1),
) -> Project:
    return ProjectFactory(
        pairing=pairing,
        stage=stage,
        signed_date=signed,
        actual_start_date=started,
        actual_production_date=producing,
        planned_investment=Decimal(planned),
        completed_investment=Decimal(completed),
        health=health,
        planned_start_date=planned_start,
        planned_production_date=planned_production,
    )


def report_file(project: Project, period: str, cumulative: str, *, liaison, reviewer=None, status: str = "approved"):
    """A monthly report through the liaison's workflow, left at ``status`` (draft, submitted or approved)."""
    report = progress_report_save(
        project=project,
        period=period,
        data=ReportData(
            stage=project.stage,
            cumulative_investment=Decimal(cumulative),
            month_investment=Decimal(0),
            actual_start_date=project.actual_start_date,
            actual_production_date=project.actual_production_date,
        ),
        by=liaison,
    )
    if status in ("submitted", "approved"):
        report = progress_report_submit(report=report, by=liaison)
    if status == "approved":
        report = progress_report_approve(report=report, by=reviewer)
    return ProgressReport.objects.get(pk=report.pk)


def paid(fund: Fund, county, *, allocated: str, allocated_on: dt.date, payments: list[tuple[str, dt.date]]):
    """An allocation of ``fund`` to ``county`` and its tranches."""
    allocation = allocation_create(fund=fund, county=county, amount=Decimal(allocated), allocated_on=allocated_on)
    for amount, day in payments:
        disbursement_create(allocation=allocation, amount=Decimal(amount), paid_on=day)
    return allocation
