"""GET /api/v1/fund-usage/{fund_id}/ and /api/v1/bond-usage/{plan_id}/ — each persona on each endpoint."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funds.factories import BondPlanFactory, FundFactory
from funds.services import (
    allocation_create,
    bond_issue_create,
    bond_quota_assign,
    disbursement_create,
)
from pairing.factories import PairingFactory
from projects.factories import ProjectFactory
from projects.models import Stage
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PROVINCIAL = ["officer_client", "finance_client", "leader_client"]


@pytest.fixture
def fund(program, pairing_a, pairing_b):
    """2亿 in 2025: 台儿庄 5000万 allocated, 12,345,678.91 paid; 蒙阴 3000万 allocated, 1000万 paid."""
    fund = FundFactory(program=program, year=2025, total=Decimal("200000000.00"))
    to_a = allocation_create(
        fund=fund, county=pairing_a.weak_county, amount=Decimal("50000000.00"), allocated_on=dt.date(2025, 3, 1)
    )
    to_b = allocation_create(
        fund=fund, county=pairing_b.weak_county, amount=Decimal("30000000.00"), allocated_on=dt.date(2025, 3, 1)
    )
    disbursement_create(allocation=to_a, amount=Decimal("12345678.91"), paid_on=dt.date(2025, 4, 1))
    disbursement_create(allocation=to_b, amount=Decimal("10000000.00"), paid_on=dt.date(2025, 4, 1))
    return fund


@pytest.fixture
def fund_for_a_only(program, pairing_a, pairing_b):
    """A 2024 fund with money for 台儿庄 only: 蒙阴's liaison has nothing there."""
    fund = FundFactory(program=program, year=2024, total=Decimal("100000000.00"))
    allocation_create(
        fund=fund, county=pairing_a.weak_county, amount=Decimal("1000000.00"), allocated_on=dt.date(2024, 10, 1)
    )
    return fund


@pytest.fixture
def plan(program, pairing_a, pairing_b):
    """20亿 for 2025: 台儿庄 5亿 quota, 1亿 for a signed project and 5000万.50 without one; 蒙阴 3亿, nothing issued."""
    plan = BondPlanFactory(program=program, year=2025, total=Decimal("2000000000.00"))
    quota_a = bond_quota_assign(plan=plan, county=pairing_a.weak_county, quota=Decimal("500000000.00"))
    bond_quota_assign(plan=plan, county=pairing_b.weak_county, quota=Decimal("300000000.00"))
    signed = ProjectFactory(pairing=pairing_a, stage=Stage.SIGNED, code="TEZ-001")
    for project, amount in ((signed, "100000000.00"), (None, "50000000.50")):
        bond_issue_create(
            quota=quota_a,
            amount=Decimal(amount),
            issue_date=dt.date(2025, 6, 1),
            term_years=10,
            rate_pct=Decimal("2.300"),
            project=project,
        )
    return plan


@pytest.fixture
def plan_for_a_only(program, pairing_a, pairing_b):
    plan = BondPlanFactory(program=program, year=2024, total=Decimal("1000000000.00"))
    bond_quota_assign(plan=plan, county=pairing_a.weak_county, quota=Decimal("100000000.00"))
    return plan


def fund_url(fund) -> str:
    return f"/api/v1/fund-usage/{fund.pk}/"


def plan_url(plan) -> str:
    return f"/api/v1/bond-usage/{plan.pk}/"


# --- Fund usage ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PROVINCIAL)
def test_provincial_staff_see_every_county_of_a_fund(request, fund, persona):
    response = request.getfixturevalue(persona).get(fund_url(fund))

    assert response.status_code == 200
    body = response.json()
    assert body["fund"] == fund.pk
    assert body["program"] == "sd-test"
    assert (body["year"], body["kind"]) == (2025, "guidance")
    assert body["total"] == "200000000.00"
    assert body["allocated"] == "80000000.00"
    assert body["unallocated"] == "120000000.00"
    assert body["disbursed"] == "22345678.91"
    assert body["undisbursed"] == "57654321.09"
    assert body["surplus"] == "177654321.09"
    assert body["disbursement_rate_pct"] == "27.93"
    assert [row["county"] for row in body["counties"]] == ["370405", "371328"]
    taierzhuang = body["counties"][0]
    assert taierzhuang == {
        "county": "370405",
        "county_name": "台儿庄区",
        "allocations": 1,
        "allocated": "50000000.00",
        "disbursed": "12345678.91",
        "remaining": "37654321.09",
        "disbursement_rate_pct": "24.69",
    }
    assert body["counties"][1]["disbursement_rate_pct"] == "33.33"
    assert body["counties_total"] == {
        "allocations": 2,
        "allocated": "80000000.00",
        "disbursed": "22345678.91",
        "remaining": "57654321.09",
        "disbursement_rate_pct": "27.93",
    }


@pytest.mark.parametrize(("persona", "adcode"), [("liaison_a_client", "370405"), ("liaison_b_client", "371328")])
def test_a_liaison_sees_only_their_own_county_row(request, fund, persona, adcode):
    body = request.getfixturevalue(persona).get(fund_url(fund)).json()

    [row] = body["counties"]
    assert row["county"] == adcode
    assert body["counties_total"]["allocated"] == row["allocated"]
    assert body["counties_total"]["disbursed"] == row["disbursed"]


