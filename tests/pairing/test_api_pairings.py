"""GET /api/v1/pairings/ — strong → weak county pairings with their provenance."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import api_token_create
from pairing.factories import CountyFactory, PairingFactory, ProgramFactory, SourceFactory
from pairing.models import PairingStatus
from pairing.services import pairing_create

URL = "/api/v1/pairings/"
EVERYONE = {"pairing_a", "pairing_b", "official"}
# Which rows each persona sees: liaisons only those of pairings their county is part of (either side).
VISIBLE = {
    "officer_client": EVERYONE,
    "finance_client": EVERYONE,
    "leader_client": EVERYONE,
    "liaison_a_client": {"pairing_a"},
    "liaison_b_client": {"pairing_b"},
}
PERSONAS = ["officer_client", "liaison_a_client"]


@pytest.fixture
def official(db):
    """A documented pairing in another program, with its source document."""
    source = SourceFactory(
        title="强县产业帮扶弱县工作新闻稿",
        issuer="大众日报",
        published_on=dt.date(2025, 1, 20),
        url="https://example.org/news/1",
        reference="seeds/001.txt",
    )
    return pairing_create(
        program=ProgramFactory(code="sd-2024"),
        strong_county=CountyFactory(adcode="370681", name="龙口市"),
        weak_county=CountyFactory(adcode="371428", name="武城县"),
        start_date=dt.date(2024, 9, 1),
        source=source,
        provenance_note="共建二手车出口基地",
    )


@pytest.fixture
def ended(program):
    return PairingFactory(program=program, status=PairingStatus.ENDED, end_date=dt.date(2025, 6, 30))


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_each_persona_lists_what_it_may_see(request, pairing_a, pairing_b, official, persona):
    client = request.getfixturevalue(persona)
    rows = {"pairing_a": pairing_a, "pairing_b": pairing_b, "official": official}

    listing = client.get(URL, {"page_size": 100})

    assert listing.status_code == 200
    assert ids(listing) == {rows[name].pk for name in VISIBLE[persona]}
    assert listing.json()["count"] == len(VISIBLE[persona])
    for name, row in rows.items():
        assert client.get(f"{URL}{row.pk}/").status_code == (200 if name in VISIBLE[persona] else 404), name


@pytest.mark.parametrize("persona", PERSONAS)
def test_authenticated_personas_list_and_read_pairings(request, pairing_a, pairing_b, official, persona):
    client = request.getfixturevalue(persona)

    listing = client.get(URL)
    detail = client.get(f"{URL}{pairing_a.pk}/")

    assert listing.status_code == 200
    assert detail.status_code == 200
    body = detail.json()
    assert body["program"] == "sd-test"
    assert body["strong_county"] == {"adcode": "370211", "name": "黄岛区"}
    assert body["weak_county"] == {"adcode": "370405", "name": "台儿庄区"}
    assert body["status"] == "active"
    assert body["start_date"] == "2024-09-01"
    assert body["is_sample"] is True
    assert body["provenance"] == {"source": None, "note": ""}


def test_official_pairing_carries_its_source(officer_client, official):
    body = officer_client.get(f"{URL}{official.pk}/").json()

    assert body["is_sample"] is False
    assert body["provenance"] == {
        "source": {
            "id": official.source_id,
            "title": "强县产业帮扶弱县工作新闻稿",
            "issuer": "大众日报",
            "published_on": "2025-01-20",
            "url": "https://example.org/news/1",
            "reference": "seeds/001.txt",
        },
        "note": "共建二手车出口基地",
    }


def test_anonymous_is_refused(api_client, pairing_a):
    assert api_client.get(URL).status_code == 401
    assert api_client.get(f"{URL}{pairing_a.pk}/").status_code == 401


def test_token_authentication(officer, pairing_a):
    _token, key = api_token_create(user=officer, name="报表工具")

    response = APIClient().get(URL, HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 200
    assert ids(response) == {pairing_a.pk}


def test_unknown_pairing_is_404(officer_client, pairing_a):
    assert officer_client.get(f"{URL}999999/").status_code == 404


def test_filter_by_program(officer_client, pairing_a, pairing_b, official):
    assert ids(officer_client.get(URL, {"program": "sd-test"})) == {pairing_a.pk, pairing_b.pk}
    assert ids(officer_client.get(URL, {"program": "sd-2024"})) == {official.pk}


def test_filter_by_status(officer_client, pairing_a, ended):
    assert ids(officer_client.get(URL, {"status": "ended"})) == {ended.pk}
    assert ids(officer_client.get(URL, {"status": "active"})) == {pairing_a.pk}


@pytest.mark.parametrize("adcode", ["370211", "370405"])
def test_filter_by_county_matches_either_side(officer_client, pairing_a, pairing_b, adcode):
    assert ids(officer_client.get(URL, {"county": adcode})) == {pairing_a.pk}


def test_filter_by_sample_flag(officer_client, pairing_a, official):
    assert ids(officer_client.get(URL, {"is_sample": "false"})) == {official.pk}
    assert ids(officer_client.get(URL, {"is_sample": "true"})) == {pairing_a.pk}


def test_list_query_count_does_not_grow_with_page_size(officer_client, program, official):
    for _ in range(5):
        PairingFactory(program=program, source=SourceFactory())

    with CaptureQueriesContext(connection) as one_row:
        small = officer_client.get(URL, {"page_size": 1})
    with CaptureQueriesContext(connection) as all_rows:
        large = officer_client.get(URL, {"page_size": 100})

    assert len(small.json()["results"]) == 1
    assert len(large.json()["results"]) == 6
    assert len(one_row) == len(all_rows) <= 8
