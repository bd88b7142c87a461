"""Reads for the gap engine and the gap API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import Substr

from common.periods import same_period_year_before
from pairing.models import CountyRole, Program, ProgramCounty, Region

from . import rules
from .models import GapResult, Indicator, ReleaseKind, StatValue


@dataclass(frozen=True)
class EffectiveValue:
    """The figure in force for (region, indicator, period): the latest release, ranked among its province's
    county-level units by level."""

    region: str
    indicator: str
    period: str
    value: Decimal | None
    growth_pct: Decimal | None
    release: str
    as_of: object
    level: str
    rank: int | None
    ranked_count: int


def effective_values_query(
    *,
    periods: Sequence[str] | None = None,
    provinces: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
) -> tuple[str, list[str]]:
    """The SQL of ``effective_values`` and its parameters, one row per (region, indicator, period) of the
    provinces' own rows and their county-level units. ``stats.services`` also runs it as a subquery on PostgreSQL,
    so the release choice and the ranks are written down once.

    ``regions`` reads those regions alone: their release choice is the same, but a county's rank is then taken
    among the regions read only, so pass it only for figures that are not ranked (a province's own row)."""
    values = StatValue._meta.db_table
    region_table = Region._meta.db_table
    where = ["r.level IN ('province', 'county')"]
    params: list[str] = []
    if periods:
        where.append(f"v.period IN ({', '.join(['%s'] * len(periods))})")
        params.extend(periods)
    if provinces:
        # The province's adcodes as a range of the key ('37' <= adcode < '38': adcodes are six digits), which the
        # index on region_id serves; SUBSTR(region_id, 1, 2) read the whole table for one province.
        ranges = []
        for code in provinces:
            ranges.append("(v.region_id >= %s AND v.region_id < %s)")
            params.extend([code[:2], f"{int(code[:2]) + 1:02d}"])
        where.append(f"({' OR '.join(ranges)})")
    if regions:
        where.append(f"v.region_id IN ({', '.join(['%s'] * len(regions))})")
        params.extend(regions)
    sql = f"""
        WITH releases AS (
            SELECT v.region_id, v.indicator, v.period, v.value, v.growth_pct, v.release, v.as_of, r.level,
                   ROW_NUMBER() OVER (
                       PARTITION BY v.region_id, v.indicator, v.period
                       ORDER BY CASE v.release WHEN 'revised' THEN 1 ELSE 0 END DESC,
                                v.as_of DESC NULLS LAST, v.id DESC
                   ) AS pick
              FROM {values} v
              JOIN {region_table} r ON r.adcode = v.region_id
             WHERE {" AND ".join(where)}
        ),
        latest AS (
            SELECT *, CASE WHEN level = 'county' AND value IS NOT NULL THEN 1 ELSE 0 END AS ranked
              FROM releases
             WHERE pick = 1
        )
        SELECT region_id, indicator, period, value, growth_pct, release, as_of, level,
               CASE WHEN ranked = 1 THEN
                   RANK() OVER (PARTITION BY SUBSTR(region_id, 1, 2), indicator, period, ranked ORDER BY value DESC)
               END AS rank,
               CASE WHEN ranked = 1 THEN
                   COUNT(*) OVER (PARTITION BY SUBSTR(region_id, 1, 2), indicator, period, ranked)
               ELSE 0 END AS ranked_count
          FROM latest
    """
    return sql, params


def effective_values(
    *,
    periods: Sequence[str] | None = None,
    provinces: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
) -> list[EffectiveValue]:
    """One statement: pick the latest release of every figure (revised over preliminary, then the latest
    ``as_of``), then rank county-level units within their province by level with a window function (see
    ``effective_values_query`` for ``regions``)."""
    sql, params = effective_values_query(periods=periods, provinces=provinces, regions=regions)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    to_decimal = _decimal_converter()
    return [
        EffectiveValue(
            region=row[0],
            indicator=row[1],
            period=row[2],
            value=to_decimal(row[3]),
            growth_pct=to_decimal(row[4]),
            release=row[5],
            as_of=row[6],
            level=row[7],
            rank=row[8],
            ranked_count=row[9] or 0,
        )
        for row in rows
    ]


def _decimal_converter():
    """Raw SQLite rows carry decimals as floats or text; PostgreSQL hands back ``Decimal``. Normalise to Decimal."""
    if connection.vendor == "postgresql":
        return lambda value: value

    def convert(value):
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(str(value))

    return convert


# --- Gap reads for a program ----------------------------------------------------------------------------------------


def program_roles(program: Program) -> dict[str, str]:
    """adcode → 'weak' / 'strong' for the counties of a program."""
    return dict(ProgramCounty.objects.filter(program=program).values_list("county_id", "role"))


def program_counties(program: Program) -> QuerySet[Region]:
    """The county-level units a program's gaps and ranks are read over: its province's, or its own counties."""
    if program.province_id is None:
        return Region.objects.filter(program_roles__program=program).distinct()
    return Region.objects.counties().filter(adcode__startswith=program.province_id[:2])


def gap_rows(*, program: Program, period: str, indicator: str) -> list[GapRow]:
    """One row per county-level unit of the program's province, results or not, ordered by rank."""
    counties = program_counties(program)
    results = {
        result.region_id: result
        for result in GapResult.objects.filter(region__in=counties, indicator=indicator, period=period)
    }
    roles = program_roles(program)
    rows = [
        GapRow(region=county, role=roles.get(county.adcode), result=results.get(county.adcode))
        for county in counties.only("adcode", "name")
    ]

    def order(row: GapRow) -> tuple:
        rank = row.result.rank if row.result else None
        return (rank is None, rank or 0, row.region.adcode)

    rows.sort(key=order)
    return rows


@dataclass(frozen=True)
class GapRow:
    region: Region
    role: str | None
    result: GapResult | None


@dataclass(frozen=True)
class IndicatorSummary:
    group_growth_pct: Decimal | None
    province_growth_pct: Decimal | None
    gap_pp: Decimal | None
    members_covered: int
    members_total: int
    release: str


def gaps_summary(*, program: Program, period: str) -> dict:
    """The program's weak counties as a group against the province, per indicator, plus GDP rank movements."""
    weak = list(ProgramCounty.objects.filter(program=program, role=CountyRole.WEAK).values_list("county_id", flat=True))
    results = list(GapResult.objects.filter(region__in=weak, period=period))
    by_indicator: dict[str, list[GapResult]] = {}
    for result in results:
        by_indicator.setdefault(result.indicator, []).append(result)
    province_growth = _province_growth(program, period)
    indicators: dict[str, IndicatorSummary] = {}
    for indicator in Indicator.values:
        members = by_indicator.get(indicator, [])
        if not members and indicator not in province_growth:
            continue
        present = {m.region_id for m in members}
        group = rules.group_growth(
            [rules.Member(m.growth_pct, m.level, m.previous_level) for m in members]
            + [rules.Member(None, None, None)] * len(set(weak) - present)
        )
        provincial = province_growth.get(indicator)
        releases = {m.release for m in members}
        indicators[indicator] = IndicatorSummary(
            group_growth_pct=group.growth_pct,
            province_growth_pct=provincial,
            gap_pp=rules.gap_pp(group.growth_pct, provincial),
            members_covered=group.members_covered,
            members_total=len(weak),
            release=ReleaseKind.REVISED if ReleaseKind.REVISED in releases else (releases.pop() if releases else ""),
        )
    gdp = by_indicator.get(Indicator.GDP, [])
    return {
        "indicators": indicators,
        "moved_up": sorted(r.region_id for r in gdp if r.rank_change is not None and r.rank_change > 0),
        "exited_bottom_ten": sorted(r.region_id for r in gdp if r.exited_bottom_ten),
    }


def _province_growth(program: Program, period: str) -> dict[str, Decimal]:
    """The province's own growth per indicator (reported, else derived from its own levels)."""
    if program.province_id is None:
        return {}
    # The province's own row alone (the index on region_id serves it): reading the whole province to rank its
    # counties cost a hundred milliseconds of the dashboard's summary at national volume, for ranks not used here.
    values = effective_values(periods=[period, same_period_year_before(period)], regions=[program.province_id])
    own = {(v.indicator, v.period): v for v in values if v.region == program.province_id}
    growth: dict[str, Decimal] = {}
    for (indicator, value_period), value in own.items():
        if value_period != period:
            continue
        before = own.get((indicator, same_period_year_before(period)))
        g, _derived = rules.growth_pct(
            reported=value.growth_pct, level=value.value, previous_level=before.value if before else None
        )
        if g is not None:
            growth[indicator] = g
    return growth


def gap_history(*, region: Region, indicator: str | None = None) -> list[GapResult]:
    """A county's results across periods (oldest first), for trend charts."""
    results = GapResult.objects.filter(region=region)
    if indicator:
        results = results.filter(indicator=indicator)
    return list(results.order_by("indicator", "period"))


def provinces_with_figures() -> list[str]:
    """The provinces (adcodes) whose gaps a full recompute writes or may delete: those with statistics of their
    own units or results already stored. The nightly job queues one recompute per province."""
    with_values = {
        f"{prefix}0000"
        for prefix in StatValue.objects.order_by()
        .annotate(prefix=Substr("region_id", 1, 2))
        .values_list("prefix", flat=True)
        .distinct()
    }
    with_results = set(GapResult.objects.order_by().values_list("province_id", flat=True).distinct())
    provinces = set(Region.objects.filter(level="province").values_list("adcode", flat=True))
    return sorted((with_values | with_results) & provinces)
