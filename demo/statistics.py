"""Sample statistics for the demo program, so the gap table, the API and the reports have figures to show.

Every figure carries ``DEMO_SOURCE`` as its source: it is invented, not published, and the admin and API show it.
The weak counties are placed near the bottom of the ranking with faster growth than the province, which is the
program's story; nothing here is a real statistic.
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.db import transaction

from pairing.models import CountyRole, Program, ProgramCounty, Region
from stats.models import DEMO_SOURCE, Indicator, StatValue
from stats.services import gaps_recompute

YEARS = ("2023", "2024", "2025")
YI = Decimal(100_000_000)
# Indicator → (province growth %, share of GDP for the level, published as a rate only?)
SHAPE = {
    Indicator.GDP: (Decimal("5.5"), Decimal(1), False),
    Indicator.FAI: (Decimal("3.0"), Decimal("0.35"), True),
    Indicator.GPBR: (Decimal("2.5"), Decimal("0.07"), False),
    Indicator.TAX: (Decimal("1.5"), Decimal("0.05"), False),
    Indicator.MAIN_TAX: (Decimal("2.0"), Decimal("0.035"), False),
}


def demo_statistics_present(*, program: Program) -> bool:
    return StatValue.objects.filter(source=DEMO_SOURCE, region__adcode__startswith=program.province_id[:2]).exists()


def demo_statistics_delete(*, program: Program) -> int:
    deleted, _ = StatValue.objects.filter(
        source=DEMO_SOURCE, region__adcode__startswith=program.province_id[:2]
    ).delete()
    return deleted


@transaction.atomic
def demo_statistics_seed(*, program: Program) -> int:
    """Create three years of sample figures for every county-level unit of the program's province and recompute
    the gaps. Returns the number of figures created (0 if they are already there)."""
    if program.province_id is None or demo_statistics_present(program=program):
        return 0
    rng = random.Random(2024)
    weak = set(ProgramCounty.objects.filter(program=program, role=CountyRole.WEAK).values_list("county_id", flat=True))
    counties = list(Region.objects.counties().filter(adcode__startswith=program.province_id[:2]).order_by("adcode"))
    values: list[StatValue] = []
    province_gdp = Decimal(0)
    for county in counties:
        # 亿元 of GDP in 2023: weak counties between 120 and 220, the others between 200 and 2,000.
        gdp = Decimal(rng.randint(120, 220) if county.adcode in weak else rng.randint(200, 2000)) * YI
        for indicator, (province_growth, share, rate_only) in SHAPE.items():
            level = (gdp * share).quantize(Decimal(1))
            for year in YEARS:
                spread = Decimal(rng.randint(-30, 30)) / 10
                boost = Decimal(rng.randint(5, 40)) / 10 if county.adcode in weak else Decimal(0)
                growth = province_growth + spread + boost
                if year != YEARS[0]:
                    level = (level * (1 + growth / 100)).quantize(Decimal(1))
                elif rate_only:
                    continue  # published as a rate: nothing to show for the base year
                values.append(
                    StatValue(
                        region=county,
                        indicator=indicator,
                        period=year,
                        # A rate-only indicator still has this year's level, from which its weight is derived.
                        value=None if rate_only and year != YEARS[-1] else level,
                        growth_pct=growth if (rate_only or indicator == Indicator.GDP) and year != YEARS[0] else None,
                        source=DEMO_SOURCE,
                    )
                )
                if indicator == Indicator.GDP and year == YEARS[-1]:
                    province_gdp += level
    province = Region.objects.get(pk=program.province_id)
    for indicator, (province_growth, _share, _rate_only) in SHAPE.items():
        for year in YEARS[1:]:
            values.append(
                StatValue(
                    region=province,
                    indicator=indicator,
                    period=year,
                    # The province's own total is published separately and differs from the sum of its counties.
                    value=(province_gdp * Decimal("1.02")).quantize(Decimal(1))
                    if indicator == Indicator.GDP and year == YEARS[-1]
                    else None,
                    growth_pct=province_growth,
                    source=DEMO_SOURCE,
                )
            )
    StatValue.objects.bulk_create(values, batch_size=1000)
    gaps_recompute(provinces=[program.province_id])
    return len(values)
