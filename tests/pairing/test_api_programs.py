"""GET /api/v1/programs/ — programs with their pairing and weak-county counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import api_token_create
from pairing.factories import PairingFactory, ProgramCountyFactory, ProgramFactory
from pairing.models import CountyRole

URL = "/api/v1/programs/"
PERSONAS = ["officer_client", "liaison_a_client", "liaison_b_client"]


@pytest.fixture
def programs(program, pairing_a, pairing_b):
    """``program`` with two pairings and a third weak county still without a partner; another program aside."""
    ProgramCountyFactory(program=program, role=CountyRole.WEAK)
    other = ProgramFactory(code="other", name="另一个项目")
    PairingFactory(program=other)
    return program, other


def codes(response) -> set[str]:
    return {row["code"] for row in response.json()["results"]}


@pytest.mark.parametrize("persona", PERSONAS)
def test_authenticated_personas_list_and_read_programs(request, programs, persona):
    program, _ = programs
    client = request.getfixturevalue(persona)

    listing = client.get(URL)
    detail = client.get(f"{URL}{program.pk}/")

    assert listing.status_code == 200
    assert codes(listing) == {"sd-test", "other"}
    assert detail.status_code == 200
    assert detail.json() == {
        "id": program.pk,
        "code": "sd-test",
        "name": "测试项目",
        "province": "370000",
        "start_date": "2024-09-01",
        "end_date": None,
        "description": "",
        "pairing_count": 2,
        "weak_county_count": 3,
    }


def test_anonymous_is_refused(api_client, programs):
    program, _ = programs
    assert api_client.get(URL).status_code == 401
    assert api_client.get(f"{URL}{program.pk}/").status_code == 401


def test_token_authentication(officer, programs):
    _token, key = api_token_create(user=officer, name="报表工具")

    response = APIClient().get(URL, HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 200
    assert codes(response) == {"sd-test", "other"}


def test_unknown_program_is_404(officer_client, programs):
    assert officer_client.get(f"{URL}999999/").status_code == 404


def test_filter_by_code(officer_client, programs):
    response = officer_client.get(URL, {"code": "other"})

    assert codes(response) == {"other"}
    assert response.json()["results"][0]["pairing_count"] == 1


def test_list_query_count_does_not_grow_with_page_size(officer_client, db):
    for _ in range(5):
        program = ProgramFactory()
        PairingFactory(program=program)
        PairingFactory(program=program)

    with CaptureQueriesContext(connection) as one_row:
        small = officer_client.get(URL, {"page_size": 1})
    with CaptureQueriesContext(connection) as all_rows:
        large = officer_client.get(URL, {"page_size": 100})

    assert len(small.json()["results"]) == 1
    assert len(large.json()["results"]) == 5
    assert {row["pairing_count"] for row in large.json()["results"]} == {2}
    assert len(one_row) == len(all_rows) <= 8
