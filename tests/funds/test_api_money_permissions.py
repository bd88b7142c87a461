"""Who may read and write the money endpoints: funds, allocations, disbursements and special bonds.

Every endpoint is tried by every persona with every method. The ledger holds, for each endpoint, one row that belongs
to county A (台儿庄区, pairing_a's weak county) and one of county B (蒙阴县, pairing_b's weak county):

- reads: every role; a county liaison only their own county's rows — the others are absent from the list and its
  ``count``, and a 404 on detail;
- POST: the provincial and finance officers; the leader and the liaisons 403;
- PUT, PATCH and DELETE: never (corrections are new entries) — 405 for the writers, 403 for the others, since DRF
  checks the permission before it looks for a handler;
- an account without a role: 403 on everything; anonymous: 401 on everything.

A refused POST books nothing: no new row and no running total moved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db.models import Model
from rest_framework.test import APIClient

from funds.factories import BondPlanFactory, FundFactory
from funds.models import Allocation, BondIssue, BondPlan, BondQuota, Disbursement, Fund, FundKind
from funds.services import allocation_create, bond_issue_create, bond_quota_assign, disbursement_create
from tests.conftest import client_for

COUNTY_A = "370405"
COUNTY_B = "371328"

ENDPOINTS = ["funds", "allocations", "disbursements", "bond-plans", "bond-quotas", "bond-issues"]
PERSONAS = ["officer", "finance", "leader", "liaison_a", "liaison_b", "norole", "anonymous"]
# The rows of the ledger each persona reads: "a" is county A's, "b" county B's.
SEES = {
    "officer": {"a", "b"},
    "finance": {"a", "b"},
    "leader": {"a", "b"},
    "liaison_a": {"a"},
    "liaison_b": {"b"},
}
LIST_STATUS = {**dict.fromkeys(SEES, 200), "norole": 403, "anonymous": 401}
DETAIL_OF_A_STATUS = {**LIST_STATUS, "liaison_b": 404}
DETAIL_OF_B_STATUS = {**LIST_STATUS, "liaison_a": 404}
CREATE_STATUS = {
    "officer": 201,
    "finance": 201,
    "leader": 403,
    "liaison_a": 403,
    "liaison_b": 403,
    "norole": 403,
    "anonymous": 401,
}
CHANGE_STATUS = {**CREATE_STATUS, "officer": 405, "finance": 405}
MODELS: dict[str, type[Model]] = {
    "funds": Fund,
    "allocations": Allocation,
    "disbursements": Disbursement,
    "bond-plans": BondPlan,
    "bond-quotas": BondQuota,
    "bond-issues": BondIssue,
}


def url(endpoint: str, pk: int | None = None) -> str:
    return f"/api/v1/{endpoint}/" if pk is None else f"/api/v1/{endpoint}/{pk}/"


@dataclass(frozen=True)
class Ledger:
    a: dict[str, Model]  # endpoint → a row of county A
    b: dict[str, Model]  # endpoint → a row of county B

    def row(self, side: str, endpoint: str) -> Model:
        return getattr(self, side)[endpoint]


@pytest.fixture
def ledger(program, pairing_a, pairing_b) -> Ledger:
    """County A: the 2025 guidance fund of 2亿, 5000万 of it allocated to A, 1000万 paid; the 2025 bond plan of 20亿,
    a 5亿 quota for A, 1亿 issued. County B: the same in 2026 (1亿 fund, 3000万 → 500万; 10亿 plan, 3亿 → 1亿).
    Each fund and plan has one county only, so a liaison of the other county must not see it."""
    county_a, county_b = pairing_a.weak_county, pairing_b.weak_county
    fund_a = FundFactory(program=program, year=2025, total=Decimal("200000000.00"))
    fund_b = FundFactory(program=program, year=2026, total=Decimal("100000000.00"))
    allocation_a = allocation_create(
        fund=fund_a, county=county_a, amount=Decimal("50000000.00"), allocated_on=dt.date(2025, 3, 1)
    )
    allocation_b = allocation_create(
        fund=fund_b, county=county_b, amount=Decimal("30000000.00"), allocated_on=dt.date(2026, 3, 1)
    )
    plan_a = BondPlanFactory(program=program, year=2025, total=Decimal("2000000000.00"))
    plan_b = BondPlanFactory(program=program, year=2026, total=Decimal("1000000000.00"))
    quota_a = bond_quota_assign(plan=plan_a, county=county_a, quota=Decimal("500000000.00"))
    quota_b = bond_quota_assign(plan=plan_b, county=county_b, quota=Decimal("300000000.00"))
    issue = {"issue_date": dt.date(2025, 6, 30), "term_years": 10, "rate_pct": Decimal("2.350")}
    return Ledger(
        a={
            "funds": fund_a,
            "allocations": allocation_a,
            "disbursements": disbursement_create(
                allocation=allocation_a, amount=Decimal("10000000.00"), paid_on=dt.date(2025, 4, 1)
            ),
            "bond-plans": plan_a,
            "bond-quotas": quota_a,
            "bond-issues": bond_issue_create(quota=quota_a, amount=Decimal("100000000.00"), **issue),
        },
        b={
            "funds": fund_b,
            "allocations": allocation_b,
            "disbursements": disbursement_create(
                allocation=allocation_b, amount=Decimal("5000000.00"), paid_on=dt.date(2026, 4, 1)
            ),
            "bond-plans": plan_b,
            "bond-quotas": quota_b,
            "bond-issues": bond_issue_create(quota=quota_b, amount=Decimal("100000000.00"), **issue),
        },
    )


def valid_payload(endpoint: str, ledger: Ledger) -> dict:
    """A POST the rules accept, drawing on county A's rows where it draws on anything."""
    return {
        "funds": {"program": "sd-test", "year": 2027, "kind": "guidance", "total": "200000000.00"},
        "allocations": {
            "fund": ledger.a["funds"].pk,
            "county": COUNTY_A,
            "amount": "20000000.00",
            "date": "2025-05-01",
            "purpose": "标准化厂房",
        },
        "disbursements": {"allocation": ledger.a["allocations"].pk, "amount": "5000000.00", "date": "2025-05-01"},
        "bond-plans": {"program": "sd-test", "year": 2027, "total": "1500000000.00"},
        "bond-quotas": {"plan": ledger.a["bond-plans"].pk, "county": COUNTY_B, "quota": "200000000.00"},
        "bond-issues": {
            "quota": ledger.a["bond-quotas"].pk,
            "project": None,
            "amount": "50000000.00",
            "issue_date": "2025-09-15",
            "term_years": 15,
            "rate_pct": "2.180",
        },
    }[endpoint]


