"""/api/v1/fund-contributions/, /api/v1/fund-investments/ and /api/v1/park-ledger/ — pair industry funds and park
benefit sharing.

Every endpoint is tried by every persona with every method. The ledger holds, for each endpoint, one row of pairing A
(黄岛区 → 台儿庄区; liaison_a is 台儿庄's liaison) and one of pairing B (历城区 → 蒙阴县; liaison_b is 蒙阴's):

- reads: every role; a county liaison only the rows of pairings their county is part of — the others are absent
  from the list and its ``count``, and a 404 on detail;
- POST: the provincial and finance officers; the leader and the liaisons 403 (whatever the payload points to);
- PUT, PATCH and DELETE: never (corrections are new entries) — 405 for the writers, 403 for the others;
- an account without a role: 403 on everything; anonymous: 401 on everything.

A refused POST books nothing: no new row and no running total moved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from funds.factories import FundFactory, PairIndustryFundFactory
from funds.models import Fund, FundContribution, FundInvestment, ParkLedgerEntry, ParkLedgerShare
from funds.services import fund_close_year, fund_contribution_create, fund_investment_create, park_ledger_record
from pairing.factories import ParkFactory, ParkPartnerFactory
from projects.factories import ProjectFactory
from tests.conftest import client_for

ENDPOINTS = ["fund-contributions", "fund-investments", "park-ledger"]
PERSONAS = ["officer", "finance", "leader", "liaison_a", "liaison_b", "norole", "anonymous"]
# The rows each persona reads: "a" is pairing A's, "b" pairing B's.
SEES = {
    "officer": {"a", "b"},
    "finance": {"a", "b"},
    "leader": {"a", "b"},
    "liaison_a": {"a"},
    "liaison_b": {"b"},
}
LIST_STATUS = {**dict.fromkeys(SEES, 200), "norole": 403, "anonymous": 401}
DETAIL_OF_A_STATUS = {**LIST_STATUS, "liaison_b": 404}
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
    "fund-contributions": FundContribution,
    "fund-investments": FundInvestment,
    "park-ledger": ParkLedgerEntry,
}
ON = dt.date(2025, 3, 1)


def url(endpoint: str, pk: int | None = None) -> str:
    return f"/api/v1/{endpoint}/" if pk is None else f"/api/v1/{endpoint}/{pk}/"


@dataclass(frozen=True)
class Side:
    """One pairing's fund, project and park, and its row on each endpoint."""

    fund: Fund
    project: Model
    park: Model
    rows: dict[str, Model]


@dataclass(frozen=True)
class Ledger:
    a: Side
    b: Side

    def row(self, side: str, endpoint: str) -> Model:
        return getattr(self, side).rows[endpoint]


def _side(pairing, name: str) -> Side:
    """A ¥100M industry fund with ¥50M paid in by the weak county, ¥10M of it invested in a project; a park sharing
    tax 60/40 and output 50/50, with its 2025 figures."""
    fund = PairIndustryFundFactory(pairing=pairing, total=Decimal("100000000.00"), name=f"{name}产业基金")
    contribution = fund_contribution_create(
        fund=fund, county=pairing.weak_county, amount=Decimal("50000000.00"), paid_on=ON
    )
    project = ProjectFactory(pairing=pairing)
    investment = fund_investment_create(fund=fund, project=project, amount=Decimal("10000000.00"), invested_on=ON)
    park = ParkFactory(pairing=pairing, name=f"{name}共建产业园")
    ParkPartnerFactory(park=park, county=pairing.strong_county, tax_share_pct=60, output_share_pct=50)
    ParkPartnerFactory(park=park, county=pairing.weak_county, tax_share_pct=40, output_share_pct=50)
    entry = park_ledger_record(park=park, period="2025", tax=Decimal("1000000.01"), output=Decimal("0.01"))
    return Side(
        fund=fund,
        project=project,
        park=park,
        rows={"fund-contributions": contribution, "fund-investments": investment, "park-ledger": entry},
    )


@pytest.fixture
def ledger(pairing_a, pairing_b) -> Ledger:
    return Ledger(a=_side(pairing_a, "黄岛—台儿庄"), b=_side(pairing_b, "历城—蒙阴"))


def valid_payload(endpoint: str, side: Side) -> dict:
    """A POST the rules accept, on that side's fund, project or park."""
    return {
        "fund-contributions": {
            "fund": side.fund.pk,
            "county": side.fund.pairing.weak_county_id,
            "amount": "5000000.00",
            "paid_on": "2025-06-01",
            "document_no": "鲁财建〔2025〕12号",
        },
        "fund-investments": {
            "fund": side.fund.pk,
            "project": side.project.pk,
            "amount": "2500000.50",
            "invested_on": "2025-06-01",
        },
        "park-ledger": {"park": side.park.pk, "period": "2025-06", "tax": "1000000.01", "output": "30000000.00"},
    }[endpoint]


