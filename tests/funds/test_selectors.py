"""funds.selectors: a fund's and a special-bond plan's use per county, with worked numbers and a fixed query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funds.factories import BondPlanFactory, FundFactory
from funds.selectors import bond_usage, fund_allocations, fund_usage
from funds.services import (
    allocation_create,
    bond_issue_create,
    bond_quota_assign,
    disbursement_create,
)
from pairing.factories import PairingFactory
from projects.factories import ProjectFactory
from projects.models import Stage

pytestmark = pytest.mark.django_db

MARCH = dt.date(2025, 3, 1)
APRIL = dt.date(2025, 4, 1)


def allocate(fund, county, amount: str, *paid: str):
    allocation = allocation_create(fund=fund, county=county, amount=Decimal(amount), allocated_on=MARCH)
    for tranche in paid:
        disbursement_create(allocation=allocation, amount=Decimal(tranche), paid_on=APRIL)
    return allocation


def issue(quota, amount: str, project=None):
    return bond_issue_create(
        quota=quota,
        amount=Decimal(amount),
        issue_date=dt.date(2025, 6, 1),
        term_years=10,
        rate_pct=Decimal("2.300"),
        project=project,
    )


def project_in(pairing, stage: str):
    dates = {}
    if stage in (Stage.STARTED, Stage.PRODUCING, Stage.AT_CAPACITY):
        dates["actual_start_date"] = dt.date(2025, 5, 1)
    if stage in (Stage.PRODUCING, Stage.AT_CAPACITY):
        dates["actual_production_date"] = dt.date(2025, 9, 1)
    return ProjectFactory(pairing=pairing, stage=stage, **dates)


@pytest.fixture
def fund(program, pairing_a, pairing_b):
    """2亿 in 2025. 台儿庄: 3000万 (12,345,678.91 paid in two tranches) + 2000万 (nothing paid);
    蒙阴: 3000万 (1000万 paid)."""
    fund = FundFactory(program=program, year=2025, total=Decimal("200000000.00"))
    allocate(fund, pairing_a.weak_county, "30000000.00", "12000000.00", "345678.91")
    allocate(fund, pairing_a.weak_county, "20000000.00")
    allocate(fund, pairing_b.weak_county, "30000000.00", "10000000.00")
    return fund


@pytest.fixture
def other_year(program, pairing_a):
    """Another fund with money for 台儿庄, which must not leak into the 2025 figures."""
    fund = FundFactory(program=program, year=2024, total=Decimal("100000000.00"))
    allocate(fund, pairing_a.weak_county, "40000000.00", "40000000.00")
    return fund


# --- fund_usage ----------------------------------------------------------------------------------------------------


def test_fund_usage_per_county_with_worked_numbers(fund, other_year, pairing_a, pairing_b):
    usage = fund_usage(fund=fund)

    taierzhuang, mengyin = usage.counties
    assert taierzhuang.county == pairing_a.weak_county
    assert taierzhuang.allocations == 2
    assert taierzhuang.allocated == Decimal("50000000.00")
    assert taierzhuang.disbursed == Decimal("12345678.91")
    assert taierzhuang.remaining == Decimal("37654321.09")
    assert taierzhuang.disbursement_rate_pct == Decimal("24.69135782")
    assert mengyin.county == pairing_b.weak_county
    assert (mengyin.allocations, mengyin.allocated, mengyin.disbursed, mengyin.remaining) == (
        1,
        Decimal("30000000.00"),
        Decimal("10000000.00"),
        Decimal("20000000.00"),
    )
    assert mengyin.disbursement_rate_pct.quantize(Decimal("0.0001")) == Decimal("33.3333")


def test_fund_figures_and_totals_row_match_the_county_rows_exactly(fund, other_year):
    fund.refresh_from_db()
    usage = fund_usage(fund=fund)

    assert usage.total == Decimal("200000000.00")
    assert usage.allocated == Decimal("80000000.00") == fund.allocated
    assert usage.disbursed == Decimal("22345678.91")
    assert usage.unallocated == Decimal("120000000.00")
    assert usage.undisbursed == Decimal("57654321.09")
    assert usage.surplus == Decimal("177654321.09")
    assert usage.allocation_count == 3
    total = usage.counties_total
    assert total.allocated == sum(row.allocated for row in usage.counties) == usage.allocated
    assert total.disbursed == sum(row.disbursed for row in usage.counties) == usage.disbursed
    assert total.remaining == sum(row.remaining for row in usage.counties) == usage.undisbursed
    assert total.allocations == 3
    assert total.disbursement_rate_pct == usage.disbursement_rate_pct
    assert usage.disbursement_rate_pct.quantize(Decimal("0.01")) == Decimal("27.93")


def test_fund_usage_for_one_county_gives_that_countys_figures_only(fund, pairing_a, pairing_b):
    usage = fund_usage(fund=fund, county=pairing_b.weak_county.adcode)

    [row] = usage.counties
    assert row.county == pairing_b.weak_county
    assert usage.counties_total.allocated == Decimal("30000000.00")
    assert usage.counties_total.disbursed == Decimal("10000000.00")
    assert (usage.allocated, usage.disbursed) == (Decimal("30000000.00"), Decimal("10000000.00"))
    assert usage.total == fund.total  # the fund's announced size
    assert usage.unallocated is None and usage.surplus is None  # these would give the whole fund's use away


def test_a_fund_without_allocations_has_no_rows_and_no_rate(program):
    usage = fund_usage(fund=FundFactory(program=program, total=Decimal("1000.00")))

    assert usage.counties == []
    assert usage.allocated == usage.disbursed == Decimal("0")
    assert usage.unallocated == usage.surplus == Decimal("1000.00")
    assert usage.disbursement_rate_pct is None
    assert usage.counties_total.disbursement_rate_pct is None


def test_fund_usage_is_one_query_whatever_the_number_of_counties(fund, program):
    with CaptureQueriesContext(connection) as few:
        fund_usage(fund=fund)
    for _ in range(6):
        allocate(fund, PairingFactory(program=program).weak_county, "1000000.00", "250000.00")

    with CaptureQueriesContext(connection) as many:
        usage = fund_usage(fund=fund)
        [row.county.name for row in usage.counties]

    assert len(usage.counties) == 8
    assert len(few) == len(many) == 1


def test_fund_allocations_come_with_their_disbursements_in_two_queries(fund, program):
    for _ in range(4):
        allocate(fund, PairingFactory(program=program).weak_county, "1000000.00", "1.00", "2.00")

    with CaptureQueriesContext(connection) as queries:
        allocations = fund_allocations(fund=fund)
        paid = sum(d.amount for a in allocations for d in a.disbursements.all())
        [(a.county.name, a.project) for a in allocations]

    assert len(queries) == 2
    assert len(allocations) == 7
    assert paid == fund_usage(fund=fund).disbursed == Decimal("22345690.91")


# --- bond_usage ----------------------------------------------------------------------------------------------------


@pytest.fixture
def plan(program, pairing_a, pairing_b):
    """20亿 for 2025. 台儿庄: 5亿 quota, 1亿 for a pipeline project, 5000万 for a started one, 2500万.50 without a
    project; 蒙阴: 3亿 quota, 8000万 for a signed project."""
    plan = BondPlanFactory(program=program, year=2025, total=Decimal("2000000000.00"))
    quota_a = bond_quota_assign(plan=plan, county=pairing_a.weak_county, quota=Decimal("500000000.00"))
    quota_b = bond_quota_assign(plan=plan, county=pairing_b.weak_county, quota=Decimal("300000000.00"))
    issue(quota_a, "100000000.00", project_in(pairing_a, Stage.PIPELINE))
    issue(quota_a, "50000000.00", project_in(pairing_a, Stage.STARTED))
    issue(quota_a, "25000000.50")
    issue(quota_b, "80000000.00", project_in(pairing_b, Stage.SIGNED))
    return plan


def test_bond_usage_per_county_with_worked_numbers(plan, pairing_a, pairing_b):
    usage = bond_usage(plan=plan)

    taierzhuang, mengyin = usage.counties
    assert taierzhuang.county == pairing_a.weak_county
    assert taierzhuang.quota == Decimal("500000000.00")
    assert taierzhuang.issued == Decimal("175000000.50")
    assert taierzhuang.remaining == Decimal("324999999.50")
    assert taierzhuang.usage_rate_pct == Decimal("35.0000001")
    assert taierzhuang.issue_count == 3
    assert [entry.project_not_started for entry in taierzhuang.issues] == [True, False, False]
    assert taierzhuang.issues_not_started == 1
    assert mengyin.issued == Decimal("80000000.00")
    assert mengyin.remaining == Decimal("220000000.00")
    assert mengyin.usage_rate_pct.quantize(Decimal("0.01")) == Decimal("26.67")
    assert mengyin.issues_not_started == 1


def test_bond_plan_figures_and_totals_row_match_the_county_rows(plan):
    plan.refresh_from_db()
    usage = bond_usage(plan=plan)

    assert usage.total == Decimal("2000000000.00")
    assert usage.assigned == Decimal("800000000.00") == plan.assigned
    assert usage.unassigned == Decimal("1200000000.00")
    assert usage.issued == Decimal("255000000.50")
    assert usage.unissued == Decimal("544999999.50")
    total = usage.counties_total
    assert total.quota == sum(row.quota for row in usage.counties) == usage.assigned
    assert total.issued == sum(row.issued for row in usage.counties) == usage.issued
    assert total.issued == sum(entry.issue.amount for row in usage.counties for entry in row.issues)
    assert total.remaining == Decimal("544999999.50")
    assert (total.issue_count, total.issues_not_started) == (4, 2)


@pytest.mark.parametrize(
    ("stage", "flagged"),
    [
        (Stage.PIPELINE, True),
        (Stage.SIGNED, True),
        (Stage.STARTED, False),
        (Stage.PRODUCING, False),
        (Stage.AT_CAPACITY, False),
    ],
)
def test_a_bond_is_flagged_when_its_project_has_not_started(program, pairing_a, stage, flagged):
    plan = BondPlanFactory(program=program)
    quota = bond_quota_assign(plan=plan, county=pairing_a.weak_county, quota=Decimal("1000000.00"))
    issue(quota, "1000.00", project_in(pairing_a, stage))

    [row] = bond_usage(plan=plan).counties

    assert row.issues[0].project_not_started is flagged
    assert row.issues_not_started == int(flagged)


def test_bond_usage_for_one_county(plan, pairing_a):
    usage = bond_usage(plan=plan, county=pairing_a.weak_county.adcode)

    [row] = usage.counties
    assert row.county == pairing_a.weak_county
    assert usage.counties_total.issued == Decimal("175000000.50")
    assert usage.issued == Decimal("255000000.50")


def test_bond_usage_is_two_queries_whatever_the_number_of_counties(plan, program):
    def read() -> None:
        usage = bond_usage(plan=plan)
        [(entry.project_not_started, row.county.name) for row in usage.counties for entry in row.issues]

    with CaptureQueriesContext(connection) as few:
        read()
    for _ in range(5):
        pairing = PairingFactory(program=program)
        quota = bond_quota_assign(plan=plan, county=pairing.weak_county, quota=Decimal("10000000.00"))
        issue(quota, "1000000.00", project_in(pairing, Stage.SIGNED))
        issue(quota, "2000000.00", project_in(pairing, Stage.STARTED))

    with CaptureQueriesContext(connection) as many:
        read()

    assert len(few) == len(many) == 2
    assert bond_usage(plan=plan).counties_total.issues_not_started == 7
