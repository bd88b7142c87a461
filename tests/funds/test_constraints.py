"""The database refuses over-allocation, over-disbursement, over-assignment, over-issue and negative money.

Every write here goes straight through the ORM, past the services, so only the constraints stand in the way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from funds.factories import BondPlanFactory, FundFactory
from funds.models import Allocation, BondIssue, BondPlan, BondQuota, Disbursement, Fund, FundKind

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")


@contextmanager
def refused_by(*constraints: str, columns: tuple[str, ...] = ()) -> Iterator[None]:
    """The block must be refused by one of the named constraints (a row may break several; the database reports
    one). SQLite names only the ``columns`` of a unique index."""
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        yield
    message = str(caught.value)
    if connection.vendor == "sqlite" and message.startswith("UNIQUE"):
        assert columns, message
        assert all(column in message for column in columns), message
    else:
        assert any(name in message for name in constraints), message


@pytest.fixture
def fund(program) -> Fund:
    return FundFactory(program=program, total=Decimal("200000000.00"))


@pytest.fixture
def allocation(fund, pairing_a) -> Allocation:
    return Allocation.objects.create(
        fund=fund, county=pairing_a.weak_county, amount=Decimal("1000000.00"), allocated_on=dt.date(2025, 3, 1)
    )


@pytest.fixture
def plan(program) -> BondPlan:
    return BondPlanFactory(program=program, total=Decimal("2000000000.00"))


@pytest.fixture
def quota(plan, pairing_a) -> BondQuota:
    return BondQuota.objects.create(plan=plan, county=pairing_a.weak_county, quota=Decimal("200000000.00"))


class TestRunningTotals:
    def test_fund_cannot_be_over_allocated(self, fund):
        with refused_by("fund_allocated_within_total"):
            Fund.objects.filter(pk=fund.pk).update(allocated=fund.total + CENT)

    def test_fund_can_be_allocated_in_full(self, fund):
        Fund.objects.filter(pk=fund.pk).update(allocated=fund.total)

    def test_lowering_the_total_below_what_is_allocated(self, fund):
        Fund.objects.filter(pk=fund.pk).update(allocated=Decimal("1000.00"))

        with refused_by("fund_allocated_within_total"):
            Fund.objects.filter(pk=fund.pk).update(total=Decimal("999.99"))

    def test_allocation_cannot_be_over_disbursed(self, allocation):
        with refused_by("allocation_disbursed_within_amount"):
            Allocation.objects.filter(pk=allocation.pk).update(disbursed=allocation.amount + CENT)

    def test_plan_cannot_be_over_assigned(self, plan):
        with refused_by("bond_plan_assigned_within_total"):
            BondPlan.objects.filter(pk=plan.pk).update(assigned=plan.total + CENT)

    def test_quota_cannot_be_over_issued(self, quota):
        with refused_by("bond_quota_issued_within_quota"):
            BondQuota.objects.filter(pk=quota.pk).update(issued=quota.quota + CENT)

    @pytest.mark.parametrize(
        ("model", "fixture", "field", "constraint"),
        [
            (Fund, "fund", "allocated", "fund_allocated_within_total"),
            (Allocation, "allocation", "disbursed", "allocation_disbursed_within_amount"),
            (BondPlan, "plan", "assigned", "bond_plan_assigned_within_total"),
            (BondQuota, "quota", "issued", "bond_quota_issued_within_quota"),
        ],
    )
    def test_running_totals_not_negative(self, request, model, fixture, field, constraint):
        row = request.getfixturevalue(fixture)

        with refused_by(constraint):
            model.objects.filter(pk=row.pk).update(**{field: -CENT})


class TestNegativeMoney:
    @pytest.mark.parametrize("amount", [Decimal("0"), -CENT])
    def test_allocation_amount_positive(self, fund, pairing_a, amount):
        with refused_by("allocation_amount_positive"):
            Allocation.objects.create(
                fund=fund, county=pairing_a.weak_county, amount=amount, allocated_on=dt.date(2025, 3, 1)
            )

    @pytest.mark.parametrize("amount", [Decimal("0"), -CENT])
    def test_disbursement_amount_positive(self, allocation, amount):
        with refused_by("disbursement_amount_positive"):
            Disbursement.objects.create(allocation=allocation, amount=amount, paid_on=dt.date(2025, 4, 1))

    @pytest.mark.parametrize("amount", [Decimal("0"), -CENT])
    def test_bond_issue_amount_positive(self, quota, amount):
        with refused_by("bond_issue_amount_positive"):
            BondIssue.objects.create(
                quota=quota, amount=amount, issue_date=dt.date(2025, 5, 1), term_years=10, rate_pct=Decimal("2.1")
            )

    @pytest.mark.parametrize("amount", [Decimal("0"), -CENT])
    def test_bond_quota_positive(self, plan, pairing_b, amount):
        with refused_by("bond_quota_positive", "bond_quota_issued_within_quota"):
            BondQuota.objects.create(plan=plan, county=pairing_b.weak_county, quota=amount)

    def test_fund_total_not_negative(self, program):
        with refused_by("fund_total_not_negative", "fund_allocated_within_total"):
            FundFactory(program=program, total=-CENT)

    def test_bond_plan_total_not_negative(self, program):
        with refused_by("bond_plan_total_not_negative", "bond_plan_assigned_within_total"):
            BondPlanFactory(program=program, total=-CENT)

    @pytest.mark.parametrize(
        ("field", "value", "constraint"),
        [
            ("term_years", 0, "bond_issue_term_range"),
            ("term_years", 51, "bond_issue_term_range"),
            ("rate_pct", Decimal("-0.001"), "bond_issue_rate_range"),
            ("rate_pct", Decimal("20.001"), "bond_issue_rate_range"),
        ],
    )
    def test_bond_issue_terms(self, quota, field, value, constraint):
        issue = BondIssue.objects.create(
            quota=quota, amount=Decimal("1.00"), issue_date=dt.date(2025, 5, 1), term_years=10, rate_pct=Decimal("2")
        )

        with refused_by(constraint):
            BondIssue.objects.filter(pk=issue.pk).update(**{field: value})


class TestFundIdentity:
    def test_one_guidance_fund_per_program_and_year(self, fund):
        with refused_by("fund_one_guidance_fund_per_program_year", columns=("program_id", "year")):
            FundFactory(program=fund.program, year=fund.year, name="第二个引导资金")

    def test_guidance_fund_of_another_year_is_accepted(self, fund):
        FundFactory(program=fund.program, year=fund.year + 1)

    def test_several_pair_industry_funds_in_a_year(self, fund, pairing_a):
        # The one-per-year rule is for the guidance fund only.
        for name in ("青岛西海岸—台儿庄产业协同发展基金", "第二支基金"):
            FundFactory(program=fund.program, year=fund.year, kind=FundKind.PAIR_INDUSTRY, pairing=pairing_a, name=name)

    def test_pair_industry_fund_needs_a_pairing(self, program):
        with refused_by("fund_pair_industry_has_pairing"):
            FundFactory(program=program, kind=FundKind.PAIR_INDUSTRY, pairing=None)

    @pytest.mark.parametrize("year", [1999, 2101])
    def test_year_is_plausible(self, program, year):
        with refused_by("fund_year_plausible"):
            FundFactory(program=program, year=year)

    def test_one_bond_plan_per_program_and_year(self, plan):
        with refused_by("bond_plan_one_per_program_year", columns=("program_id", "year")):
            BondPlanFactory(program=plan.program, year=plan.year)

    def test_one_quota_per_county_in_a_plan(self, quota):
        with refused_by("bond_quota_one_per_county", columns=("plan_id", "county_id")):
            BondQuota.objects.create(plan=quota.plan, county=quota.county, quota=Decimal("1.00"))
