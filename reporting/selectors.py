"""Reads behind the dashboard and the reporting API: the program's card figures, the map, gap bars, trends and the
project funnel, each scoped to the user (a liaison sees the pairings their county is in; statistics are reference
data every role reads in full)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum

from accounts.access import access_for, pairing_q, scope
from pairing.models import CountyRole, Pairing, PairingStatus, Program, ProgramCounty
from stats.models import GapResult, Indicator
from stats.selectors import gaps_summary, program_counties

from .boundaries import centre_points
from .models import Target

ZERO = Decimal("0.00")


def _year(period: str) -> int:
    return int(period[:4])


# --- Figures that mean the same on every card, target and report ----------------------------------------------------
# The dashboard's cards, the targets' actuals and the evaluation report all read these, so a figure cannot say one
# thing on a card and another in the report.


def period_last_month(period: str) -> str:
    """The month a period ends with: ``2025`` → ``2025-12``; a year-to-date month ``2025-09`` is its own."""
    return period if len(period) == 7 else f"{period[:4]}-12"


def completed_investment_as_of(month: str) -> Subquery:
    """A project's investment completed as of ``month`` (YYYY-MM), as an annotation on projects: the cumulative
    figure of its last approved monthly report of that month or before (NULL, counted as zero, when there is none).

    ``Project.completed_investment`` is the figure of the latest approved report whatever its month: summed for a
    past year it would count investment made after the year, and every year would show the same total."""
    from projects.models import ProgressReport, ReportStatus

    return Subquery(
        ProgressReport.objects.filter(project=OuterRef("pk"), status=ReportStatus.APPROVED, period__lte=month)
        .order_by("-period")
        .values("cumulative_investment")[:1]
    )


def completed_investment_total(projects: QuerySet, *, month: str) -> Decimal:
    """The investment completed by ``projects`` (terminated ones left out) as of ``month``, in yuan."""
    done = projects.live().annotate(done_as_of=completed_investment_as_of(month)).values_list("done_as_of", flat=True)
    return sum((value for value in done if value is not None), ZERO)


def guidance_received(
    *, programs: Iterable[int], counties: Iterable[str], years: Iterable[int]
) -> dict[tuple[int, str, int], tuple[Decimal, int]]:
    """What each county received from its programs' guidance funds in each year: the disbursements paid (``paid_on``)
    in the year, whichever year's fund they come from, as ``(total in yuan, number of payments)`` keyed by
    ``(program id, county adcode, year)``; a key is absent when nothing was paid."""
    from funds.models import Disbursement, FundKind

    rows = (
        Disbursement.objects.filter(
            allocation__fund__program__in=list(programs),
            allocation__fund__kind=FundKind.GUIDANCE,
            allocation__county__in=list(counties),
            paid_on__year__in=list(years),
        )
        .values("allocation__fund__program", "allocation__county", "paid_on__year")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .order_by()
    )
    return {
        (row["allocation__fund__program"], row["allocation__county"], row["paid_on__year"]): (row["total"], row["n"])
        for row in rows
    }


def scoped_pairings(*, program: Program, user) -> QuerySet[Pairing]:
    return scope(Pairing.objects.filter(program=program), user, lambda county: pairing_q(county))


def _projects(*, program: Program, user):
    from projects.models import Project

    return scope(
        Project.objects.live().filter(pairing__program=program), user, lambda county: pairing_q(county, "pairing__")
    )


def program_summary(*, program: Program, period: str, user) -> dict[str, Any]:
    """The dashboard's cards. Projects and warnings as they stand today, except the investment completed, which is
    as of the period's last month (``completed_investment_as_of``); money for the period's year; gaps for the
    period. A liaison's figures cover the pairings their county is in, and the money paid to their county."""
    from funds.models import Allocation, BondQuota, Disbursement, Fund, FundKind
    from projects.models import CrossCountyOrder, ProjectWarning, Stage, WarningColour

    access = access_for(user)
    year = _year(period)
    pairings = scoped_pairings(program=program, user=user).filter(status=PairingStatus.ACTIVE)
    pairing_counts = pairings.aggregate(
        active=Count("pk"),
        documented=Count("pk", filter=Q(is_sample=False)),
        sample=Count("pk", filter=Q(is_sample=True)),
    )
    if access.is_liaison:
        weak_counties = pairings.values("weak_county").distinct().count()
    else:
        weak_counties = ProgramCounty.objects.filter(program=program, role=CountyRole.WEAK).count()

    projects = _projects(program=program, user=user)
    by_stage = dict(projects.values_list("stage").annotate(n=Count("pk")).order_by())
    planned = projects.aggregate(total=Sum("planned_investment"))["total"]
    completed = completed_investment_total(projects, month=period_last_month(period))

    guidance = Fund.objects.filter(program=program, year=year, kind=FundKind.GUIDANCE)
    allocations = Allocation.objects.filter(fund__in=guidance)
    disbursements = Disbursement.objects.filter(allocation__fund__in=guidance)
    quotas = BondQuota.objects.filter(plan__program=program, plan__year=year)
    if access.is_liaison:
        allocations = allocations.filter(county=access.county)
        disbursements = disbursements.filter(allocation__county=access.county)
        quotas = quotas.filter(county=access.county)
        fund_total = allocations.aggregate(total=Sum("amount"))["total"] or ZERO
    elif access.sees_everything:
        fund_total = guidance.aggregate(total=Sum("total"))["total"] or ZERO
    else:
        allocations, disbursements, quotas = allocations.none(), disbursements.none(), quotas.none()
        fund_total = ZERO
    allocated = allocations.aggregate(total=Sum("amount"))["total"] or ZERO
    disbursed = disbursements.aggregate(total=Sum("amount"))["total"] or ZERO
    bonds = quotas.aggregate(quota=Sum("quota"), issued=Sum("issued"))

    orders = CrossCountyOrder.objects.filter(pairing__in=pairings, signed_date__year=year).aggregate(
        count=Count("pk"), amount=Sum("amount")
    )
    colours = dict(
        ProjectWarning.objects.filter(project__in=projects).values_list("colour").annotate(n=Count("pk")).order_by()
    )

    gaps = gaps_summary(program=program, period=period)
    gdp = gaps["indicators"].get(Indicator.GDP)
    return {
        "program": program.code,
        "program_name": program.name,
        "period": period,
        "year": year,
        "scope": f"county:{access.county}" if access.is_liaison else "province",
        "pairings": pairing_counts,
        "weak_counties": weak_counties,
        "projects": {
            "total": sum(by_stage.values()),
            "by_stage": [
                {"stage": value, "label": str(label), "count": by_stage.get(value, 0)} for value, label in Stage.choices
            ],
            "planned_investment": planned or ZERO,
            "completed_investment": completed,
        },
        "guidance_fund": {
            "total": fund_total,
            "allocated": allocated,
            "disbursed": disbursed,
            "used_pct": (disbursed / fund_total * 100) if fund_total else None,
        },
        "bonds": {"quota": bonds["quota"] or ZERO, "issued": bonds["issued"] or ZERO},
        "orders": {"count": orders["count"], "amount": orders["amount"] or ZERO},
        "warnings": {colour: colours.get(colour, 0) for colour in WarningColour.values},
        "gdp": {
            "group_growth_pct": gdp.group_growth_pct if gdp else None,
            "province_growth_pct": gdp.province_growth_pct if gdp else None,
            "gap_pp": gdp.gap_pp if gdp else None,
            "members_covered": gdp.members_covered if gdp else 0,
            "members_total": gdp.members_total if gdp else weak_counties,
        },
        "moved_up": gaps["moved_up"],
        "exited_bottom_ten": gaps["exited_bottom_ten"],
    }