def books() -> dict[str, list[tuple]]:
    """Every row these endpoints write, with the fund's running totals, to tell whether a request changed anything."""
    return {
        "funds": list(Fund.objects.order_by("pk").values_list("pk", "total", "contributed", "invested")),
        "fund-contributions": list(FundContribution.objects.order_by("pk").values_list("pk", "amount")),
        "fund-investments": list(FundInvestment.objects.order_by("pk").values_list("pk", "amount")),
        "park-ledger": list(ParkLedgerEntry.objects.order_by("pk").values_list("pk", "tax", "output")),
        "shares": list(ParkLedgerShare.objects.order_by("pk").values_list("pk", "tax", "output")),
    }


@pytest.fixture
def as_persona(request):
    """``as_persona("liaison_b")`` → an API client signed in as that persona (``anonymous``: no credentials)."""

    def make(persona: str) -> APIClient:
        if persona == "anonymous":
            return request.getfixturevalue("api_client")
        return client_for(request.getfixturevalue(persona))

    return make


def post_en(client: APIClient, endpoint: str, payload: dict):
    # The assertions read the English source strings, whatever the translations say.
    return client.post(url(endpoint), payload, format="json", HTTP_ACCEPT_LANGUAGE="en")


# --- Who sees and writes what ---------------------------------------------------------------------------------------


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
    assert body["count"] == len(expected)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_liaison_b_lists_no_row_of_pairing_a(ledger, as_persona, endpoint):
    body = as_persona("liaison_b").get(url(endpoint), {"page_size": 100}).json()

    assert body["count"] == len(body["results"]) == 1
    assert {row["pairing"] for row in body["results"]} == {ledger.b.fund.pairing_id}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_liaison_b_filtering_on_pairing_a_finds_nothing(ledger, as_persona, endpoint):
    response = as_persona("liaison_b").get(url(endpoint), {"pairing": ledger.a.fund.pairing_id})

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert response.json()["results"] == []


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_detail_of_a_pairing_a_row(ledger, as_persona, endpoint, persona):
    row = ledger.row("a", endpoint)

    response = as_persona(persona).get(url(endpoint, row.pk))

    assert response.status_code == DETAIL_OF_A_STATUS[persona]
    if response.status_code == 200:
        assert response.json()["id"] == row.pk


