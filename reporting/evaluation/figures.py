"""What the evaluation report states, gathered at full precision (decimals as strings): gaps and ranks from the
statistics (the same GapResult rows and ``gaps_summary`` as the API), projects, money and targets per weak county.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone, translation

from common.money import FEN
from pairing.models import CountyRole, Pairing, PairingStatus, Program, ProgramCounty, Region, RegionLevel
from stats.models import GapResult, Indicator, StatValue
from stats.selectors import gaps_summary

from ..models import Target
from ..selectors import completed_investment_as_of, guidance_received
from ..targets import targets_progress
from .narrative import evaluation_narrative

RANK_HISTORY_YEARS = 5
FIGURES_VERSION = 1


# --- The figures ------------------------------------------------------------------------------------------------------


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _money(value: Decimal | None) -> str:
    return str(Decimal(value or 0).quantize(FEN))


def _partners(program: Program, weak: list[str]) -> dict[str, Pairing]:
    """Each weak county's pairing in the program: the active one, else the one that started last."""
    chosen: dict[str, Pairing] = {}
    pairings = (
        Pairing.objects.filter(program=program, weak_county__in=weak)
        .select_related("strong_county")
        .order_by("weak_county", "-start_date", "-pk")
    )
    for pairing in pairings:
        current = chosen.get(pairing.weak_county_id)
        if current is None or (current.status != PairingStatus.ACTIVE and pairing.status == PairingStatus.ACTIVE):
            chosen[pairing.weak_county_id] = pairing
    return chosen


def _gap_figures(result: GapResult) -> dict[str, Any]:
    return {
        "growth_pct": _s(result.growth_pct),
        "growth_derived": result.growth_derived,
        "province_growth_pct": _s(result.province_growth_pct),
        "gap_pp": _s(result.gap_pp),
        "level": _s(result.level),
        "previous_level": _s(result.previous_level),
        "rank": result.rank,
        "previous_rank": result.previous_rank,
        "rank_change": result.rank_change,
        "ranked_count": result.ranked_count,
        "in_bottom_ten": result.in_bottom_ten,
        "was_in_bottom_ten": result.was_in_bottom_ten,
        "exited_bottom_ten": result.exited_bottom_ten,
        "release": result.release,
    }


def _rank_history(weak: list[str], year: int) -> dict[str, list[dict[str, Any]]]:
    """GDP rank by year, up to ``year`` (the last ``RANK_HISTORY_YEARS`` years); the year before the first result
    comes from that result's previous rank when the engine has no row for it."""
    first_year = year - RANK_HISTORY_YEARS + 1
    results = GapResult.objects.filter(
        region__in=weak,
        indicator=Indicator.GDP,
        period__regex=r"^[0-9]{4}$",
        period__gte=str(first_year),
        period__lte=str(year),
    ).order_by("region", "period")
    history: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for result in results:
        history[result.region_id][int(result.period)] = {
            "period": result.period,
            "rank": result.rank,
            "ranked_count": result.ranked_count or None,
        }
        before = int(result.period) - 1
        if result.previous_rank is not None and before >= first_year:
            history[result.region_id].setdefault(
                before, {"period": str(before), "rank": result.previous_rank, "ranked_count": None}
            )
    return {county: [points[y] for y in sorted(points)] for county, points in history.items()}


def _project_figures(program: Program, weak: list[str], year: int) -> dict[str, dict[str, Any]]:
    """Per weak county, the projects of its pairings in the program (as in ``reporting.targets``): live projects by
    stage as they stand today, planned investment, investment completed as of the year's last approved monthly
    report, and what was signed / started / went into production in the year. Terminated projects are counted
    apart and left out of everything else."""
    from projects.models import Health, Project, Stage

    rows = (
        Project.objects.filter(pairing__program=program, pairing__weak_county__in=weak)
        .annotate(done=completed_investment_as_of(f"{year}-12"))
        .values_list(
            "pairing__weak_county",
            "stage",
            "health",
            "planned_investment",
            "done",
            "signed_date",
            "actual_start_date",
            "actual_production_date",
        )
        .order_by("pk")
    )

    def empty() -> dict[str, Any]:
        return {
            "count": 0,
            "stages": dict.fromkeys(Stage.values, 0),
            "stalled": 0,
            "terminated": 0,
            "planned_investment": Decimal(0),
            "completed_investment": Decimal(0),
            "signed_in_year": 0,
            "started_in_year": 0,
            "producing_in_year": 0,
        }

    figures: dict[str, dict[str, Any]] = {county: empty() for county in weak}
    for county, stage, health, planned, done, signed, started, producing in rows:
        entry = figures[county]
        if health == Health.TERMINATED:
            entry["terminated"] += 1
            continue
        entry["count"] += 1
        entry["stages"][stage] += 1
        entry["stalled"] += health == Health.STALLED
        entry["planned_investment"] += planned or 0
        entry["completed_investment"] += done or 0
        entry["signed_in_year"] += bool(signed and signed.year == year)
        entry["started_in_year"] += bool(started and started.year == year)
        entry["producing_in_year"] += bool(producing and producing.year == year)
    for entry in figures.values():
        entry["planned_investment"] = _money(entry["planned_investment"])
        entry["completed_investment"] = _money(entry["completed_investment"])
    return figures


