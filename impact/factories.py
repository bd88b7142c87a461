"""Factories of impact estimates, and a generator of county panels with a known effect for tests, demos and the
benchmark."""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from pairing.factories import CountyFactory, ProgramFactory
from pairing.models import Region
from stats.models import StatValue

from .models import ImpactCounty, ImpactResult


class ImpactResultFactory(DjangoModelFactory):
    class Meta:
        model = ImpactResult
        django_get_or_create = ("program", "indicator")

    program = factory.SubFactory(ProgramFactory)
    indicator = "gdp"
    first_treated_period = "2025"
    pre_periods = ["2020", "2021", "2022", "2023", "2024"]
    post_periods = ["2025"]
    donor_count = 20
    pooled = factory.LazyFunction(
        lambda: {
            "effect_pp": 1.2,
            "ci_low": 0.3,
            "ci_high": 2.1,
            "p_value": 0.012,
            "event_study": [
                {"period": -3, "coef": 0.1, "ci_low": -0.6, "ci_high": 0.8},
                {"period": 0, "coef": 1.2, "ci_low": 0.3, "ci_high": 2.1},
            ],
            "pre_trend_p": 0.61,
            "pre_trend": False,
            "note": "",
        }
    )


class ImpactCountyFactory(DjangoModelFactory):
    class Meta:
        model = ImpactCounty

    result = factory.SubFactory(ImpactResultFactory)
    region = factory.SubFactory(CountyFactory)
    effects = factory.LazyFunction(lambda: [{"period": "2025", "effect_pp": 1.1}])
    pre_rmspe = 0.42
    placebo_p = 0.05
    donors = factory.LazyFunction(lambda: [{"region": "370481", "weight": 0.6}, {"region": "370406", "weight": 0.4}])
    path = factory.LazyFunction(
        lambda: [
            {"period": "2024", "actual": 5.0, "synthetic": 5.1},
            {"period": "2025", "actual": 6.6, "synthetic": 5.5},
        ]
    )
    placebo_ratios = factory.LazyFunction(lambda: [0.5, 0.8, 1.1, 1.6, 2.4])
    ratio = 2.6
    fit = "growth"
    note = ""


def impact_panel_write(
    *,
    weak: Sequence[Region],
    donors: Sequence[Region],
    years: Sequence[int],
    first_treated: int,
    effect_pp: float = 0.0,
    pre_trend_pp: float = 0.0,
    noise_pp: float = 0.4,
    indicator: str = "gdp",
    seed: int = 14,
    source: str = "模拟数据",
) -> int:
    """Write a yearly panel of levels and reported growth for ``weak`` and ``donors``: every county grows with a
    common provincial cycle, a county-specific constant and noise; the weak counties gain ``effect_pp`` a year from
    ``first_treated`` on, and before it drift by ``pre_trend_pp`` a year (0 = parallel trends). Returns the rows
    written. Run ``stats.services.gaps_recompute`` afterwards."""
    rng = random.Random(seed)
    cycle = {year: 6.0 + 1.5 * rng.uniform(-1, 1) for year in years}
    weak_codes = {county.adcode for county in weak}
    rows = []
    for county in [*weak, *donors]:
        level = rng.uniform(1.5e10, 6e10)
        own = rng.uniform(-0.8, 0.8)
        for index, year in enumerate(years):
            growth = cycle[year] + own + rng.gauss(0, noise_pp)
            if county.adcode in weak_codes:
                growth += effect_pp if year >= first_treated else pre_trend_pp * (year - first_treated)
            level *= 1 + growth / 100
            rows.append(
                StatValue(
                    region=county,
                    indicator=indicator,
                    period=str(year),
                    value=Decimal(f"{level:.2f}"),
                    growth_pct=Decimal(f"{growth:.4f}") if index else None,
                    source=source,
                )
            )
    StatValue.objects.bulk_create(rows)
    return len(rows)
