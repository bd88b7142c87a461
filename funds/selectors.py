"""Reads of the money ledgers: how a fund and a special-bond plan are used, county by county.

Every selector runs a fixed number of queries whatever the number of counties, allocations or issues. Amounts are
yuan (``Decimal``); rates are percentages at full precision, rounded only where they are shown. The figures of a
fund or plan and the totals row are sums of the same per-county rows, so they always agree with the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from accounts.access import pairing_q
from common.money import MoneyField
from common.periods import rate_pct
from pairing.models import Region
from projects.models import Stage

from .models import Allocation, BondIssue, BondPlan, BondQuota, Disbursement, Fund, FundKind, RewardShare

ZERO = Decimal("0.00")
# A bond issued for a project in one of these stages pays for work that has not begun (DOMAIN §2: flagged).
NOT_STARTED_STAGES = frozenset({Stage.PIPELINE, Stage.SIGNED})


# --- Funds ---------------------------------------------------------------------------------------------------------


def fund_liaison_q(county: str) -> Q:
    """A liaison sees the funds allocated to their county and the industry funds of their pairing."""
    allocated_here = Allocation.objects.filter(fund=OuterRef("pk"), county=county)
    return Q(Exists(allocated_here)) | pairing_q(county, "pairing__")


def fund_choice_liaison_q(county: str) -> Q:
    """The funds a liaison may name in a filter: those they see, and those whose reward run has a line for them."""
    rewarded_here = RewardShare.objects.filter(run__fund=OuterRef("pk"), county=county)
    return fund_liaison_q(county) | Q(Exists(rewarded_here))


def _money_sum(path: str, condition: Q | None = None) -> Coalesce:
    return Coalesce(Sum(path, filter=condition), Value(ZERO), output_field=MoneyField())


def funds_with_figures(queryset: QuerySet[Fund], *, county: str | None = None) -> QuerySet[Fund]:
    """``queryset`` with the money figures a reader may see: ``shown_allocated``, ``shown_disbursed`` and
    ``shown_unallocated``. For the province (``county`` None) the fund's own figures; for a county liaison
    (``county`` an adcode) what was allocated and paid to that county, and no unallocated amount, which with the
    public total would give the province's allocations away."""
    if county is None:
        return queryset.annotate(
            shown_allocated=F("allocated"),
            shown_disbursed=_money_sum("allocations__disbursed"),
            shown_unallocated=F("total") - F("allocated"),
        )
    here = Q(allocations__county=county)
    return queryset.annotate(
        shown_allocated=_money_sum("allocations__amount", here),
        shown_disbursed=_money_sum("allocations__disbursed", here),
        shown_unallocated=Value(None, output_field=MoneyField()),
    )


@dataclass(frozen=True, kw_only=True)
class FundFigures:
    """Allocated and disbursed amounts of some allocations (one county's, or a totals row)."""

    allocations: int
    allocated: Decimal
    disbursed: Decimal

    @property
    def remaining(self) -> Decimal:
        """Allocated but not yet disbursed."""
        return self.allocated - self.disbursed

    @property
    def disbursement_rate_pct(self) -> Decimal | None:
        return rate_pct(self.disbursed, self.allocated)


@dataclass(frozen=True, kw_only=True)
class CountyFundUsage(FundFigures):
    county: Region


@dataclass(frozen=True, kw_only=True)
class FundUsage:
    """A fund's use: its total, what is allocated and disbursed, and the same per weak county with allocations.

    ``counties_total`` sums the rows in ``counties``; the fund's own ``allocated`` and ``disbursed`` sum every
    county's rows. Restricted to one county (``county_only``), every figure is that county's: ``allocated`` and
    ``disbursed`` are its own, and ``unallocated`` and ``surplus`` — which with the public total would give the whole
    fund's use away — are None.
    """

    fund: Fund
    total: Decimal
    allocated: Decimal
    disbursed: Decimal
    allocation_count: int
    counties: list[CountyFundUsage]
    counties_total: FundFigures
    county_only: bool = False

    @property
    def unallocated(self) -> Decimal | None:
        return None if self.county_only else self.total - self.allocated

    @property
    def undisbursed(self) -> Decimal:
        """Allocated to counties but not yet paid out."""
        return self.allocated - self.disbursed

    @property
    def surplus(self) -> Decimal | None:
        """Total less everything disbursed: what the year-end reward run would share out today (DOMAIN §4)."""
        return None if self.county_only else self.total - self.disbursed

    @property
    def disbursement_rate_pct(self) -> Decimal | None:
        return rate_pct(self.disbursed, self.allocated)


def _sum_fund_figures(rows: list[CountyFundUsage]) -> FundFigures:
    return FundFigures(
        allocations=sum(row.allocations for row in rows),
        allocated=sum((row.allocated for row in rows), ZERO),
        disbursed=sum((row.disbursed for row in rows), ZERO),
    )


