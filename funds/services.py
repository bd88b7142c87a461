"""Writes for funds and special bonds.

Every amount that draws on a limit (an allocation on a fund, a disbursement on an allocation, a county quota on a
bond plan, an issue on a quota) is booked with one conditional ``UPDATE … WHERE running + amount <= limit`` on the
parent row: the row lock it takes serialises concurrent writers, and a row count of zero means the limit would be
exceeded. The check constraints on the running totals are the last line of defence.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import access_for
from accounts.models import Role
from common.audit import as_actor
from common.money import format_wan, yuan
from common.periods import STAT_PERIOD_RE
from common.services import constraint_as_validation_error
from pairing.models import CountyRole, Pairing, Park, ParkPartner, Program, ProgramCounty, Region
from projects.models import Project

from .models import (
    Allocation,
    BondIssue,
    BondPlan,
    BondQuota,
    Disbursement,
    Fund,
    FundContribution,
    FundInvestment,
    FundKind,
    ParkLedgerEntry,
    ParkLedgerShare,
    RewardRun,
    RewardRunAction,
    RewardRunEdit,
    RewardRunParticipant,
    RewardRunRole,
    RewardRunStatus,
)
from .reward import split_largest_remainder


def _positive(amount: Decimal, field: str = "amount") -> Decimal:
    amount = yuan(amount)
    if amount <= 0:
        raise ValidationError({field: _("The amount must be greater than zero.")})
    return amount


def _draw(model: type[models.Model], pk: int, running: str, limit: str, amount: Decimal, **conditions) -> bool:
    """Add ``amount`` to ``running`` on one row unless that would pass ``limit`` (or ``conditions`` do not hold).
    True if booked."""
    booked = model.objects.filter(pk=pk, **{f"{running}__lte": F(limit) - amount}, **conditions).update(
        **{running: F(running) + amount}
    )
    return booked == 1


def _closed_message(fund: Fund) -> str:
    return _("The %(year)s fund year is closed: nothing more can be allocated or paid.") % {"year": fund.year}


def year_close_consequences(fund: Fund) -> list[str]:
    """What closing ``fund``'s year does, in words, for the confirmation page and the API's refusal without it."""
    return [
        _("No more allocations, disbursements, partner contributions or investments are booked on the fund."),
        _("The surplus (fund total less disbursed) is fixed for the year-end reward run."),
        _("A provincial officer other than the one who closed the year can then approve the reward run."),
        _("Until the reward run is approved, the year can be reopened; once it is approved, it stays closed."),
    ]


def _check_weak_county(program: Program, county: Region) -> None:
    if not ProgramCounty.objects.filter(program=program, county=county, role=CountyRole.WEAK).exists():
        raise ValidationError({"county": _("%(name)s is not a weak county of this program.") % {"name": county.name}})


def fund_create(
    *,
    program: Program,
    year: int,
    total: Decimal,
    kind: str = FundKind.GUIDANCE,
    name: str = "",
    pairing: Pairing | None = None,
    is_sample: bool = False,
) -> Fund:
    total = yuan(total)
    if total < 0:
        raise ValidationError({"total": _("Amounts cannot be negative.")})
    if kind == FundKind.PAIR_INDUSTRY and pairing is None:
        raise ValidationError({"pairing": _("A pair industry fund belongs to a pairing.")})
    if kind == FundKind.GUIDANCE and pairing is not None:
        raise ValidationError({"pairing": _("A guidance fund belongs to the program, not to one pairing.")})
    if pairing is not None and pairing.program_id != program.pk:
        raise ValidationError({"pairing": _("The pairing belongs to another program.")})
    name = name or (_("Guidance fund") if kind == FundKind.GUIDANCE else str(pairing))
    with constraint_as_validation_error(_("This program already has a guidance fund for that year."), "year"):
        return Fund.objects.create(
            program=program, year=year, kind=kind, name=name, pairing=pairing, total=total, is_sample=is_sample
        )


@transaction.atomic
def allocation_create(
    *,
    fund: Fund,
    county: Region,
    amount: Decimal,
    allocated_on: dt.date,
    project: Project | None = None,
    document_no: str = "",
    purpose: str = "",
    is_sample: bool = False,
) -> Allocation:
    amount = _positive(amount)
    _check_weak_county(fund.program, county)
    if project is not None and project.county_id != county.pk:
        raise ValidationError({"project": _("The project is not located in this county.")})
    if not _draw(Fund, fund.pk, "allocated", "total", amount, frozen_at__isnull=True):
        fund.refresh_from_db()
        if fund.frozen_at is not None:
            raise ValidationError(_closed_message(fund))
        raise ValidationError(
            {"amount": _("Exceeds what is left of the fund (%(left)s).") % {"left": format_wan(fund.unallocated)}}
        )
    return Allocation.objects.create(
        fund=fund,
        county=county,
        project=project,
        amount=amount,
        allocated_on=allocated_on,
        document_no=document_no,
        purpose=purpose,
        is_sample=is_sample,
    )


@transaction.atomic
def disbursement_create(
    *,
    allocation: Allocation,
    amount: Decimal,
    paid_on: dt.date,
    document_no: str = "",
    purpose: str = "",
    is_sample: bool = False,
) -> Disbursement:
    amount = _positive(amount)
    if paid_on < allocation.allocated_on:
        raise ValidationError({"paid_on": _("A tranche cannot be paid before its allocation.")})
    # Lock the fund before the allocation (the order every writer uses), so closing the year waits for a payment
    # in flight and no payment slips in after the year is closed.
    fund = Fund.objects.select_for_update().get(pk=allocation.fund_id)
    if fund.frozen_at is not None:
        raise ValidationError(_closed_message(fund))
    if not _draw(Allocation, allocation.pk, "disbursed", "amount", amount):
        allocation.refresh_from_db()
        left = allocation.amount - allocation.disbursed
        raise ValidationError(
            {"amount": _("Exceeds what is left of the allocation (%(left)s).") % {"left": format_wan(left)}}
        )
    return Disbursement.objects.create(
        allocation=allocation,
        amount=amount,
        paid_on=paid_on,
        document_no=document_no,
        purpose=purpose,
        is_sample=is_sample,
    )


class FundYearConflict(Exception):
    """The fund's year cannot be reopened: its reward run is approved and paid (HTTP 409)."""


