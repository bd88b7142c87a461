"""Sample targets for the demo program, marked as samples: the documents name targets for 台儿庄区 only (loaded
from the reference file); the other weak counties get illustrative ones so the dashboard has something to show."""

from __future__ import annotations

from decimal import Decimal

from pairing.models import CountyRole, Pairing, Program, ProgramCounty
from reporting.models import Direction, Metric, Target
from reporting.services import target_set
from stats.models import Indicator

YEARS = (2025, 2026)
SAMPLE_TARGETS = (
    # metric, indicator, threshold, direction, target, title
    (Metric.PROJECTS_OVER, "", Decimal("100000000"), Direction.AT_LEAST, Decimal(3), "过亿元产业帮扶项目3个以上(示例)"),
    (Metric.ORDERS_AMOUNT, "", None, Direction.AT_LEAST, Decimal("50000000"), "两地合作订单5000万元以上(示例)"),
    (Metric.SIGNED_STARTED_PCT, "", None, Direction.AT_LEAST, Decimal(100), "签约项目年底前全部开工(示例)"),
    (Metric.GAP_PP, Indicator.GDP, None, Direction.AT_LEAST, Decimal(0), "GDP增速不低于全省(示例)"),
)


def demo_targets_seed(*, program: Program) -> int:
    """Sample targets for the program's weak counties that have a pairing; documented targets are left alone.
    Idempotent: returns how many were created."""
    paired = set(Pairing.objects.active().filter(program=program).values_list("weak_county", flat=True))
    created = 0
    for county in ProgramCounty.objects.filter(program=program, role=CountyRole.WEAK, county__in=paired).select_related(
        "county"
    ):
        for year in YEARS:
            for metric, indicator, threshold, direction, target, title in SAMPLE_TARGETS:
                exists = Target.objects.filter(
                    program=program, county=county.county, year=year, metric=metric, indicator=indicator
                ).exists()
                if exists:
                    continue
                target_set(
                    program=program,
                    county=county.county,
                    year=year,
                    metric=metric,
                    indicator=indicator,
                    threshold=threshold,
                    direction=direction,
                    target=target,
                    title=title,
                    is_sample=True,
                )
                created += 1
    return created
