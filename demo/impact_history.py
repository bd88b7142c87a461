"""Earlier years of sample GDP for the demo program, so its impact estimates have pre-periods to stand on.

The statistics demo (``demo.statistics``) gives 2023–2025; with 2025 as the first treated year that leaves one year of
growth before the program, and every estimate would be a note. This adds the GDP levels of 2018–2022, back-cast
from each county's 2023 sample level with invented growth (the weak counties on the same footing as every other
county), under the same ``DEMO_SOURCE``, so ``seed_demo --reset`` deletes them with the rest. Nothing here is a real
statistic.

The estimates themselves are not computed here: they take seconds for the demo program (a synthetic control and its
placebo runs per weak county, five indicators), which every test that seeds the demo would pay. ``make run`` runs
``recompute_impact`` after ``seed_demo``, and the worker recomputes them after every gap recomputation.
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.db import transaction

from pairing.models import Program, Region
from stats.models import DEMO_SOURCE, Indicator, StatValue
from stats.services import gaps_recompute

EARLIER_YEARS = range(2018, 2023)


@transaction.atomic
def demo_impact_history_seed(*, program: Program) -> int:
    """Add the earlier sample years (if the sample 2023 figures are there and the earlier ones are not) and recompute
    the province's gaps. Returns how many figures were created."""
    if program.province_id is None:
        return 0
    prefix = program.province_id[:2]
    sample = StatValue.objects.filter(source=DEMO_SOURCE, region__adcode__startswith=prefix, indicator=Indicator.GDP)
    created = 0
    if not sample.filter(period=str(EARLIER_YEARS[0])).exists():
        rng = random.Random(2018)
        base = dict(
            sample.filter(period="2023", region__in=Region.objects.counties()).values_list("region_id", "value")
        )
        rows = []
        cycle = {year: Decimal(rng.randint(45, 75)) / 10 for year in range(EARLIER_YEARS[0] + 1, 2024)}
        for region, level in sorted(base.items()):
            if level is None:
                continue
            own = Decimal(rng.randint(-15, 15)) / 10
            for year in range(2023, EARLIER_YEARS[0], -1):
                growth = cycle[year] + own + Decimal(rng.randint(-5, 5)) / 10
                level = (level / (1 + growth / 100)).quantize(Decimal(1))
                rows.append(
                    StatValue(
                        region_id=region,
                        indicator=Indicator.GDP,
                        period=str(year - 1),
                        value=level,
                        source=DEMO_SOURCE,
                    )
                )
        StatValue.objects.bulk_create(rows, batch_size=1000)
        created = len(rows)
        if created:
            gaps_recompute(provinces=[program.province_id])
    return created