def _person(by) -> AbstractBaseUser | None:
    return by if by is not None and by.is_authenticated else None


def _check_year_writer(by) -> None:
    """Closing or reopening a year is the work of a provincial or finance officer (or of the system: ``by=None``)."""
    if by is not None and access_for(by).role not in (Role.OFFICER, Role.FINANCE):
        raise PermissionDenied(_("Only a provincial or finance officer closes or reopens a fund's year."))


def _record_on_run(fund: Fund, person, action: str) -> None:
    """A close or reopen of the year is a hand in the fund's draft reward run: recorded with its person, who
    becomes an editor of the run and cannot approve it (four eyes)."""
    run = RewardRun.objects.filter(fund=fund).first()
    if run is None:
        return
    RewardRunEdit.objects.create(run=run, by=person, action=action, changes={})
    if person is not None and not RewardRunParticipant.objects.filter(run=run, user=person).exists():
        RewardRunParticipant.objects.create(run=run, user=person, role=RewardRunRole.EDITOR)


@transaction.atomic
def fund_close_year(*, fund: Fund, by=None) -> Fund:
    """Close a fund's year: nothing more is allocated, paid in, invested or paid out until it is reopened. The only
    code that closes a year (a reward run's approval needs it closed; drafting a run does not close it).

    Records who closed it (``closed_by``; none: the system) and, when the fund has a reward run, the closing as a
    hand in the run, so whoever closed the year does not approve the run. Closing a closed year is a no-op."""
    _check_year_writer(by)
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    if fund.frozen_at is None:
        person = _person(by)
        fund.frozen_at = timezone.now()
        fund.closed_by = person
        as_actor(fund, by, "" if by else "year closed by the system")
        fund.save(update_fields=["frozen_at", "closed_by"])
        _record_on_run(fund, person, RewardRunAction.CLOSE)
    return fund


@transaction.atomic
def fund_reopen_year(*, fund: Fund, by) -> Fund:
    """Undo the closing of a fund's year, while its reward run (if any) is not approved: allocations and payments
    are possible again, and a draft run computed on the closed figures will be refused at approval if they change.
    Recorded on the run as a hand in it. Reopening an open year is a no-op; raises ``FundYearConflict`` once the
    run is approved."""
    _check_year_writer(by)
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    if fund.frozen_at is None:
        return fund
    if RewardRun.objects.filter(fund=fund, status=RewardRunStatus.APPROVED).exists():
        raise FundYearConflict(
            _("The %(year)s reward run is approved and paid: the year stays closed.") % {"year": fund.year}
        )
    fund.frozen_at = None
    fund.closed_by = None
    as_actor(fund, by)
    fund.save(update_fields=["frozen_at", "closed_by"])
    _record_on_run(fund, _person(by), RewardRunAction.REOPEN)
    return fund