def books() -> dict[str, list[tuple]]:
    """Every money row with its amounts and running totals, to tell whether a request changed anything."""
    return {
        "funds": list(Fund.objects.order_by("pk").values_list("pk", "total", "allocated", "frozen_at")),
        "allocations": list(Allocation.objects.order_by("pk").values_list("pk", "amount", "disbursed")),
        "disbursements": list(Disbursement.objects.order_by("pk").values_list("pk", "amount")),
        "bond-plans": list(BondPlan.objects.order_by("pk").values_list("pk", "total", "assigned")),
        "bond-quotas": list(BondQuota.objects.order_by("pk").values_list("pk", "quota", "issued")),
        "bond-issues": list(BondIssue.objects.order_by("pk").values_list("pk", "amount")),
    }


@pytest.fixture
def as_persona(request):
    """``as_persona("liaison_b")`` → an API client signed in as that persona (``anonymous``: no credentials)."""

    def make(persona: str) -> APIClient:
        if persona == "anonymous":
            return request.getfixturevalue("api_client")
        return client_for(request.getfixturevalue(persona))

    return make


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_list(ledger, as_persona, endpoint, persona):
    response = as_persona(persona).get(url(endpoint), {"page_size": 100})

    assert response.status_code == LIST_STATUS[persona]
    if persona not in SEES:
        return
    body = response.json()
    expected = {ledger.row(side, endpoint).pk for side in SEES[persona]}
    assert {row["id"] for row in body["results"]} == expected
    assert body["count"] == len(body["results"]) == len(expected)
    if persona == "liaison_b":
        assert ledger.a[endpoint].pk not in {row["id"] for row in body["results"]}
        # funds and bond plans have no county of their own; every other row names county B
        assert {row.get("county", COUNTY_B) for row in body["results"]} == {COUNTY_B}


@pytest.mark.parametrize("endpoint", ["allocations", "disbursements", "bond-quotas", "bond-issues"])
def test_liaison_b_filtering_on_county_a_finds_nothing(ledger, as_persona, endpoint):
    response = as_persona("liaison_b").get(url(endpoint), {"county": COUNTY_A})

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert response.json()["results"] == []


@pytest.mark.parametrize(("persona", "sees_it"), [("liaison_a", True), ("liaison_b", False), ("leader", True)])
def test_pair_industry_fund_is_read_by_its_pairings_liaison_before_any_allocation(
    ledger, as_persona, pairing_a, persona, sees_it
):
    pair_fund = FundFactory(
        program=pairing_a.program, kind=FundKind.PAIR_INDUSTRY, pairing=pairing_a, name="青岛西海岸—台儿庄产业基金"
    )
    client = as_persona(persona)

    listed = {row["id"] for row in client.get(url("funds"), {"page_size": 100}).json()["results"]}
    detail = client.get(url("funds", pair_fund.pk))

    assert (pair_fund.pk in listed) is sees_it
    assert detail.status_code == (200 if sees_it else 404)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_detail(ledger, as_persona, endpoint, persona):
    client = as_persona(persona)
    row_a, row_b = ledger.a[endpoint], ledger.b[endpoint]

    of_a = client.get(url(endpoint, row_a.pk))
    of_b = client.get(url(endpoint, row_b.pk))

    assert of_a.status_code == DETAIL_OF_A_STATUS[persona]
    assert of_b.status_code == DETAIL_OF_B_STATUS[persona]
    if of_a.status_code == 200:
        assert of_a.json()["id"] == row_a.pk


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_create(ledger, as_persona, endpoint, persona):
    before = books()

    response = as_persona(persona).post(url(endpoint), valid_payload(endpoint, ledger), format="json")

    assert response.status_code == CREATE_STATUS[persona], response.content
    after = books()
    if response.status_code == 201:
        created = MODELS[endpoint].objects.exclude(pk__in=[row[0] for row in before[endpoint]])
        assert list(created.values_list("pk", flat=True)) == [response.json()["id"]]
    else:
        assert after == before


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_no_put_patch_or_delete(ledger, as_persona, endpoint, persona):
    client = as_persona(persona)
    row = ledger.a[endpoint]
    before = books()

    statuses = {
        "put": client.put(url(endpoint, row.pk), valid_payload(endpoint, ledger), format="json").status_code,
        "patch": client.patch(url(endpoint, row.pk), {"purpose": "改"}, format="json").status_code,
        "delete": client.delete(url(endpoint, row.pk)).status_code,
        "delete list": client.delete(url(endpoint)).status_code,
    }

    assert statuses == dict.fromkeys(statuses, CHANGE_STATUS[persona])
    assert books() == before


def test_anonymous_is_told_how_to_authenticate(ledger, api_client):
    response = api_client.post(url("allocations"), valid_payload("allocations", ledger), format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