def map_data(*, program: Program, period: str, user) -> dict[str, Any]:
    """Every county of the map with its role and GDP gap, and a line from each strong county to its weak partner
    (the pairings the user may see)."""
    counties = list(program_counties(program).values_list("adcode", "name"))
    roles = dict(ProgramCounty.objects.filter(program=program).values_list("county_id", "role"))
    results = {
        r.region_id: r
        for r in GapResult.objects.filter(region__in=[c for c, _ in counties], indicator=Indicator.GDP, period=period)
    }
    centres = centre_points(program.province_id) if program.province_id else {}
    pairings = scoped_pairings(program=program, user=user).filter(status=PairingStatus.ACTIVE)
    pairings = pairings.select_related("strong_county", "weak_county").order_by("weak_county")
    paired = {p.weak_county_id for p in pairings} | {p.strong_county_id for p in pairings}
    rows = []
    for adcode, name in counties:
        result = results.get(adcode)
        rows.append(
            {
                "adcode": adcode,
                "name": name,
                "role": roles.get(adcode),
                "paired": adcode in paired,
                "gdp_gap_pp": result.gap_pp if result else None,
                "gdp_rank": result.rank if result else None,
            }
        )
    links = [
        {
            "strong": p.strong_county_id,
            "strong_name": p.strong_county.name,
            "weak": p.weak_county_id,
            "weak_name": p.weak_county.name,
            "from_point": centres.get(p.strong_county_id),
            "to_point": centres.get(p.weak_county_id),
            "is_sample": p.is_sample,
        }
        for p in pairings
    ]
    return {
        "program": program.code,
        "period": period,
        "province": program.province_id,
        "counties": rows,
        "links": links,
    }


