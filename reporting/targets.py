"""Targets' actuals, computed from the data (never typed in), and how far each target is met.

At most four queries for a whole page of targets, whatever their number and metrics: the projects (with each
year's last approved investment), the orders, the disbursements and the gap results. What each metric counts:

- ``projects_over`` — live projects of the county's pairings (the county is the weak side) signed on or before the
  year's end with a planned investment of at least the target's threshold;
- ``projects_started`` — live projects of those pairings whose construction started in the year;
- ``signed_started_pct`` — of the live projects signed on or before the year's end, the share (%) that had started
  construction by then; none signed → no actual;
- ``orders_amount`` — cross-county orders of those pairings signed in the year (yuan);
- ``completed_investment`` — the investment completed by the pairings' live projects as of the year's last
  approved monthly report of each project (yuan; ``reporting.selectors.completed_investment_as_of``, which the
  dashboard and the evaluation report read too);
- ``funds_received`` — guidance-fund disbursements of the program paid to the county in the year (yuan;
  ``reporting.selectors.guidance_received``, as in the evaluation report);
- ``gap_pp`` / ``rank`` — the county's growth gap to the province (pp) / rank among the province's county-level
  units for the target's indicator and the year, from the gap engine's results.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from .models import Direction, Metric, Target
from .selectors import completed_investment_as_of, guidance_received

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TargetProgress:
    target: Target
    actual: Decimal | None
    met: bool | None  # None: no actual yet
    progress_pct: Decimal | None  # 100 = reached; measured from the baseline when there is one

    @property
    def bar_pct(self) -> int:
        """The progress for a bar: 0–100."""
        if self.progress_pct is None:
            return 0
        return int(max(Decimal(0), min(HUNDRED, self.progress_pct)))


def progress_pct(
    *, actual: Decimal | None, target: Decimal, baseline: Decimal | None, direction: str
) -> Decimal | None:
    """How far from the baseline (or from zero) towards the target the actual has come, in % (100 = reached)."""
    if actual is None:
        return None
    if direction == Direction.AT_LEAST:
        start = baseline if baseline is not None else Decimal(0)
        if target <= start:
            return HUNDRED if actual >= target else Decimal(0)
        return (actual - start) / (target - start) * HUNDRED
    # At most (e.g. a rank): progress only makes sense against a baseline above the target.
    if baseline is None or baseline <= target:
        return HUNDRED if actual <= target else Decimal(0)
    return (baseline - actual) / (baseline - target) * HUNDRED


def is_met(*, actual: Decimal | None, target: Decimal, direction: str) -> bool | None:
    if actual is None:
        return None
    return actual >= target if direction == Direction.AT_LEAST else actual <= target


def targets_progress(targets: Iterable[Target]) -> list[TargetProgress]:
    """Each target with its actual, computed from the data."""
    targets = list(targets)
    actuals = _actuals(targets)
    out = []
    for target in targets:
        actual = actuals.get(target.pk)
        out.append(
            TargetProgress(
                target=target,
                actual=actual,
                met=is_met(actual=actual, target=target.target, direction=target.direction),
                progress_pct=progress_pct(
                    actual=actual, target=target.target, baseline=target.baseline, direction=target.direction
                ),
            )
        )
    return out


def _year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def _actuals(targets: list[Target]) -> dict[int, Decimal | None]:
    from projects.models import STAGES_NEEDING_SIGNING, CrossCountyOrder, Project
    from stats.models import GapResult

    by_metric: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        by_metric[target.metric].append(target)
    actuals: dict[int, Decimal | None] = {}

    project_metrics = (
        Metric.PROJECTS_OVER,
        Metric.PROJECTS_STARTED,
        Metric.SIGNED_STARTED_PCT,
        Metric.COMPLETED_INVESTMENT,
    )
    project_group = [t for metric in project_metrics for t in by_metric.get(metric, [])]
    # Each of the four queries runs for any non-empty page, over the page's programs, counties and years, so a
    # page costs the same number of queries whatever mix of metrics it holds.
    if not targets:
        return actuals
    programs = {t.program_id for t in targets}
    counties = {t.county_id for t in targets}
    years = {t.year for t in targets}
    # One query for the four project metrics: the projects of the targets' pairings, each with its investment
    # as of the last approved report of every year the targets name (one annotation per year).
    done_by_year = {f"done_{year}": completed_investment_as_of(f"{year}-12") for year in years}
    rows = list(
        Project.objects.live()
        .filter(pairing__program__in=programs, pairing__weak_county__in=counties)
        .annotate(**done_by_year)
        .values(
            "pairing__program",
            "pairing__weak_county",
            "stage",
            "signed_date",
            "actual_start_date",
            "planned_investment",
            *done_by_year,
        )
    )
    rows_of: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for row in rows:
        rows_of[(row["pairing__program"], row["pairing__weak_county"])].append(row)
    for target in project_group:
        end = _year_end(target.year)
        mine = rows_of.get((target.program_id, target.county_id), [])
        signed = [r for r in mine if r["signed_date"] is not None and r["signed_date"] <= end]
        if target.metric == Metric.PROJECTS_OVER:
            threshold = target.threshold or Decimal(0)
            actuals[target.pk] = Decimal(
                sum(1 for r in signed if r["stage"] in STAGES_NEEDING_SIGNING and r["planned_investment"] >= threshold)
            )
        elif target.metric == Metric.PROJECTS_STARTED:
            actuals[target.pk] = Decimal(
                sum(1 for r in mine if r["actual_start_date"] and r["actual_start_date"].year == target.year)
            )
        elif target.metric == Metric.SIGNED_STARTED_PCT:
            started = sum(1 for r in signed if r["actual_start_date"] and r["actual_start_date"] <= end)
            actuals[target.pk] = Decimal(started) * HUNDRED / Decimal(len(signed)) if signed else None
        else:
            total = sum((r[f"done_{target.year}"] or Decimal("0.00") for r in mine), Decimal("0.00"))
            actuals[target.pk] = total

    group = by_metric.get(Metric.ORDERS_AMOUNT, [])
    sums = {
        (r["pairing__program"], r["pairing__weak_county"], r["signed_date__year"]): r["total"]
        for r in CrossCountyOrder.objects.filter(
            pairing__program__in=programs, pairing__weak_county__in=counties, signed_date__year__in=years
        )
        .values("pairing__program", "pairing__weak_county", "signed_date__year")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    for target in group:
        actuals[target.pk] = sums.get((target.program_id, target.county_id, target.year)) or Decimal("0.00")

    group = by_metric.get(Metric.FUNDS_RECEIVED, [])
    received = guidance_received(programs=programs, counties=counties, years=years)
    for target in group:
        total, _count = received.get((target.program_id, target.county_id, target.year), (Decimal("0.00"), 0))
        actuals[target.pk] = total

    gap_targets = by_metric.get(Metric.GAP_PP, []) + by_metric.get(Metric.RANK, [])
    results = {
        (r.region_id, r.indicator, r.period): r
        for r in GapResult.objects.filter(region__in=counties, period__in=[str(y) for y in years])
    }
    for target in gap_targets:
        result = results.get((target.county_id, target.indicator, str(target.year)))
        if result is None:
            actuals[target.pk] = None
        elif target.metric == Metric.GAP_PP:
            actuals[target.pk] = result.gap_pp
        else:
            actuals[target.pk] = Decimal(result.rank) if result.rank is not None else None
    return actuals
