"""GET /api/v1/parks/ — co-built parks with their partners' stakes and project count."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import api_token_create
from pairing.factories import PairingFactory, ParkFactory, ParkPartnerFactory, ProgramFactory
from pairing.models import ParkKind, ParkStatus
from projects.factories import ProjectFactory

URL = "/api/v1/parks/"
EVERYONE = {"park_a", "park_b", "park_elsewhere"}
# Which rows each persona sees: liaisons only those of pairings their county is part of (either side).
VISIBLE = {
    "officer_client": EVERYONE,
    "finance_client": EVERYONE,
    "leader_client": EVERYONE,
    "liaison_a_client": {"park_a"},
    "liaison_b_client": {"park_b"},
}
PERSONAS = ["officer_client", "liaison_a_client"]


@pytest.fixture
def park_a(pairing_a):
    """台儿庄区黄岛产业园: hosted by the weak county, both counties put in capital, two projects inside."""
    park = ParkFactory(pairing=pairing_a, name="台儿庄区黄岛产业园", status=ParkStatus.BUILDING)
    ParkPartnerFactory(
        park=park,
        county=pairing_a.weak_county,
        capital_contribution=Decimal("100000000.00"),
        tax_share_pct=Decimal("60.00"),
        output_share_pct=Decimal("50.00"),
    )
    ParkPartnerFactory(
        park=park,
        county=pairing_a.strong_county,
        capital_contribution=Decimal("200000000.00"),
        tax_share_pct=Decimal("40.00"),
        output_share_pct=Decimal("50.00"),
    )
    ProjectFactory.create_batch(2, pairing=pairing_a, park=park)
    return park


@pytest.fixture
def park_b(pairing_b):
    """An enclave park of the other pairing, hosted by its strong county, still being planned."""
    return ParkFactory(pairing=pairing_b, kind=ParkKind.ENCLAVE, host_county=pairing_b.strong_county)


@pytest.fixture
def park_elsewhere(db):
    return ParkFactory(pairing=PairingFactory(program=ProgramFactory(code="other")))


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_each_persona_lists_what_it_may_see(request, park_a, park_b, park_elsewhere, persona):
    client = request.getfixturevalue(persona)
    rows = {"park_a": park_a, "park_b": park_b, "park_elsewhere": park_elsewhere}

    listing = client.get(URL, {"page_size": 100})

    assert listing.status_code == 200
    assert ids(listing) == {rows[name].pk for name in VISIBLE[persona]}
    assert listing.json()["count"] == len(VISIBLE[persona])
    for name, row in rows.items():
        assert client.get(f"{URL}{row.pk}/").status_code == (200 if name in VISIBLE[persona] else 404), name


@pytest.mark.parametrize("persona", PERSONAS)
def test_authenticated_personas_list_and_read_parks(request, park_a, park_b, persona):
    client = request.getfixturevalue(persona)

    listing = client.get(URL)
    detail = client.get(f"{URL}{park_a.pk}/")

    assert listing.status_code == 200
    assert detail.status_code == 200
    body = detail.json()
    assert body["program"] == "sd-test"
    assert body["pairing"] == park_a.pairing_id
    assert body["name"] == "台儿庄区黄岛产业园"
    assert body["kind"] == "co_built"
    assert body["status"] == "building"
    assert body["host_county"] == {"adcode": "370405", "name": "台儿庄区"}
    assert body["project_count"] == 2
    assert sorted(body["partners"], key=lambda row: row["county"]["adcode"]) == [
        {
            "county": {"adcode": "370211", "name": "黄岛区"},
            "capital_contribution": "200000000.00",
            "tax_share_pct": "40.00",
            "output_share_pct": "50.00",
        },
        {
            "county": {"adcode": "370405", "name": "台儿庄区"},
            "capital_contribution": "100000000.00",
            "tax_share_pct": "60.00",
            "output_share_pct": "50.00",
        },
    ]


def test_park_without_partners_or_projects(officer_client, park_b):
    body = officer_client.get(f"{URL}{park_b.pk}/").json()

    assert body["partners"] == []
    assert body["project_count"] == 0


def test_anonymous_is_refused(api_client, park_a):
    assert api_client.get(URL).status_code == 401
    assert api_client.get(f"{URL}{park_a.pk}/").status_code == 401


def test_token_authentication(officer, park_a):
    _token, key = api_token_create(user=officer, name="报表工具")

    response = APIClient().get(URL, HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 200
    assert ids(response) == {park_a.pk}


def test_unknown_park_is_404(officer_client, park_a):
    assert officer_client.get(f"{URL}999999/").status_code == 404


def test_filter_by_program(officer_client, park_a, park_elsewhere):
    assert ids(officer_client.get(URL, {"program": "other"})) == {park_elsewhere.pk}


def test_filter_by_pairing(officer_client, park_a, park_b):
    assert ids(officer_client.get(URL, {"pairing": park_b.pairing_id})) == {park_b.pk}


def test_filter_by_host_county(officer_client, park_a, park_b):
    assert ids(officer_client.get(URL, {"host_county": "370112"})) == {park_b.pk}


def test_filter_by_kind_and_status(officer_client, park_a, park_b):
    assert ids(officer_client.get(URL, {"kind": "enclave"})) == {park_b.pk}
    assert ids(officer_client.get(URL, {"status": "building"})) == {park_a.pk}


def test_list_query_count_does_not_grow_with_page_size(officer_client, db):
    for _ in range(5):
        park = ParkFactory()
        ParkPartnerFactory(park=park, county=park.pairing.weak_county)
        ParkPartnerFactory(park=park, county=park.pairing.strong_county)
        ProjectFactory(pairing=park.pairing, park=park)

    with CaptureQueriesContext(connection) as one_row:
        small = officer_client.get(URL, {"page_size": 1})
    with CaptureQueriesContext(connection) as all_rows:
        large = officer_client.get(URL, {"page_size": 100})

    assert len(small.json()["results"]) == 1
    assert len(large.json()["results"]) == 5
    assert all(len(row["partners"]) == 2 and row["project_count"] == 1 for row in large.json()["results"])
    assert len(one_row) == len(all_rows) <= 8