def weak_counties(program: Program) -> list[tuple[str, str]]:
    return list(
        ProgramCounty.objects.filter(program=program, role=CountyRole.WEAK)
        .order_by("county_id")
        .values_list("county_id", "county__name")
    )


def gap_bars(*, program: Program, period: str) -> list[dict[str, Any]]:
    """Each weak county's gap to the province per indicator (one row per county and indicator with a result)."""
    counties = weak_counties(program)
    names = dict(counties)
    results = GapResult.objects.filter(region__in=names, period=period).order_by("region_id", "indicator")
    order = {code: i for i, code in enumerate(Indicator.values)}
    rows = [
        {
            "county": r.region_id,
            "name": names[r.region_id],
            "indicator": r.indicator,
            "indicator_label": str(Indicator(r.indicator).label),
            "growth_pct": r.growth_pct,
            "province_growth_pct": r.province_growth_pct,
            "gap_pp": r.gap_pp,
        }
        for r in results
    ]
    rows.sort(key=lambda row: (row["county"], order.get(row["indicator"], 99)))
    return rows


def gap_trends(*, program: Program, indicator: str) -> list[dict[str, Any]]:
    """Each weak county's gap and rank across the annual periods, oldest first."""
    names = dict(weak_counties(program))
    results = (
        GapResult.objects.filter(region__in=names, indicator=indicator, period__regex=r"^[0-9]{4}$")
        .order_by("period", "region_id")
        .values("region_id", "period", "gap_pp", "rank", "rank_change")
    )
    return [
        {
            "county": r["region_id"],
            "name": names[r["region_id"]],
            "period": r["period"],
            "gap_pp": r["gap_pp"],
            "rank": r["rank"],
            "rank_change": r["rank_change"],
        }
        for r in results
    ]


def project_funnel(*, program: Program, user) -> list[dict[str, Any]]:
    """How many live projects reached at least each stage (储备 → 签约 → 开工 → 投产 → 达效)."""
    from projects.models import Stage

    counts = dict(_projects(program=program, user=user).values_list("stage").annotate(n=Count("pk")).order_by())
    stages = list(Stage.choices)
    rows = []
    for i, (value, label) in enumerate(stages):
        reached = sum(counts.get(later, 0) for later, _label in stages[i:])
        rows.append({"stage": value, "label": str(label), "reached": reached, "now": counts.get(value, 0)})
    return rows


def scoped_targets(*, user) -> QuerySet[Target]:
    """Targets the user may see: a liaison those of the counties of their pairings."""

    def liaison_q(county: str) -> Q:
        partners = Pairing.objects.filter(pairing_q(county)).values_list("weak_county", flat=True)
        return Q(county__in=partners) | Q(county=county)

    return scope(Target.objects.select_related("program", "county"), user, liaison_q)


def years_with_money(program: Program) -> set[int]:
    """The years in which the program has money or orders to show: a guidance fund, a bond plan, a disbursement
    paid or a cross-county order signed."""
    from funds.models import BondPlan, Disbursement, Fund
    from projects.models import CrossCountyOrder

    years = set(Fund.objects.filter(program=program).values_list("year", flat=True))
    years |= set(BondPlan.objects.filter(program=program).values_list("year", flat=True))
    paid = Disbursement.objects.filter(allocation__fund__program=program).dates("paid_on", "year")
    signed = CrossCountyOrder.objects.filter(pairing__program=program).dates("signed_date", "year")
    years |= {day.year for day in [*paid, *signed]}
    return years


def default_period(program: Program, periods: list[str]) -> str:
    """The period the dashboard opens on: the latest year with both statistics and money (so a new year whose
    statistics or money are not in yet does not open on empty cards), else the latest year with statistics, else
    the latest period with statistics; ``periods`` are newest first."""
    annual = [p for p in periods if len(p) == 4]
    money = years_with_money(program)
    for period in annual:
        if int(period) in money:
            return period
    if annual:
        return annual[0]
    return periods[0] if periods else ""


def periods_with_results(program: Program) -> list[str]:
    """The periods the gap engine has results for in the program's counties, newest first."""
    counties = ProgramCounty.objects.filter(program=program).values("county")
    periods = set(GapResult.objects.filter(region__in=counties).values_list("period", flat=True).distinct())
    return sorted(periods, reverse=True)
