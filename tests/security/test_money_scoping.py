"""A county liaison and the money endpoints: the filters offer only what they may see, a hidden row is answered
like a missing one, and the money figures they read are their own county's, never the province's totals.

The world: the worked example's 2025 guidance fund (allocations to county A 台儿庄区 and county B 蒙阴县, a reward
run with a line for each), and a second program's fund that allocated money to county B only, with its own run:
hidden from liaison A.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from funds.factories import BondPlanFactory, FundFactory
from funds.models import Allocation, BondIssue, BondQuota, Disbursement, Fund
from funds.reward_runs import reward_run_start
from funds.services import allocation_create, bond_issue_create, bond_quota_assign, disbursement_create
from pairing.factories import ProgramCountyFactory, ProgramFactory
from tests.conftest import client_for
from tests.funds import test_reward_runs

fund = test_reward_runs.fund  # the worked example's guidance fund, with its statistics (a fixture)

HIDDEN_NAME = "他县专项资金"


@pytest.fixture
def hidden(fund, finance, pairing_b):
    """A fund of another program that allocated money to county B only, with its reward run, bond plan and issue."""
    other = ProgramFactory(code="sd-other", name="另一计划")
    ProgramCountyFactory(program=other, county=pairing_b.weak_county)
    hidden_fund = FundFactory(program=other, year=2025, name=HIDDEN_NAME, total=Decimal("50000000.00"))
    allocation = allocation_create(
        fund=hidden_fund, county=pairing_b.weak_county, amount=Decimal("1000000.00"), allocated_on=dt.date(2025, 3, 1)
    )
    disbursement_create(allocation=allocation, amount=Decimal("1000.00"), paid_on=dt.date(2025, 4, 1))
    reward_run_start(fund=hidden_fund, by=finance)
    plan = BondPlanFactory(program=other, year=2025, total=Decimal("900000000.00"))
    quota = bond_quota_assign(plan=plan, county=pairing_b.weak_county, quota=Decimal("1000000.00"))
    bond_issue_create(
        quota=quota, amount=Decimal("1000.00"), issue_date=dt.date(2025, 6, 1), term_years=10, rate_pct=Decimal("2")
    )
    return hidden_fund


# --- 9a: filters -----------------------------------------------------------------------------------------------------


def test_the_reward_run_filter_answers_a_hidden_fund_like_a_missing_one(fund, hidden, finance, liaison_a):
    reward_run_start(fund=fund, by=finance)
    client = client_for(liaison_a)
    missing = Fund.objects.order_by("-pk").first().pk + 1000

    own = client.get("/api/v1/reward-runs/", {"fund": fund.pk})
    hidden_answer = client.get("/api/v1/reward-runs/", {"fund": hidden.pk})
    missing_answer = client.get("/api/v1/reward-runs/", {"fund": missing})

    assert own.status_code == 200 and own.json()["count"] == 1
    assert hidden_answer.status_code == missing_answer.status_code
    assert hidden_answer.json() == missing_answer.json()
    # An officer still filters by any fund.
    assert client_for(finance).get("/api/v1/reward-runs/", {"fund": hidden.pk}).json()["count"] == 1


def test_the_reward_run_filter_form_lists_only_the_liaisons_funds(fund, hidden, finance, liaison_a, officer):
    reward_run_start(fund=fund, by=finance)

    page = client_for(liaison_a).get("/api/v1/reward-runs/", HTTP_ACCEPT="text/html").content.decode()

    assert f"{fund.year} {fund.name}" in page  # the filter form is there, with the liaison's own fund
    assert HIDDEN_NAME not in page
    officer_page = client_for(officer).get("/api/v1/reward-runs/", HTTP_ACCEPT="text/html").content.decode()
    assert HIDDEN_NAME in officer_page


def _hidden_ids(hidden: Fund) -> dict[str, int]:
    allocation = Allocation.objects.get(fund=hidden)
    quota = BondQuota.objects.get(plan__program=hidden.program)
    return {
        "fund": hidden.pk,
        "allocation": allocation.pk,
        "disbursement": Disbursement.objects.get(allocation=allocation).pk,
        "plan": quota.plan_id,
        "quota": quota.pk,
        "issue": BondIssue.objects.get(quota=quota).pk,
    }


# Every money list filtered by a row id: (endpoint, parameter, the kind of row the id names).
ID_FILTERS = [
    ("reward-runs", "fund", "fund"),
    ("funds", "program", None),
    ("allocations", "fund", "fund"),
    ("disbursements", "fund", "fund"),
    ("disbursements", "allocation", "allocation"),
    ("bond-quotas", "plan", "plan"),
    ("bond-issues", "quota", "quota"),
    ("fund-contributions", "fund", "fund"),
    ("fund-investments", "fund", "fund"),
]


@pytest.mark.parametrize(("endpoint", "parameter", "kind"), ID_FILTERS)
def test_every_money_filter_answers_hidden_and_missing_alike(fund, hidden, liaison_a, endpoint, parameter, kind):
    client = client_for(liaison_a)
    if kind is None:
        hidden_value, missing_value = "sd-other", "sd-nowhere"
    else:
        hidden_value, missing_value = _hidden_ids(hidden)[kind], 10_000_000

    hidden_answer = client.get(f"/api/v1/{endpoint}/", {parameter: hidden_value})
    missing_answer = client.get(f"/api/v1/{endpoint}/", {parameter: missing_value})

    assert hidden_answer.status_code == missing_answer.status_code
    assert hidden_answer.json() == missing_answer.json()


# --- 9b: a liaison's money figures are their own county's -----------------------------------------------------------


def test_the_funds_list_gives_a_liaison_their_own_countys_figures(fund, hidden, liaison_a, liaison_b, finance):
    rows = {row["id"]: row for row in client_for(liaison_a).get("/api/v1/funds/").json()["results"]}

    assert set(rows) == {fund.pk}
    row = rows[fund.pk]
    assert row["total"] == "200000000.00"  # the fund's announced size is public
    assert row["allocated"] == "100000000.00"  # county A's allocation, not the 180,000,000 of both counties
    assert row["disbursed"] == "95000000.00"  # paid to county A, not the 163,450,000 of both
    assert row["unallocated"] is None  # total − everything allocated would give the province's figure away

    b_rows = {row["id"]: row for row in client_for(liaison_b).get("/api/v1/funds/").json()["results"]}
    assert b_rows[fund.pk]["allocated"] == "80000000.00"
    assert b_rows[fund.pk]["disbursed"] == "68450000.00"
    assert b_rows[hidden.pk]["allocated"] == "1000000.00"

    detail = client_for(liaison_a).get(f"/api/v1/funds/{fund.pk}/").json()
    assert (detail["allocated"], detail["disbursed"], detail["unallocated"]) == ("100000000.00", "95000000.00", None)


def test_the_funds_list_is_unchanged_for_the_provincial_roles(fund, finance, leader, officer):
    for user in (officer, finance, leader):
        row = client_for(user).get(f"/api/v1/funds/{fund.pk}/").json()
        assert (row["total"], row["allocated"], row["unallocated"], row["disbursed"]) == (
            "200000000.00",
            "180000000.00",
            "20000000.00",
            "163450000.00",
        )


def test_fund_usage_gives_a_liaison_their_own_countys_figures(fund, liaison_a):
    body = client_for(liaison_a).get(f"/api/v1/fund-usage/{fund.pk}/").json()

    assert body["total"] == "200000000.00"
    assert (body["allocated"], body["disbursed"], body["undisbursed"]) == (
        "100000000.00",
        "95000000.00",
        "5000000.00",
    )
    assert body["unallocated"] is None and body["surplus"] is None
    assert body["disbursement_rate_pct"] == "95.00"
    assert [row["county"] for row in body["counties"]] == ["370405"]
    assert body["counties_total"]["allocated"] == "100000000.00"
    assert "163450000.00" not in str(body) and "180000000.00" not in str(body)


def test_fund_usage_is_unchanged_for_an_officer(fund, officer):
    body = client_for(officer).get(f"/api/v1/fund-usage/{fund.pk}/").json()
    assert (body["allocated"], body["disbursed"], body["unallocated"], body["surplus"]) == (
        "180000000.00",
        "163450000.00",
        "20000000.00",
        "36550000.00",
    )
    assert [row["county"] for row in body["counties"]] == ["370405", "371328"]


def test_the_funds_export_holds_the_same_figures_as_the_liaisons_list(fund, liaison_a):
    response = client_for(liaison_a).get("/api/v1/funds/", {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "100000000.00" in text
    assert "180000000.00" not in text and "163450000.00" not in text


def test_a_reward_run_gives_a_liaison_no_province_totals(fund, finance, liaison_a, officer):
    run, _created = reward_run_start(fund=fund, by=finance)

    body = client_for(liaison_a).get(f"/api/v1/reward-runs/{run.pk}/").json()

    assert body["fund_total"] == "200000000.00"
    assert body["disbursed"] is None and body["surplus"] is None
    assert [row["county"] for row in body["shares"]] == ["370405"]
    officer_body = client_for(officer).get(f"/api/v1/reward-runs/{run.pk}/").json()
    assert (officer_body["disbursed"], officer_body["surplus"]) == ("163450000.00", "36550000.00")