def bond_plan_create(*, program: Program, year: int, total: Decimal, is_sample: bool = False) -> BondPlan:
    total = yuan(total)
    if total < 0:
        raise ValidationError({"total": _("Amounts cannot be negative.")})
    with constraint_as_validation_error(_("This program already has a special-bond plan for that year."), "year"):
        return BondPlan.objects.create(program=program, year=year, total=total, is_sample=is_sample)


@transaction.atomic
def bond_quota_assign(*, plan: BondPlan, county: Region, quota: Decimal, is_sample: bool = False) -> BondQuota:
    quota = _positive(quota, "quota")
    _check_weak_county(plan.program, county)
    if BondQuota.objects.filter(plan=plan, county=county).exists():
        raise ValidationError({"county": _("This county already has a quota in this plan.")})
    if not _draw(BondPlan, plan.pk, "assigned", "total", quota):
        plan.refresh_from_db()
        raise ValidationError(
            {"quota": _("Exceeds what is left of the plan (%(left)s).") % {"left": format_wan(plan.unassigned)}}
        )
    with constraint_as_validation_error(_("This county already has a quota in this plan."), "county"):
        return BondQuota.objects.create(plan=plan, county=county, quota=quota, is_sample=is_sample)


@transaction.atomic
def bond_issue_create(
    *,
    quota: BondQuota,
    amount: Decimal,
    issue_date: dt.date,
    term_years: int,
    rate_pct: Decimal,
    project: Project | None = None,
    is_sample: bool = False,
) -> BondIssue:
    amount = _positive(amount)
    if project is not None and project.county_id != quota.county_id:
        raise ValidationError({"project": _("The project is not located in this county.")})
    if not _draw(BondQuota, quota.pk, "issued", "quota", amount):
        quota.refresh_from_db()
        raise ValidationError(
            {"amount": _("Exceeds what is left of the quota (%(left)s).") % {"left": format_wan(quota.unissued)}}
        )
    return BondIssue.objects.create(
        quota=quota,
        project=project,
        amount=amount,
        issue_date=issue_date,
        term_years=term_years,
        rate_pct=rate_pct,
        is_sample=is_sample,
    )


# --- Pair industry funds: partner contributions and investments in projects ----------------------------------------


def _check_pair_industry_fund(fund: Fund) -> Pairing:
    if fund.kind != FundKind.PAIR_INDUSTRY or fund.pairing_id is None:
        raise ValidationError(
            {"fund": _("Only a pair industry fund takes partner contributions and invests in projects.")}
        )
    return fund.pairing


@transaction.atomic
def fund_contribution_create(
    *,
    fund: Fund,
    county: Region,
    amount: Decimal,
    paid_on: dt.date,
    document_no: str = "",
    is_sample: bool = False,
) -> FundContribution:
    """Book capital a partner county pays into its pair's industry fund (出资); Σ contributions never pass the
    fund's total."""
    amount = _positive(amount)
    pairing = _check_pair_industry_fund(fund)
    if county.pk not in (pairing.strong_county_id, pairing.weak_county_id):
        raise ValidationError(
            {"county": _("%(name)s is not one of the two counties of the fund's pairing.") % {"name": county.name}}
        )
    if not _draw(Fund, fund.pk, "contributed", "total", amount, frozen_at__isnull=True):
        fund.refresh_from_db()
        if fund.frozen_at is not None:
            raise ValidationError(_closed_message(fund))
        left = fund.total - fund.contributed
        raise ValidationError(
            {"amount": _("Exceeds what the fund can still take in (%(left)s).") % {"left": format_wan(left)}}
        )
    return FundContribution.objects.create(
        fund=fund, county=county, amount=amount, paid_on=paid_on, document_no=document_no, is_sample=is_sample
    )


