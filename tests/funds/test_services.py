"""Fund and bond services: amounts are booked against their limits, refused past them, and nothing half-saved."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from funds.factories import BondPlanFactory, FundFactory
from funds.models import Allocation, BondIssue, BondPlan, BondQuota, Disbursement, Fund, FundKind
from funds.services import (
    allocation_create,
    bond_issue_create,
    bond_plan_create,
    bond_quota_assign,
    disbursement_create,
    fund_create,
)
from pairing.factories import CountyFactory, PairingFactory, ProgramFactory
from projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db

ON = dt.date(2025, 3, 1)


@pytest.fixture
def fund(program) -> Fund:
    return FundFactory(program=program, total=Decimal("1000000.00"))


@pytest.fixture
def weak(pairing_a):
    return pairing_a.weak_county


@pytest.fixture
def allocation(fund, weak) -> Allocation:
    return allocation_create(fund=fund, county=weak, amount=Decimal("400000.00"), allocated_on=ON)


@pytest.fixture
def plan(program) -> BondPlan:
    return BondPlanFactory(program=program, total=Decimal("2000000000.00"))


@pytest.fixture
def quota(plan, weak) -> BondQuota:
    return bond_quota_assign(plan=plan, county=weak, quota=Decimal("200000000.00"))


def _fund_state(fund: Fund) -> tuple[Decimal, int]:
    return Fund.objects.get(pk=fund.pk).allocated, Allocation.objects.filter(fund=fund).count()


class TestAllocation:
    def test_within_the_fund(self, fund, weak):
        allocation = allocation_create(fund=fund, county=weak, amount=Decimal("250000.00"), allocated_on=ON)

        assert allocation.amount == Decimal("250000.00")
        assert _fund_state(fund) == (Decimal("250000.00"), 1)

    def test_up_to_the_last_fen(self, fund, weak):
        allocation_create(fund=fund, county=weak, amount=Decimal("999999.99"), allocated_on=ON)
        allocation_create(fund=fund, county=weak, amount=Decimal("0.01"), allocated_on=ON)

        assert _fund_state(fund) == (fund.total, 2)

    def test_over_the_fund_saves_nothing(self, fund, weak):
        allocation_create(fund=fund, county=weak, amount=Decimal("600000.00"), allocated_on=ON)
        before = _fund_state(fund)

        with pytest.raises(ValidationError) as caught:
            allocation_create(fund=fund, county=weak, amount=Decimal("400000.01"), allocated_on=ON)

        assert "amount" in caught.value.message_dict
        assert "40.00 万元" in caught.value.message_dict["amount"][0]  # what is left, in 万元
        assert _fund_state(fund) == before == (Decimal("600000.00"), 1)

    def test_running_total_matches_the_allocations(self, fund, weak, pairing_b):
        for amount in ("100000.00", "200000.50", "300000.25"):
            allocation_create(fund=fund, county=weak, amount=Decimal(amount), allocated_on=ON)
        allocation_create(fund=fund, county=pairing_b.weak_county, amount=Decimal("1.00"), allocated_on=ON)

        total = Allocation.objects.filter(fund=fund).aggregate(total=Sum("amount"))["total"]
        assert Fund.objects.get(pk=fund.pk).allocated == total == Decimal("600001.75")

    def test_strong_county_is_refused(self, fund, pairing_a):
        with pytest.raises(ValidationError) as caught:
            allocation_create(fund=fund, county=pairing_a.strong_county, amount=Decimal("1.00"), allocated_on=ON)

        assert "county" in caught.value.message_dict
        assert _fund_state(fund) == (Decimal("0.00"), 0)

    def test_county_outside_the_program_is_refused(self, fund):
        with pytest.raises(ValidationError) as caught:
            allocation_create(fund=fund, county=CountyFactory(), amount=Decimal("1.00"), allocated_on=ON)

        assert "county" in caught.value.message_dict

    def test_weak_county_of_another_program_is_refused(self, weak):
        other_fund = FundFactory(program=ProgramFactory(code="other"))

        with pytest.raises(ValidationError):
            allocation_create(fund=other_fund, county=weak, amount=Decimal("1.00"), allocated_on=ON)

    @pytest.mark.parametrize("amount", ["0", "-1.00", "0.004"])
    def test_amount_must_be_positive(self, fund, weak, amount):
        with pytest.raises(ValidationError) as caught:
            allocation_create(fund=fund, county=weak, amount=amount, allocated_on=ON)

        assert "amount" in caught.value.message_dict
        assert _fund_state(fund) == (Decimal("0.00"), 0)

    def test_project_in_another_county_is_refused(self, fund, weak, pairing_a):
        project = ProjectFactory(pairing=pairing_a, county=pairing_a.strong_county)

        with pytest.raises(ValidationError) as caught:
            allocation_create(fund=fund, county=weak, amount=Decimal("1.00"), allocated_on=ON, project=project)

        assert "project" in caught.value.message_dict
        assert _fund_state(fund) == (Decimal("0.00"), 0)

    def test_amount_from_a_string_is_quantized_half_up(self, fund, weak):
        allocation = allocation_create(fund=fund, county=weak, amount="1234.565", allocated_on=ON)

        assert allocation.amount == Decimal("1234.57")
        assert Fund.objects.get(pk=fund.pk).allocated == Decimal("1234.57")

    def test_float_amount_is_refused(self, fund, weak):
        with pytest.raises(TypeError):
            allocation_create(fund=fund, county=weak, amount=0.1, allocated_on=ON)

        assert _fund_state(fund) == (Decimal("0.00"), 0)


class TestDisbursement:
    def _state(self, allocation: Allocation) -> tuple[Decimal, int]:
        return Allocation.objects.get(pk=allocation.pk).disbursed, Disbursement.objects.count()

    def test_tranches_within_the_allocation(self, allocation):
        disbursement_create(allocation=allocation, amount=Decimal("150000.00"), paid_on=ON)
        disbursement_create(allocation=allocation, amount=Decimal("250000.00"), paid_on=ON + dt.timedelta(days=30))

        assert self._state(allocation) == (Decimal("400000.00"), 2)

    def test_over_the_allocation_saves_nothing(self, allocation):
        disbursement_create(allocation=allocation, amount=Decimal("300000.00"), paid_on=ON)

        with pytest.raises(ValidationError) as caught:
            disbursement_create(allocation=allocation, amount=Decimal("100000.01"), paid_on=ON)

        assert "amount" in caught.value.message_dict
        assert self._state(allocation) == (Decimal("300000.00"), 1)

    def test_paid_before_allocated(self, allocation):
        with pytest.raises(ValidationError) as caught:
            disbursement_create(allocation=allocation, amount=Decimal("1.00"), paid_on=ON - dt.timedelta(days=1))

        assert "paid_on" in caught.value.message_dict
        assert self._state(allocation) == (Decimal("0.00"), 0)

    def test_amount_must_be_positive(self, allocation):
        with pytest.raises(ValidationError):
            disbursement_create(allocation=allocation, amount=Decimal("0"), paid_on=ON)


class TestFundCreate:
    def test_guidance_fund(self, program):
        fund = fund_create(program=program, year=2025, total="200000000")

        assert (fund.kind, fund.total, fund.allocated) == (FundKind.GUIDANCE, Decimal("200000000.00"), Decimal("0"))

    def test_second_guidance_fund_for_the_year(self, program):
        FundFactory(program=program, year=2025)

        with pytest.raises(ValidationError) as caught:
            fund_create(program=program, year=2025, total=Decimal("1.00"))

        assert "year" in caught.value.message_dict

    def test_pair_industry_fund_needs_a_pairing(self, program):
        with pytest.raises(ValidationError) as caught:
            fund_create(program=program, year=2025, total=Decimal("1.00"), kind=FundKind.PAIR_INDUSTRY)

        assert "pairing" in caught.value.message_dict

    def test_pairing_of_another_program(self, program):
        with pytest.raises(ValidationError) as caught:
            fund_create(
                program=program,
                year=2025,
                total=Decimal("1.00"),
                kind=FundKind.PAIR_INDUSTRY,
                pairing=PairingFactory(program=ProgramFactory(code="other")),
            )

        assert "pairing" in caught.value.message_dict

    def test_negative_total(self, program):
        with pytest.raises(ValidationError):
            fund_create(program=program, year=2025, total=Decimal("-0.01"))
        assert Fund.objects.count() == 0


class TestBonds:
    def test_plan(self, program):
        plan = bond_plan_create(program=program, year=2025, total="2000000000")

        assert plan.total == Decimal("2000000000.00")

    def test_quota_within_the_plan(self, plan, weak):
        quota = bond_quota_assign(plan=plan, county=weak, quota=Decimal("200000000.00"))

        assert quota.quota == Decimal("200000000.00")
        assert BondPlan.objects.get(pk=plan.pk).assigned == Decimal("200000000.00")

    def test_quota_over_the_plan(self, plan, weak):
        with pytest.raises(ValidationError) as caught:
            bond_quota_assign(plan=plan, county=weak, quota=plan.total + Decimal("0.01"))

        assert "quota" in caught.value.message_dict
        assert BondPlan.objects.get(pk=plan.pk).assigned == Decimal("0.00")
        assert BondQuota.objects.count() == 0

    def test_quota_for_a_strong_county(self, plan, pairing_a):
        with pytest.raises(ValidationError) as caught:
            bond_quota_assign(plan=plan, county=pairing_a.strong_county, quota=Decimal("1.00"))

        assert "county" in caught.value.message_dict

    def test_second_quota_for_a_county(self, quota):
        with pytest.raises(ValidationError) as caught:
            bond_quota_assign(plan=quota.plan, county=quota.county, quota=Decimal("1.00"))

        assert "county" in caught.value.message_dict
        assert BondPlan.objects.get(pk=quota.plan_id).assigned == quota.quota

    def test_issue_within_the_quota(self, quota):
        for amount in ("120000000.00", "80000000.00"):
            bond_issue_create(quota=quota, amount=amount, issue_date=ON, term_years=10, rate_pct=Decimal("2.150"))

        assert BondQuota.objects.get(pk=quota.pk).issued == quota.quota
        assert BondIssue.objects.count() == 2

    def test_issue_over_the_quota_saves_nothing(self, quota):
        bond_issue_create(quota=quota, amount=Decimal("150000000.00"), issue_date=ON, term_years=10, rate_pct=2)

        with pytest.raises(ValidationError) as caught:
            bond_issue_create(quota=quota, amount=Decimal("50000000.01"), issue_date=ON, term_years=10, rate_pct=2)

        assert "amount" in caught.value.message_dict
        assert BondQuota.objects.get(pk=quota.pk).issued == Decimal("150000000.00")
        assert BondIssue.objects.count() == 1

    def test_issue_for_a_project_elsewhere(self, quota, pairing_a):
        project = ProjectFactory(pairing=pairing_a, county=pairing_a.strong_county)

        with pytest.raises(ValidationError) as caught:
            bond_issue_create(
                quota=quota, amount=Decimal("1.00"), issue_date=ON, term_years=10, rate_pct=2, project=project
            )

        assert "project" in caught.value.message_dict
        assert BondQuota.objects.get(pk=quota.pk).issued == Decimal("0.00")


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_never_pass_the_fund(require_postgres):
    """Eight writers race for a fund that holds three of their allocations: exactly three win."""
    writers, amount = 8, Decimal("300000.00")
    pairing = PairingFactory()
    fund = FundFactory(program=pairing.program, total=Decimal("1000000.00"))
    fits = int(fund.total // amount)
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def write() -> None:
        try:
            barrier.wait(timeout=10)
            allocation_create(fund=fund, county=pairing.weak_county, amount=amount, allocated_on=ON)
            outcome = "booked"
        except ValidationError:
            outcome = "refused"
        except Exception as exc:  # anything else is a failure the assertion below shows
            outcome = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["booked"] * fits + ["refused"] * (writers - fits)
    fund.refresh_from_db()
    booked = Allocation.objects.filter(fund=fund).aggregate(total=Sum("amount"))["total"]
    assert fund.allocated == booked == amount * fits
    assert fund.allocated <= fund.total
