"""Writes for funds and special bonds.

Every amount that draws on a limit (an allocation on a fund, a disbursement on an allocation, a county quota on a
bond plan, an issue on a quota) is booked with one conditional ``UPDATE … WHERE running + amount <= limit`` on the
parent row: the row lock it takes serialises concurrent writers, and a row count of zero means the limit would be
exceeded. The check constraints on the running totals are the last line of defence.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from common.money import format_wan, yuan
from common.services import constraint_as_validation_error
from pairing.models import CountyRole, Pairing, Program, ProgramCounty, Region
from projects.models import Project

from .models import Allocation, BondIssue, BondPlan, BondQuota, Disbursement, Fund, FundKind


def _positive(amount: Decimal, field: str = "amount") -> Decimal:
    amount = yuan(amount)
    if amount <= 0:
        raise ValidationError({field: _("The amount must be greater than zero.")})
    return amount


def _draw(model: type[models.Model], pk: int, running: str, limit: str, amount: Decimal, **conditions) -> bool:
    """Add ``amount`` to ``running`` on one row unless that would pass ``limit`` (or ``conditions`` do not hold).
    True if booked."""
    booked = (
        model.objects.filter(pk=pk, **{f"{running}__lte": F(limit) - amount}, **conditions)
        .update(**{running: F(running) + amount})
    )
    return booked == 1


def _closed_message(fund: Fund) -> str:
    return _("The %(year)s fund year is closed: nothing more can be allocated or paid.") % {"year": fund.year}


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


@transaction.atomic
def fund_close_year(*, fund: Fund) -> Fund:
    """Close a fund's year (no more allocations or payments) before its reward run. Closing twice is a no-op."""
    Fund.objects.filter(pk=fund.pk, frozen_at__isnull=True).update(frozen_at=timezone.now())
    fund.refresh_from_db()
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