def _money_figures(program: Program, weak: list[str], year: int) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The year's guidance fund, what each weak county received from the program's guidance funds in the year
    (disbursements paid in it, as ``reporting.targets`` counts them), its allocations from the year's fund, and its
    special-bond quota of the year's plan with the bonds issued against its quotas in the year."""
    from funds.models import Allocation, BondIssue, BondQuota, Fund, FundKind

    fund = Fund.objects.filter(program=program, year=year, kind=FundKind.GUIDANCE).first()
    paid = guidance_received(programs=[program.pk], counties=weak, years=[year])
    received = {county: total for (_program, county, _year), total in paid.items()}
    allocated: dict[str, Decimal] = {}
    if fund is not None:
        allocated = dict(
            Allocation.objects.filter(fund=fund, county__in=weak)
            .values("county")
            .annotate(total=Sum("amount"))
            .values_list("county", "total")
            .order_by()
        )
    quotas = dict(
        BondQuota.objects.filter(plan__program=program, plan__year=year, county__in=weak)
        .values_list("county", "quota")
        .order_by()
    )
    issued = dict(
        BondIssue.objects.filter(quota__plan__program=program, quota__county__in=weak, issue_date__year=year)
        .values("quota__county")
        .annotate(total=Sum("amount"))
        .values_list("quota__county", "total")
        .order_by()
    )
    per_county = {
        county: {
            "guidance_received": _money(received.get(county, (None, 0))[0]),
            "disbursements": int(received.get(county, (None, 0))[1] or 0),
            "guidance_allocated": _money(allocated.get(county)),
            "bond_quota": _s(quotas[county]) if county in quotas else None,
            "bonds_issued": _money(issued.get(county)),
        }
        for county in weak
    }
    program_money = {
        "guidance_fund": None
        if fund is None
        else {"total": _s(fund.total), "allocated": _s(fund.allocated), "is_sample": fund.is_sample},
        "guidance_received": _money(sum((Decimal(c["guidance_received"]) for c in per_county.values()), Decimal(0))),
        "bond_quota": _money(sum((Decimal(q) for q in quotas.values()), Decimal(0))) if quotas else None,
        "bonds_issued": _money(sum((Decimal(c["bonds_issued"]) for c in per_county.values()), Decimal(0))),
    }
    return program_money, per_county


def _target_figures(program: Program, weak: list[str], year: int) -> dict[str, list[dict[str, Any]]]:
    targets = Target.objects.filter(program=program, year=year, county__in=weak).order_by(
        "county", "metric", "indicator"
    )
    figures: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for progress in targets_progress(targets):
        target = progress.target
        figures[target.county_id].append(
            {
                "metric": target.metric,
                "indicator": target.indicator,
                "title": target.title,
                "unit": target.unit,
                "direction": target.direction,
                "threshold": _s(target.threshold),
                "baseline": _s(target.baseline),
                "target": _s(target.target),
                "actual": _s(progress.actual),
                "met": progress.met,
                "progress_pct": _s(progress.progress_pct),
                "is_sample": target.is_sample,
            }
        )
    return figures