def fund_usage(*, fund: Fund, county: str | None = None) -> FundUsage:
    """How ``fund`` is used, per weak county (by adcode). One query.

    ``county`` (an adcode, for a county liaison) keeps only that county's row, and the fund's figures become that
    county's (``FundUsage.county_only``); the total, the fund's announced size, stays.
    """
    regions = (
        Region.objects.filter(fund_allocations__fund=fund)
        .annotate(
            allocation_count=Count("fund_allocations"),
            allocated_sum=Sum("fund_allocations__amount"),
            disbursed_sum=Sum("fund_allocations__disbursed"),
        )
        .order_by("adcode")
    )
    rows = [
        CountyFundUsage(
            county=region,
            allocations=region.allocation_count,
            allocated=region.allocated_sum,
            disbursed=region.disbursed_sum,
        )
        for region in regions
    ]
    if county is not None:
        rows = [row for row in rows if row.county.pk == county]
    whole = _sum_fund_figures(rows)
    return FundUsage(
        fund=fund,
        total=fund.total,
        allocated=whole.allocated,
        disbursed=whole.disbursed,
        allocation_count=whole.allocations,
        counties=rows,
        counties_total=whole,
        county_only=county is not None,
    )


def fund_allocations(*, fund: Fund) -> list[Allocation]:
    """The fund's allocations with their county, project and disbursements (in payment order). Two queries."""
    return list(
        Allocation.objects.filter(fund=fund)
        .select_related("county", "project")
        .prefetch_related(Prefetch("disbursements", queryset=Disbursement.objects.order_by("paid_on", "pk")))
        .order_by("county__adcode", "allocated_on", "pk")
    )


def guidance_fund_balances() -> list[dict]:
    """Every guidance fund with what is left to allocate (``left``: total − allocated), newest year first; one
    query. Rows are dicts with ``pk``, ``program`` (its id), ``year``, ``total``, ``allocated`` and ``left``."""
    rows = list(
        Fund.objects.filter(kind=FundKind.GUIDANCE)
        .values("pk", "program", "year", "total", "allocated")
        .order_by("-year")
    )
    for row in rows:
        row["left"] = row["total"] - row["allocated"]
    return rows


# --- Special bonds -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BondIssueUsage:
    issue: BondIssue

    @property
    def project_not_started(self) -> bool:
        """Issued for a project that is still in the pipeline or only signed."""
        project = self.issue.project
        return project is not None and project.stage in NOT_STARTED_STAGES


@dataclass(frozen=True, kw_only=True)
class BondFigures:
    """Quota and issued amounts of some quotas (one county's, or a totals row)."""

    quota: Decimal
    issued: Decimal
    issue_count: int
    issues_not_started: int

    @property
    def remaining(self) -> Decimal:
        """Quota not yet issued."""
        return self.quota - self.issued

    @property
    def usage_rate_pct(self) -> Decimal | None:
        return rate_pct(self.issued, self.quota)


@dataclass(frozen=True, kw_only=True)
class CountyBondUsage(BondFigures):
    county: Region
    quota_id: int
    issues: list[BondIssueUsage]


@dataclass(frozen=True, kw_only=True)
class BondUsage:
    """A special-bond plan's use: its total, what is assigned to counties and issued, and the same per county.

    ``counties_total`` sums the rows in ``counties``; ``assigned`` and ``issued`` sum every county's rows.
    """

    plan: BondPlan
    total: Decimal
    assigned: Decimal
    issued: Decimal
    counties: list[CountyBondUsage]
    counties_total: BondFigures

    @property
    def unassigned(self) -> Decimal:
        return self.total - self.assigned

    @property
    def unissued(self) -> Decimal:
        """Assigned to counties but not yet issued."""
        return self.assigned - self.issued

    @property
    def usage_rate_pct(self) -> Decimal | None:
        return rate_pct(self.issued, self.assigned)


def _sum_bond_figures(rows: list[CountyBondUsage]) -> BondFigures:
    return BondFigures(
        quota=sum((row.quota for row in rows), ZERO),
        issued=sum((row.issued for row in rows), ZERO),
        issue_count=sum(row.issue_count for row in rows),
        issues_not_started=sum(row.issues_not_started for row in rows),
    )


def bond_usage(*, plan: BondPlan, county: str | None = None) -> BondUsage:
    """How ``plan`` is used, per county quota (by adcode), with each county's issues. Two queries.

    ``county`` (an adcode) keeps only that county's row in ``counties`` and ``counties_total``.
    """
    quotas = (
        BondQuota.objects.filter(plan=plan)
        .select_related("county")
        .prefetch_related(
            Prefetch("issues", queryset=BondIssue.objects.select_related("project").order_by("issue_date", "pk"))
        )
        .order_by("county__adcode")
    )
    rows = []
    for quota in quotas:
        issues = [BondIssueUsage(issue=issue) for issue in quota.issues.all()]
        rows.append(
            CountyBondUsage(
                county=quota.county,
                quota_id=quota.pk,
                quota=quota.quota,
                issued=quota.issued,
                issue_count=len(issues),
                issues_not_started=sum(1 for issue in issues if issue.project_not_started),
                issues=issues,
            )
        )
    whole = _sum_bond_figures(rows)
    if county is not None:
        rows = [row for row in rows if row.county.pk == county]
    return BondUsage(
        plan=plan,
        total=plan.total,
        assigned=whole.quota,
        issued=whole.issued,
        counties=rows,
        counties_total=_sum_bond_figures(rows),
    )