@transaction.atomic
def fund_investment_create(
    *,
    fund: Fund,
    project: Project,
    amount: Decimal,
    invested_on: dt.date,
    document_no: str = "",
    is_sample: bool = False,
) -> FundInvestment:
    """Book money a pair industry fund puts into a project of its pairing (投资); Σ investments never pass what the
    partners have paid in."""
    amount = _positive(amount)
    pairing = _check_pair_industry_fund(fund)
    if project.pairing_id != pairing.pk:
        raise ValidationError({"project": _("The project belongs to another pairing than the fund.")})
    if not _draw(Fund, fund.pk, "invested", "contributed", amount, frozen_at__isnull=True):
        fund.refresh_from_db()
        if fund.frozen_at is not None:
            raise ValidationError(_closed_message(fund))
        left = fund.contributed - fund.invested
        raise ValidationError(
            {
                "amount": _("Exceeds what the partners have paid in and is not yet invested (%(left)s).")
                % {"left": format_wan(left)}
            }
        )
    return FundInvestment.objects.create(
        fund=fund,
        project=project,
        amount=amount,
        invested_on=invested_on,
        document_no=document_no,
        is_sample=is_sample,
    )


# --- Co-built parks: tax and output shared between the partner counties --------------------------------------------

HUNDRED = Decimal("100")


def _check_period(period: str) -> str:
    period = (period or "").strip()
    match = STAT_PERIOD_RE.match(period)
    if match is None:
        raise ValidationError({"period": _("Use a year (2025) or a month (2025-09).")})
    today = timezone.localdate()
    # A period that has begun may be recorded (a month's or a year's figures so far); one not yet begun may not.
    starts = dt.date(int(match["year"]), int(match["month"] or 1), 1)
    if starts > today:
        raise ValidationError({"period": _("%(period)s is in the future.") % {"period": period}})
    return period


def _not_negative(amount: Decimal, field: str) -> Decimal:
    amount = yuan(amount)
    if amount < 0:
        raise ValidationError({field: _("Amounts cannot be negative.")})
    return amount


def _partners_sharing_in_full(park: Park) -> list[ParkPartner]:
    """The park's partners, locked so their ratios hold while the period is split; their tax shares and their
    output shares must each sum to exactly 100%."""
    partners = list(
        ParkPartner.objects.select_for_update(of=("self",))
        .filter(park=park)
        .select_related("county")
        .order_by("county")
    )
    if not partners:
        message = _("%(park)s has no partner counties: record its partners and their shares first.")
        raise ValidationError({"park": message % {"park": park}})
    tax_sum = sum((p.tax_share_pct for p in partners), Decimal(0))
    output_sum = sum((p.output_share_pct for p in partners), Decimal(0))
    if tax_sum != HUNDRED or output_sum != HUNDRED:
        raise ValidationError(
            {
                "park": _(
                    "The partners' shares of %(park)s must each sum to 100%%: the tax shares sum to %(tax)s%% and the "
                    "output shares to %(output)s%%."
                )
                % {"park": park, "tax": format(tax_sum, "f"), "output": format(output_sum, "f")}
            }
        )
    return partners


@transaction.atomic
def park_ledger_record(
    *,
    park: Park,
    period: str,
    tax: Decimal,
    output: Decimal,
    note: str = "",
    by: AbstractBaseUser | None = None,
    is_sample: bool = False,
) -> ParkLedgerEntry:
    """Record a co-built park's tax and output for a period and split both between its partner counties at their
    agreed ratios, to the fen by the largest-remainder method, so each split sums exactly to the park's figure.
    The ratios used are copied onto the shares: a later change of the agreement does not rewrite the past."""
    period = _check_period(period)
    tax = _not_negative(tax, "tax")
    output = _not_negative(output, "output")
    partners = _partners_sharing_in_full(park)
    duplicate = _("%(park)s already has figures for %(period)s.") % {"park": park, "period": period}
    if ParkLedgerEntry.objects.filter(park=park, period=period).exists():
        raise ValidationError({"period": duplicate})
    with constraint_as_validation_error(duplicate, "period"):
        entry = ParkLedgerEntry.objects.create(
            park=park, period=period, tax=tax, output=output, note=note, recorded_by=by, is_sample=is_sample
        )
    tax_shares = split_largest_remainder(tax, {p.county_id: p.tax_share_pct for p in partners})
    output_shares = split_largest_remainder(output, {p.county_id: p.output_share_pct for p in partners})
    ParkLedgerShare.objects.bulk_create(
        ParkLedgerShare(
            entry=entry,
            county=partner.county,
            tax_share_pct=partner.tax_share_pct,
            output_share_pct=partner.output_share_pct,
            tax=tax_shares[partner.county_id],
            output=output_shares[partner.county_id],
        )
        for partner in partners
    )
    return entry