def evaluation_figures(*, program: Program, year: int, county: Region | None = None) -> dict[str, Any]:
    """Everything the report states about ``program``'s weak counties in ``year`` — or about ``county`` alone — at
    full precision (decimals as strings), JSON-ready. A fixed number of queries whatever the number of counties.

    A county's figures are read from its own rows only: the group figures, the rank lists and the guidance fund's
    totals, which are made of every county's, are left out rather than narrowed."""
    from stats.models import DEMO_SOURCE

    period = str(year)
    designated = ProgramCounty.objects.filter(program=program, role=CountyRole.WEAK)
    if county is not None:
        designated = designated.filter(county=county)
    designations = list(designated.select_related("county__parent").order_by("county_id"))
    weak = [row.county_id for row in designations]
    partners = _partners(program, weak)
    results: dict[str, dict[str, GapResult]] = defaultdict(dict)
    for result in GapResult.objects.filter(region__in=weak, period=period):
        results[result.region_id][result.indicator] = result
    history = _rank_history(weak, year)
    if county is None:
        summary = gaps_summary(program=program, period=period)
    else:
        own = results[county.adcode].get(Indicator.GDP)
        summary = {
            "indicators": {},
            "moved_up": [county.adcode] if own and own.rank_change is not None and own.rank_change > 0 else [],
            "exited_bottom_ten": [county.adcode] if own and own.exited_bottom_ten else [],
        }
    projects = _project_figures(program, weak, year)
    program_money, money = _money_figures(program, weak, year)
    if county is not None:
        program_money["guidance_fund"] = None  # its allocated total is every county's allocations
    targets = _target_figures(program, weak, year)
    sample_statistics = StatValue.objects.filter(region__in=weak, period=period, source=DEMO_SOURCE).exists()

    shown = {code for county in results.values() for code in county} | set(summary["indicators"])
    indicators = [code for code in Indicator.values if code in shown]
    counties = []
    for row in designations:
        weak_county = row.county
        pairing = partners.get(weak_county.adcode)
        gdp = results[weak_county.adcode].get(Indicator.GDP)
        county_targets = targets.get(weak_county.adcode, [])
        parent = weak_county.parent
        counties.append(
            {
                "adcode": weak_county.adcode,
                "name": weak_county.name,
                "city": parent.name if parent and parent.level == RegionLevel.CITY else "",
                "is_sample": row.is_sample,
                "partner": None
                if pairing is None
                else {
                    "adcode": pairing.strong_county_id,
                    "name": pairing.strong_county.name,
                    "status": pairing.status,
                    "start_date": pairing.start_date.isoformat(),
                    "leader": pairing.leader,
                    "is_sample": pairing.is_sample,
                },
                "indicators": {
                    code: _gap_figures(result) for code, result in sorted(results[weak_county.adcode].items())
                },
                "gdp_rank_history": history.get(weak_county.adcode, []),
                "gdp_ranked_count": gdp.ranked_count if gdp and gdp.ranked_count else None,
                "projects": projects[weak_county.adcode],
                "money": money[weak_county.adcode],
                "targets": county_targets,
                "targets_met": sum(1 for t in county_targets if t["met"] is True),
                "targets_not_met": sum(1 for t in county_targets if t["met"] is False),
                "targets_without_actual": sum(1 for t in county_targets if t["met"] is None),
            }
        )

    gdp_results = [county[Indicator.GDP] for county in results.values() if Indicator.GDP in county]
    group = {
        code: {
            "group_growth_pct": _s(item.group_growth_pct),
            "province_growth_pct": _s(item.province_growth_pct),
            "gap_pp": _s(item.gap_pp),
            "members_covered": item.members_covered,
            "members_total": item.members_total,
            "release": item.release,
        }
        for code, item in summary["indicators"].items()
    }
    project_totals: dict[str, Any] = {
        "count": sum(c["projects"]["count"] for c in counties),
        "stages": {
            stage: sum(c["projects"]["stages"][stage] for c in counties)
            for stage in (counties[0]["projects"]["stages"] if counties else {})
        },
    }
    for key in ("stalled", "terminated", "signed_in_year", "started_in_year", "producing_in_year"):
        project_totals[key] = sum(c["projects"][key] for c in counties)
    for key in ("planned_investment", "completed_investment"):
        project_totals[key] = _money(sum((Decimal(c["projects"][key]) for c in counties), Decimal(0)))
    all_targets = [t for c in counties for t in c["targets"]]
    province = program.province
    figures: dict[str, Any] = {
        "version": FIGURES_VERSION,
        "program": {
            "code": program.code,
            "name": program.name,
            "province": program.province_id,
            "province_name": province.name if province else "",
            "start_date": program.start_date.isoformat(),
        },
        "year": year,
        "period": period,
        "scope": None if county is None else {"county": county.adcode, "name": county.name},
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),  # Beijing time: its date is printed
        "language": translation.get_language(),
        "indicators": indicators,
        "sample": {
            "designations": sum(1 for row in designations if row.is_sample),
            "pairings": sum(1 for c in counties if c["partner"] and c["partner"]["is_sample"]),
            "targets": sum(1 for t in all_targets if t["is_sample"]),
            "statistics": sample_statistics,
        },
        "group": group,
        "weak_total": len(weak),
        "moved_up": summary["moved_up"],
        "moved_down": sorted(r.region_id for r in gdp_results if r.rank_change is not None and r.rank_change < 0),
        "exited_bottom_ten": summary["exited_bottom_ten"],
        "entered_bottom_ten": sorted(r.region_id for r in gdp_results if r.in_bottom_ten and not r.was_in_bottom_ten),
        "in_bottom_ten": sorted(r.region_id for r in gdp_results if r.in_bottom_ten),
        "gdp_ranked": sum(1 for r in gdp_results if r.rank is not None),
        "gdp_rank_compared": sum(1 for r in gdp_results if r.rank_change is not None),
        "projects": project_totals,
        "money": program_money,
        "targets": {
            "total": len(all_targets),
            "met": sum(1 for t in all_targets if t["met"] is True),
            "not_met": sum(1 for t in all_targets if t["met"] is False),
            "without_actual": sum(1 for t in all_targets if t["met"] is None),
        },
        "counties": counties,
    }
    figures["narrative"] = evaluation_narrative(figures)
    return figures
