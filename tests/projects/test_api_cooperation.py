"""/api/v1/cross-county-orders/, /api/v1/promotion-events/ and /api/v1/secondments/ — the other cooperation that
counts, tried by every persona with every method.

The records hold, for each endpoint, one row of pairing A (黄岛区 → 台儿庄区; liaison_a is 台儿庄's liaison) and one
of pairing B (历城区 → 蒙阴县; liaison_b is 蒙阴's):

- reads: every role; a county liaison only the rows of the pairings their county is part of — the others are absent
  from the list and its ``count``, and a 404 on detail;
- POST: provincial officers for any pairing, a liaison for their own pairings; another county's pairing in the
  payload does not exist for a liaison (400 on ``pairing``); finance officers and leaders 403;
- PUT, PATCH and DELETE: never (corrections are new entries) — 405 for the writers, 403 for the others;
- an account without a role: 403 on everything; anonymous: 401 on everything.

A refused POST saves nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import user_set_role
from projects.factories import CrossCountyOrderFactory, PromotionEventFactory, SecondmentFactory
from projects.models import CrossCountyOrder, PromotionEvent, Secondment
from tests.conftest import client_for

ENDPOINTS = ["cross-county-orders", "promotion-events", "secondments"]
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
# A payload on pairing A: liaison_b's 400 is the foreign pairing, refused by the payload's own field.
CREATE_ON_A_STATUS = {
    "officer": 201,
    "finance": 403,
    "leader": 403,
    "liaison_a": 201,
    "liaison_b": 400,
    "norole": 403,
    "anonymous": 401,
}
CHANGE_STATUS = {
    "officer": 405,
    "finance": 403,
    "leader": 403,
    "liaison_a": 405,
    "liaison_b": 405,
    "norole": 403,
    "anonymous": 401,
}
MODELS: dict[str, type[Model]] = {
    "cross-county-orders": CrossCountyOrder,
    "promotion-events": PromotionEvent,
    "secondments": Secondment,
}


def url(endpoint: str, pk: int | None = None) -> str:
    return f"/api/v1/{endpoint}/" if pk is None else f"/api/v1/{endpoint}/{pk}/"


@dataclass(frozen=True)
class Records:
    a: dict[str, Model]  # endpoint → a row of pairing A
    b: dict[str, Model]  # endpoint → a row of pairing B

    def row(self, side: str, endpoint: str) -> Model:
        return getattr(self, side)[endpoint]


def _side(pairing) -> dict[str, Model]:
    return {
        "cross-county-orders": CrossCountyOrderFactory(pairing=pairing, is_sample=False),
        "promotion-events": PromotionEventFactory(pairing=pairing, is_sample=False),
        "secondments": SecondmentFactory(pairing=pairing, is_sample=False),
    }


@pytest.fixture
def records(pairing_a, pairing_b) -> Records:
    return Records(a=_side(pairing_a), b=_side(pairing_b))


def valid_payload(endpoint: str, pairing) -> dict:
    """A POST the rules accept, on ``pairing``."""
    return {
        "cross-county-orders": {
            "pairing": pairing.pk,
            "buyer": "蒙阴县某农产品有限公司",
            "seller": "历城区某冷链物流有限公司",
            "seller_county": pairing.strong_county_id,
            "goods": "冷链仓储服务",
            "amount": "12500000.50",
            "signed_date": "2025-06-30",
        },
        "promotion-events": {
            "pairing": pairing.pk,
            "title": "结对县协同招商推介会",
            "held_on": "2025-05-16",
            "location": "济南",
            "projects_signed": 4,
            "intended_investment": "600000000.00",
        },
        "secondments": {
            "pairing": pairing.pk,
            "kind": "cadre",
            "person": "李四",
            "from_county": pairing.strong_county_id,
            "to_county": pairing.weak_county_id,
            "post": "副县长(挂职)",
            "start_date": "2025-03-01",
            "end_date": "2027-02-28",
        },
    }[endpoint]


def rows() -> dict[str, list[int]]:
    return {endpoint: sorted(model.objects.values_list("pk", flat=True)) for endpoint, model in MODELS.items()}


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
def test_list(records, as_persona, endpoint, persona):
    response = as_persona(persona).get(url(endpoint), {"page_size": 100})

    assert response.status_code == LIST_STATUS[persona]
    if persona not in SEES:
        return
    body = response.json()
    expected = {records.row(side, endpoint).pk for side in SEES[persona]}
    assert {row["id"] for row in body["results"]} == expected
    assert body["count"] == len(expected)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_liaison_b_meets_no_row_of_pairing_a_whatever_the_filter(records, as_persona, pairing_a, endpoint):
    client = as_persona("liaison_b")
    queries = [{}, {"pairing": pairing_a.pk}, {"county": "370405"}, {"county": "370211"}, {"program": "sd-test"}]

    for query in queries:
        body = client.get(url(endpoint), {**query, "page_size": 100}).json()

        assert pairing_a.pk not in {row["pairing"] for row in body["results"]}, query
    assert client.get(url(endpoint), {"pairing": pairing_a.pk}).json()["count"] == 0


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_detail_of_a_pairing_a_row(records, as_persona, endpoint, persona):
    row = records.a[endpoint]

    response = as_persona(persona).get(url(endpoint, row.pk))

    assert response.status_code == DETAIL_OF_A_STATUS[persona]
    if response.status_code == 200:
        assert response.json()["id"] == row.pk
        assert response.json()["pairing"] == row.pairing_id


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_create_on_pairing_a(records, as_persona, pairing_a, endpoint, persona):
    before = rows()

    response = as_persona(persona).post(url(endpoint), valid_payload(endpoint, pairing_a), format="json")

    assert response.status_code == CREATE_ON_A_STATUS[persona], response.content
    if response.status_code == 201:
        created = MODELS[endpoint].objects.exclude(pk__in=before[endpoint])
        assert list(created.values_list("pk", flat=True)) == [response.json()["id"]]
        assert created.get().pairing == pairing_a
    else:
        assert rows() == before
    if persona == "liaison_b":  # another county's pairing does not exist for them: no hint it is there
        assert list(response.json()) == ["pairing"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_liaison_b_writes_for_their_own_pairing(records, as_persona, pairing_b, endpoint):
    response = as_persona("liaison_b").post(url(endpoint), valid_payload(endpoint, pairing_b), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["pairing"] == pairing_b.pk


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_strong_countys_liaison_writes_for_the_pairing_too(django_user_model, pairing_a, endpoint):
    huangdao = django_user_model.objects.create_user("liaison_huangdao", "h@example.org", "pw-huangdao")
    user_set_role(user=huangdao, role="liaison", county=pairing_a.strong_county)

    response = client_for(huangdao).post(url(endpoint), valid_payload(endpoint, pairing_a), format="json")

    assert response.status_code == 201, response.content


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_no_put_patch_or_delete(records, as_persona, pairing_a, endpoint, persona):
    client = as_persona(persona)
    row = records.a[endpoint]
    before = rows()

    statuses = {
        "put": client.put(url(endpoint, row.pk), valid_payload(endpoint, pairing_a), format="json").status_code,
        "patch": client.patch(url(endpoint, row.pk), {"pairing": pairing_a.pk}, format="json").status_code,
        "delete": client.delete(url(endpoint, row.pk)).status_code,
    }

    assert statuses == dict.fromkeys(statuses, CHANGE_STATUS[persona])
    assert rows() == before


# --- What a created record looks like, and the rules as 400s ----------------------------------------------------------


def test_a_created_order_is_answered_as_the_list_shows_it(liaison_a, pairing_a):
    response = post_en(client_for(liaison_a), "cross-county-orders", valid_payload("cross-county-orders", pairing_a))

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "program": "sd-test",
        "pairing": pairing_a.pk,
        "buyer": "蒙阴县某农产品有限公司",
        "seller": "历城区某冷链物流有限公司",
        "seller_county": "370211",
        "seller_county_name": "黄岛区",
        "goods": "冷链仓储服务",
        "amount": "12500000.50",
        "signed_date": "2025-06-30",
        "is_sample": False,
    }
    assert client_for(liaison_a).get(url("cross-county-orders", body["id"])).json() == body


def test_a_created_secondment_names_both_counties(liaison_a, pairing_a):
    response = post_en(client_for(liaison_a), "secondments", valid_payload("secondments", pairing_a))

    assert response.status_code == 201
    body = response.json()
    assert (body["from_county"], body["from_county_name"]) == ("370211", "黄岛区")
    assert (body["to_county"], body["to_county_name"]) == ("370405", "台儿庄区")
    assert (body["kind"], body["start_date"], body["end_date"]) == ("cadre", "2025-03-01", "2027-02-28")


def test_every_broken_order_rule_is_a_400_at_once(liaison_a, pairing_a, pairing_b):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    payload = {
        **valid_payload("cross-county-orders", pairing_a),
        "seller_county": pairing_b.weak_county_id,
        "amount": "0.00",
        "signed_date": tomorrow.isoformat(),
    }

    response = post_en(client_for(liaison_a), "cross-county-orders", payload)

    assert response.status_code == 400
    assert response.json() == {
        "seller_county": ["蒙阴县 is not in the pairing: the seller must be in 黄岛区 or 台儿庄区."],
        "amount": ["The amount must be greater than zero."],
        "signed_date": ["The date cannot be in the future."],
    }
    assert not CrossCountyOrder.objects.exists()


def test_a_secondment_within_one_county_is_a_400(liaison_a, pairing_a):
    payload = {**valid_payload("secondments", pairing_a), "to_county": pairing_a.strong_county_id}

    response = post_en(client_for(liaison_a), "secondments", payload)

    assert response.status_code == 400
    assert response.json() == {"to_county": ["The person goes from one of the pairing's counties to the other."]}
    assert not Secondment.objects.exists()


def test_a_secondment_ending_before_it_starts_is_a_400(liaison_a, pairing_a):
    payload = {**valid_payload("secondments", pairing_a), "end_date": "2025-02-28"}

    response = post_en(client_for(liaison_a), "secondments", payload)

    assert response.status_code == 400
    assert list(response.json()) == ["end_date"]


def test_a_negative_intended_investment_is_a_400(liaison_a, pairing_a):
    payload = {**valid_payload("promotion-events", pairing_a), "intended_investment": "-1.00", "projects_signed": -1}

    response = post_en(client_for(liaison_a), "promotion-events", payload)

    assert response.status_code == 400
    assert set(response.json()) == {"intended_investment", "projects_signed"}
    assert not PromotionEvent.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("seller_county", "999999"), ("seller_county", "370400"), ("amount", "1.001"), ("signed_date", "2025-13-01")],
)
def test_a_malformed_order_field_is_a_400_on_that_field(liaison_a, pairing_a, field, value):
    payload = {**valid_payload("cross-county-orders", pairing_a), field: value}

    response = post_en(client_for(liaison_a), "cross-county-orders", payload)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_an_unknown_pairing_is_a_400_for_an_officer_too(officer, pairing_a):
    payload = {**valid_payload("promotion-events", pairing_a), "pairing": 999999}

    response = post_en(client_for(officer), "promotion-events", payload)

    assert response.status_code == 400
    assert list(response.json()) == ["pairing"]


# --- Filters and queries ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_filters_by_program_pairing_and_county(records, officer_client, pairing_a, pairing_b, endpoint):
    def ids(**query) -> set[int]:
        response = officer_client.get(url(endpoint), query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    a, b = records.a[endpoint].pk, records.b[endpoint].pk
    assert ids(program="sd-test") == {a, b}
    assert ids(program="other") == set()
    assert ids(pairing=pairing_a.pk) == {a}
    assert ids(county="370211") == ids(county="370405") == {a}
    assert ids(county="371328") == {b}


def test_a_county_filter_that_is_not_an_adcode_is_a_400(officer_client):
    assert officer_client.get(url("secondments"), {"county": "蒙阴"}).status_code == 400


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_list_takes_the_same_queries_for_one_row_or_many(pairing_a, officer_client, endpoint):
    factory = {
        "cross-county-orders": CrossCountyOrderFactory,
        "promotion-events": PromotionEventFactory,
        "secondments": SecondmentFactory,
    }[endpoint]
    factory(pairing=pairing_a)
    with CaptureQueriesContext(connection) as one:
        officer_client.get(url(endpoint))
    factory.create_batch(5, pairing=pairing_a)
    with CaptureQueriesContext(connection) as six:
        officer_client.get(url(endpoint))

    assert len(six) == len(one)