def test_another_countys_liaison_gets_404_for_a_fund_with_nothing_for_them(
    liaison_a_client, liaison_b_client, fund_for_a_only
):
    assert liaison_a_client.get(fund_url(fund_for_a_only)).status_code == 200
    assert liaison_b_client.get(fund_url(fund_for_a_only)).status_code == 404


def test_a_fund_without_allocations_is_empty_for_provincial_staff(officer_client, program):
    empty = FundFactory(program=program, year=2026, total=Decimal("1000.00"))

    body = officer_client.get(fund_url(empty)).json()

    assert body["counties"] == []
    assert body["disbursement_rate_pct"] is None
    assert body["counties_total"]["allocated"] == "0.00"


def test_fund_usage_without_a_role_is_403_and_anonymous_is_401(api_client, fund, norole):
    assert client_for(norole).get(fund_url(fund)).status_code == 403
    assert api_client.get(fund_url(fund)).status_code == 401


def test_an_unknown_fund_is_404(officer_client):
    assert officer_client.get("/api/v1/fund-usage/999999/").status_code == 404


def test_fund_usage_is_read_only(officer_client, fund):
    assert officer_client.post(fund_url(fund), {}).status_code == 405
    assert officer_client.delete(fund_url(fund)).status_code == 405


def test_fund_usage_query_count_does_not_grow_with_counties(officer_client, fund, program):
    officer_client.get(fund_url(fund))
    with CaptureQueriesContext(connection) as few:
        officer_client.get(fund_url(fund))
    for _ in range(5):
        allocation_create(
            fund=fund,
            county=PairingFactory(program=program).weak_county,
            amount=Decimal("1000.00"),
            allocated_on=dt.date(2025, 3, 1),
        )

    with CaptureQueriesContext(connection) as many:
        response = officer_client.get(fund_url(fund))

    assert len(response.json()["counties"]) == 7
    assert len(few) == len(many)


# --- Bond usage ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PROVINCIAL)
def test_provincial_staff_see_every_county_of_a_bond_plan(request, plan, persona):
    response = request.getfixturevalue(persona).get(plan_url(plan))

    assert response.status_code == 200
    body = response.json()
    assert (body["plan"], body["program"], body["year"]) == (plan.pk, "sd-test", 2025)
    assert body["total"] == "2000000000.00"
    assert body["assigned"] == "800000000.00"
    assert body["unassigned"] == "1200000000.00"
    assert body["issued"] == "150000000.50"
    assert body["unissued"] == "649999999.50"
    assert body["usage_rate_pct"] == "18.75"
    taierzhuang, mengyin = body["counties"]
    assert taierzhuang["county"] == "370405"
    assert taierzhuang["quota"] == "500000000.00"
    assert taierzhuang["issued"] == "150000000.50"
    assert taierzhuang["remaining"] == "349999999.50"
    assert taierzhuang["usage_rate_pct"] == "30.00"
    assert (taierzhuang["issue_count"], taierzhuang["issues_not_started"]) == (2, 1)
    flagged, plain = taierzhuang["issues"]
    assert flagged["project_code"] == "TEZ-001"
    assert flagged["project_stage"] == "signed"
    assert flagged["project_not_started"] is True
    assert flagged["amount"] == "100000000.00"
    assert flagged["rate_pct"] == "2.300"
    assert (plain["project"], plain["project_code"], plain["project_not_started"]) == (None, None, False)
    assert mengyin["issues"] == [] and mengyin["usage_rate_pct"] == "0.00"
    assert body["counties_total"] == {
        "quota": "800000000.00",
        "issued": "150000000.50",
        "remaining": "649999999.50",
        "usage_rate_pct": "18.75",
        "issue_count": 2,
        "issues_not_started": 1,
    }


def test_a_liaison_sees_only_their_own_countys_quota(liaison_b_client, plan):
    body = liaison_b_client.get(plan_url(plan)).json()

    [row] = body["counties"]
    assert row["county"] == "371328"
    assert body["counties_total"]["quota"] == "300000000.00"
    assert body["counties_total"]["issues_not_started"] == 0


def test_another_countys_liaison_gets_404_for_a_plan_with_nothing_for_them(
    liaison_a_client, liaison_b_client, plan_for_a_only
):
    assert liaison_a_client.get(plan_url(plan_for_a_only)).status_code == 200
    assert liaison_b_client.get(plan_url(plan_for_a_only)).status_code == 404


def test_bond_usage_without_a_role_is_403_and_anonymous_is_401(api_client, plan, norole):
    assert client_for(norole).get(plan_url(plan)).status_code == 403
    assert api_client.get(plan_url(plan)).status_code == 401


def test_an_unknown_plan_is_404(officer_client):
    assert officer_client.get("/api/v1/bond-usage/999999/").status_code == 404


def test_both_endpoints_are_in_the_schema_as_read_only_fund_operations(officer_client):
    paths = officer_client.get("/api/schema/", {"format": "json"}).json()["paths"]

    for path in ("/api/v1/fund-usage/{fund_id}/", "/api/v1/bond-usage/{plan_id}/"):
        assert set(paths[path]) == {"get"}
        operation = paths[path]["get"]
        assert operation["tags"] == ["funds"]
        assert operation["summary"] and operation["description"]
