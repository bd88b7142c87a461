"""GET /api/v1/funds/ — funds with allocated, unallocated and disbursed amounts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import api_token_create
from funds.factories import FundFactory
from funds.models import FundKind
from funds.services import allocation_create, disbursement_create
from pairing.factories import PairingFactory, ProgramFactory

URL = "/api/v1/funds/"
EVERYONE = {"guidance", "pair_fund", "elsewhere"}
# Which rows each persona sees: liaisons only those of pairings their county is part of (either side).
VISIBLE = {
    "officer_client": EVERYONE,
    "finance_client": EVERYONE,
    "leader_client": EVERYONE,
    "liaison_a_client": {"guidance", "pair_fund"},
    "liaison_b_client": {"guidance"},
}
PERSONAS = ["officer_client", "liaison_a_client", "liaison_b_client"]
# The guidance fund's figures each persona reads: the province's, or a liaison's own county's (no unallocated rest).
FIGURES = {
    "officer_client": ("80000000.00", "120000000.00", "35000000.00"),
    "liaison_a_client": ("50000000.00", None, "30000000.00"),
    "liaison_b_client": ("30000000.00", None, "5000000.00"),
}


@pytest.fixture
def guidance(program, pairing_a, pairing_b):
    """2025 guidance fund of 2亿: 5000万 and 3000万 allocated, 2000万 + 1000万 and 500万 paid out."""
    fund = FundFactory(program=program, year=2025, total=Decimal("200000000.00"))
    to_a = allocation_create(
        fund=fund, county=pairing_a.weak_county, amount=Decimal("50000000.00"), allocated_on=dt.date(2025, 3, 1)
    )
    to_b = allocation_create(
        fund=fund, county=pairing_b.weak_county, amount=Decimal("30000000.00"), allocated_on=dt.date(2025, 3, 1)
    )
    disbursement_create(allocation=to_a, amount=Decimal("20000000.00"), paid_on=dt.date(2025, 4, 1))
    disbursement_create(allocation=to_a, amount=Decimal("10000000.00"), paid_on=dt.date(2025, 7, 1))
    disbursement_create(allocation=to_b, amount=Decimal("5000000.00"), paid_on=dt.date(2025, 5, 1))
    return fund


@pytest.fixture
def pair_fund(program, pairing_a):
    """A 2024 pair industry fund with nothing allocated yet."""
    return FundFactory(
        program=program,
        year=2024,
        kind=FundKind.PAIR_INDUSTRY,
        pairing=pairing_a,
        name="青岛西海岸—台儿庄产业基金",
        total=Decimal("1000000000.00"),
    )


@pytest.fixture
def elsewhere(db):
    return FundFactory(program=ProgramFactory(code="other"), year=2025)


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_each_persona_lists_what_it_may_see(request, guidance, pair_fund, elsewhere, persona):
    client = request.getfixturevalue(persona)
    rows = {"guidance": guidance, "pair_fund": pair_fund, "elsewhere": elsewhere}

    listing = client.get(URL, {"page_size": 100})

    assert listing.status_code == 200
    assert ids(listing) == {rows[name].pk for name in VISIBLE[persona]}
    assert listing.json()["count"] == len(VISIBLE[persona])
    for name, row in rows.items():
        assert client.get(f"{URL}{row.pk}/").status_code == (200 if name in VISIBLE[persona] else 404), name


@pytest.mark.parametrize("persona", PERSONAS)
def test_authenticated_personas_list_and_read_funds(request, guidance, pair_fund, persona):
    client = request.getfixturevalue(persona)

    listing = client.get(URL)
    detail = client.get(f"{URL}{guidance.pk}/")

    assert listing.status_code == 200
    assert detail.status_code == 200
    allocated, unallocated, disbursed = FIGURES[persona]
    assert detail.json() == {
        "id": guidance.pk,
        "program": "sd-test",
        "year": 2025,
        "kind": "guidance",
        "pairing": None,
        "name": guidance.name,
        "total": "200000000.00",
        "allocated": allocated,
        "unallocated": unallocated,
        "disbursed": disbursed,
        "closed": False,
        "is_sample": True,
    }


def test_fund_without_allocations_has_nothing_disbursed(officer_client, pair_fund):
    body = officer_client.get(f"{URL}{pair_fund.pk}/").json()

    assert body["pairing"] == pair_fund.pairing_id
    assert body["allocated"] == "0.00"
    assert body["unallocated"] == "1000000000.00"
    assert body["disbursed"] == "0.00"


def test_anonymous_is_refused(api_client, guidance):
    assert api_client.get(URL).status_code == 401
    assert api_client.get(f"{URL}{guidance.pk}/").status_code == 401


def test_token_authentication(officer, guidance):
    _token, key = api_token_create(user=officer, name="报表工具")

    response = APIClient().get(URL, HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 200
    assert ids(response) == {guidance.pk}


def test_unknown_fund_is_404(officer_client, guidance):
    assert officer_client.get(f"{URL}999999/").status_code == 404


def test_filter_by_program(officer_client, guidance, elsewhere):
    assert ids(officer_client.get(URL, {"program": "other"})) == {elsewhere.pk}
    assert ids(officer_client.get(URL, {"program": "sd-test"})) == {guidance.pk}


def test_filter_by_year(officer_client, guidance, pair_fund):
    assert ids(officer_client.get(URL, {"year": 2024})) == {pair_fund.pk}


def test_filter_by_kind(officer_client, guidance, pair_fund):
    assert ids(officer_client.get(URL, {"kind": "guidance"})) == {guidance.pk}
    assert ids(officer_client.get(URL, {"kind": "pair_industry"})) == {pair_fund.pk}


def test_list_query_count_does_not_grow_with_page_size(officer_client, program):
    for year in range(2021, 2026):
        pairing = PairingFactory(program=program)
        fund = FundFactory(program=program, year=year, total=Decimal("1000000.00"))
        allocation = allocation_create(
            fund=fund, county=pairing.weak_county, amount=Decimal("400000.00"), allocated_on=dt.date(year, 3, 1)
        )
        disbursement_create(allocation=allocation, amount=Decimal("100000.00"), paid_on=dt.date(year, 4, 1))

    with CaptureQueriesContext(connection) as one_row:
        small = officer_client.get(URL, {"page_size": 1})
    with CaptureQueriesContext(connection) as all_rows:
        large = officer_client.get(URL, {"page_size": 100})

    assert len(small.json()["results"]) == 1
    assert [row["disbursed"] for row in large.json()["results"]] == ["100000.00"] * 5
    assert len(one_row) == len(all_rows) <= 8