@pytest.mark.parametrize("persona", ["liaison_a", "liaison_b"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_liaison_reads_own_pairing_detail_only(ledger, as_persona, endpoint, persona):
    own, other = ("a", "b") if persona == "liaison_a" else ("b", "a")
    client = as_persona(persona)

    assert client.get(url(endpoint, ledger.row(own, endpoint).pk)).status_code == 200
    assert client.get(url(endpoint, ledger.row(other, endpoint).pk)).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_create(ledger, as_persona, endpoint, persona):
    before = books()

    response = as_persona(persona).post(url(endpoint), valid_payload(endpoint, ledger.a), format="json")

    assert response.status_code == CREATE_STATUS[persona], response.content
    if response.status_code == 201:
        created = MODELS[endpoint].objects.exclude(pk__in=[row[0] for row in before[endpoint]])
        assert list(created.values_list("pk", flat=True)) == [response.json()["id"]]
    else:
        assert books() == before


@pytest.mark.parametrize("persona", ["liaison_a", "liaison_b"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_liaison_cannot_write_even_for_another_pairing(ledger, as_persona, endpoint, persona):
    """Liaisons write nothing here: a payload pointing to the other pairing's fund, project or park is refused
    before it is even looked at, and so is one pointing to their own."""
    other = ledger.b if persona == "liaison_a" else ledger.a
    own = ledger.a if persona == "liaison_a" else ledger.b
    client = as_persona(persona)
    before = books()

    assert client.post(url(endpoint), valid_payload(endpoint, other), format="json").status_code == 403
    assert client.post(url(endpoint), valid_payload(endpoint, own), format="json").status_code == 403
    assert books() == before


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_no_put_patch_or_delete(ledger, as_persona, endpoint, persona):
    client = as_persona(persona)
    row = ledger.row("a", endpoint)
    before = books()

    statuses = {
        "put": client.put(url(endpoint, row.pk), valid_payload(endpoint, ledger.a), format="json").status_code,
        "patch": client.patch(url(endpoint, row.pk), {"document_no": "改"}, format="json").status_code,
        "delete": client.delete(url(endpoint, row.pk)).status_code,
        "delete list": client.delete(url(endpoint)).status_code,
    }

    assert statuses == dict.fromkeys(statuses, CHANGE_STATUS[persona])
    assert books() == before


def test_anonymous_is_told_how_to_authenticate(ledger, api_client):
    response = api_client.post(url("park-ledger"), valid_payload("park-ledger", ledger.a), format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


# --- What the rows say ----------------------------------------------------------------------------------------------


def test_contribution_is_booked_and_answered_in_yuan(ledger, finance_client):
    fund = ledger.a.fund

    response = finance_client.post(url("fund-contributions"), valid_payload("fund-contributions", ledger.a))

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "fund": fund.pk,
        "pairing": fund.pairing_id,
        "county": "370405",
        "county_name": "台儿庄区",
        "amount": "5000000.00",
        "paid_on": "2025-06-01",
        "document_no": "鲁财建〔2025〕12号",
        "is_sample": False,
    }
    assert Fund.objects.get(pk=fund.pk).contributed == Decimal("55000000.00")


def test_investment_is_booked_and_answered_in_yuan(ledger, officer_client):
    side = ledger.a

    response = officer_client.post(url("fund-investments"), valid_payload("fund-investments", side))

    assert response.status_code == 201
    body = response.json()
    assert body["amount"] == "2500000.50"
    assert (body["fund"], body["project"], body["project_code"]) == (side.fund.pk, side.project.pk, side.project.code)
    assert Fund.objects.get(pk=side.fund.pk).invested == Decimal("12500000.50")


def test_park_ledger_entry_is_split_and_its_detail_shows_the_shares(ledger, finance_client):
    response = finance_client.post(url("park-ledger"), valid_payload("park-ledger", ledger.a))

    assert response.status_code == 201
    detail = finance_client.get(url("park-ledger", response.json()["id"])).json()
    assert detail == response.json()
    assert (detail["period"], detail["tax"], detail["output"]) == ("2025-06", "1000000.01", "30000000.00")
    assert detail["recorded_by"] == "finance"
    assert detail["shares"] == [
        {
            "county": {"adcode": "370211", "name": "黄岛区"},
            "tax_share_pct": "60.00",
            "tax": "600000.01",
            "output_share_pct": "50.00",
            "output": "15000000.00",
        },
        {
            "county": {"adcode": "370405", "name": "台儿庄区"},
            "tax_share_pct": "40.00",
            "tax": "400000.00",
            "output_share_pct": "50.00",
            "output": "15000000.00",
        },
    ]


def test_liaison_reads_the_shares_of_their_parks(ledger, liaison_a_client):
    entry = ledger.row("a", "park-ledger")

    body = liaison_a_client.get(url("park-ledger", entry.pk)).json()

    # Output ¥0.01 at 50/50: the one fen goes to the smaller adcode.
    assert [(s["county"]["adcode"], s["tax"], s["output"]) for s in body["shares"]] == [
        ("370211", "600000.01", "0.01"),
        ("370405", "400000.00", "0.00"),
    ]


# --- Refusals: 400 with readable messages, nothing booked -----------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be greater than zero."),
        ("-100.00", "The amount must be greater than zero."),
        ("abc", "A valid number is required."),
        ("1.001", "Ensure that there are no more than 2 decimal places."),
        ("50000000.01", "Exceeds what the fund can still take in (5,000.00 万元)."),
    ],
)
def test_bad_contribution_amount_is_a_400(ledger, officer_client, amount, message):
    before = books()
    payload = {**valid_payload("fund-contributions", ledger.a), "amount": amount}

    response = post_en(officer_client, "fund-contributions", payload)

    assert response.status_code == 400
    assert response.json() == {"amount": [message]}
    assert books() == before


def test_investment_over_what_was_paid_in_is_a_400(ledger, officer_client):
    before = books()
    payload = {**valid_payload("fund-investments", ledger.a), "amount": "40000000.01"}

    response = post_en(officer_client, "fund-investments", payload)

    assert response.status_code == 400
    assert response.json() == {
        "amount": ["Exceeds what the partners have paid in and is not yet invested (4,000.00 万元)."]
    }
    assert books() == before


def test_project_of_another_pairing_is_a_400(ledger, officer_client):
    payload = {**valid_payload("fund-investments", ledger.a), "project": ledger.b.project.pk}

    response = post_en(officer_client, "fund-investments", payload)

    assert response.status_code == 400
    assert response.json() == {"project": ["The project belongs to another pairing than the fund."]}


def test_county_outside_the_pairing_is_a_400(ledger, officer_client):
    payload = {**valid_payload("fund-contributions", ledger.a), "county": "371328"}

    response = post_en(officer_client, "fund-contributions", payload)

    assert response.status_code == 400
    assert response.json() == {"county": ["蒙阴县 is not one of the two counties of the fund's pairing."]}


def test_guidance_fund_is_a_400(ledger, officer_client, program):
    guidance = FundFactory(program=program)
    payload = {**valid_payload("fund-contributions", ledger.a), "fund": guidance.pk}

    response = post_en(officer_client, "fund-contributions", payload)

    assert response.status_code == 400
    assert response.json() == {
        "fund": ["Only a pair industry fund takes partner contributions and invests in projects."]
    }


def test_unknown_references_are_a_400(ledger, officer_client):
    payload = {**valid_payload("fund-contributions", ledger.a), "fund": 999999, "county": "999999"}

    response = post_en(officer_client, "fund-contributions", payload)

    assert response.status_code == 400
    assert set(response.json()) == {"fund", "county"}


def test_closed_year_is_a_400(ledger, officer_client):
    fund_close_year(fund=ledger.a.fund)

    response = post_en(officer_client, "fund-contributions", valid_payload("fund-contributions", ledger.a))

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["The 2025 fund year is closed: nothing more can be allocated or paid."]
    }


def test_same_park_and_period_twice_is_a_400(ledger, officer_client):
    before = books()
    payload = {**valid_payload("park-ledger", ledger.a), "period": "2025"}

    response = post_en(officer_client, "park-ledger", payload)

    assert response.status_code == 400
    assert response.json() == {"period": ["黄岛—台儿庄共建产业园 already has figures for 2025."]}
    assert books() == before


def test_future_period_is_a_400(ledger, officer_client):
    period = str(timezone.localdate().year + 2)

    response = post_en(officer_client, "park-ledger", {**valid_payload("park-ledger", ledger.a), "period": period})

    assert response.status_code == 400
    assert response.json() == {"period": [f"{period} is in the future."]}


def test_shares_not_summing_to_100_are_a_400(ledger, officer_client):
    ledger.a.park.partners.filter(county=ledger.a.fund.pairing.weak_county).update(tax_share_pct=Decimal("39.99"))
    before = books()

    response = post_en(officer_client, "park-ledger", valid_payload("park-ledger", ledger.a))

    assert response.status_code == 400
    assert response.json() == {
        "park": [
            "The partners' shares of 黄岛—台儿庄共建产业园 must each sum to 100%: the tax shares sum to 99.99% and "
            "the output shares to 100.00%."
        ]
    }
    assert books() == before


def test_negative_tax_is_a_400(ledger, officer_client):
    response = post_en(officer_client, "park-ledger", {**valid_payload("park-ledger", ledger.a), "tax": "-1"})

    assert response.status_code == 400
    assert response.json() == {"tax": ["Amounts cannot be negative."]}


# --- Filters, query counts and the schema ---------------------------------------------------------------------------


def test_filters(ledger, officer_client):
    a, b = ledger.a, ledger.b

    def ids(endpoint: str, **params) -> set[int]:
        return {row["id"] for row in officer_client.get(url(endpoint), params).json()["results"]}

    assert ids("fund-contributions", fund=a.fund.pk) == {a.rows["fund-contributions"].pk}
    assert ids("fund-contributions", fund=a.fund.pk, county="370211") == set()
    assert ids("fund-contributions", fund=a.fund.pk, county="370405") == {a.rows["fund-contributions"].pk}
    assert ids("fund-investments", project=b.project.pk) == {b.rows["fund-investments"].pk}
    assert ids("park-ledger", park=b.park.pk) == {b.rows["park-ledger"].pk}
    assert ids("park-ledger", period="2024") == set()
    assert officer_client.get(url("fund-contributions"), {"county": "37"}).status_code == 400


def test_ledger_list_query_count_does_not_grow_with_the_rows(ledger, officer_client):
    with CaptureQueriesContext(connection) as few:
        officer_client.get(url("park-ledger"), {"page_size": 100})
    for year in range(2019, 2024):
        park_ledger_record(park=ledger.a.park, period=str(year), tax=Decimal("10.00"), output=Decimal("10.00"))
    with CaptureQueriesContext(connection) as many:
        body = officer_client.get(url("park-ledger"), {"page_size": 100}).json()

    assert body["count"] == 7
    assert len(few) == len(many)


def test_schema_offers_only_get_and_post(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)

    for endpoint in ENDPOINTS:
        collection, detail = schema["paths"][url(endpoint)], schema["paths"][f"{url(endpoint)}{{id}}/"]
        assert set(collection) - {"parameters"} == {"get", "post"}
        assert set(detail) - {"parameters"} == {"get"}
        for operation in (collection["get"], collection["post"], detail["get"]):
            assert operation["tags"] == ["funds"]
            assert operation["summary"]
            assert operation["description"]
