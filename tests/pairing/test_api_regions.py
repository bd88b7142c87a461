"""GET /api/v1/regions/ — the region registry, looked up by adcode."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import api_token_create
from pairing.factories import CityFactory, CountyFactory, ProvinceFactory

URL = "/api/v1/regions/"
PERSONAS = ["officer_client", "liaison_a_client", "liaison_b_client"]


@pytest.fixture
def regions(db):
    """Shandong with 枣庄 and two of its districts, 青岛 with one, and one district of another province."""
    shandong = ProvinceFactory()
    zaozhuang = CityFactory(parent=shandong, adcode="370400", name="枣庄市")
    qingdao = CityFactory(parent=shandong, adcode="370200", name="青岛市")
    CountyFactory(parent=zaozhuang, adcode="370405", name="台儿庄区")
    CountyFactory(parent=zaozhuang, adcode="370402", name="市中区")
    CountyFactory(parent=qingdao, adcode="370211", name="黄岛区")
    hebei = ProvinceFactory(adcode="130000", name="河北省")
    shijiazhuang = CityFactory(parent=hebei, adcode="130100", name="石家庄市")
    CountyFactory(parent=shijiazhuang, adcode="130102", name="长安区")


def adcodes(response) -> set[str]:
    return {row["adcode"] for row in response.json()["results"]}


@pytest.mark.parametrize("persona", PERSONAS)
def test_authenticated_personas_list_and_read_regions(request, regions, persona):
    client = request.getfixturevalue(persona)

    listing = client.get(URL)
    detail = client.get(f"{URL}370405/")

    assert listing.status_code == 200
    assert {"370000", "370400", "370405", "130102"} <= adcodes(listing)
    assert detail.status_code == 200
    assert detail.json() == {
        "adcode": "370405",
        "name": "台儿庄区",
        "level": "county",
        "parent": "370400",
        "longitude": None,
        "latitude": None,
    }


def test_anonymous_is_refused(api_client, regions):
    # Token authentication comes first, so the refusal is a 401 with a WWW-Authenticate challenge.
    assert api_client.get(URL).status_code == 401
    assert api_client.get(f"{URL}370405/").status_code == 401


def test_token_authentication(officer, regions):
    _token, key = api_token_create(user=officer, name="报表工具")

    response = APIClient().get(f"{URL}370405/", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 200
    assert response.json()["name"] == "台儿庄区"


def test_unknown_adcode_is_404(officer_client, regions):
    assert officer_client.get(f"{URL}379999/").status_code == 404
    assert officer_client.get(f"{URL}abc/").status_code == 404


def test_filter_by_level(officer_client, regions):
    response = officer_client.get(URL, {"level": "city"})

    assert adcodes(response) == {"370400", "370200", "130100"}


def test_filter_by_parent(officer_client, regions):
    response = officer_client.get(URL, {"parent": "370400"})

    assert adcodes(response) == {"370405", "370402"}


def test_filter_by_province_lists_everything_within_it(officer_client, regions):
    response = officer_client.get(URL, {"province": "370000"})

    assert adcodes(response) == {"370400", "370200", "370405", "370402", "370211"}


def test_filter_by_province_refuses_a_malformed_adcode(officer_client, regions):
    assert officer_client.get(URL, {"province": "37"}).status_code == 400


@pytest.mark.parametrize(("term", "expected"), [("台儿庄", {"370405"}), ("3702", {"370200", "370211"})])
def test_search_matches_name_or_adcode(officer_client, regions, term, expected):
    response = officer_client.get(URL, {"search": term})

    assert adcodes(response) == expected


def test_list_query_count_does_not_grow_with_page_size(officer_client, regions):
    with CaptureQueriesContext(connection) as one_row:
        small = officer_client.get(URL, {"page_size": 1})
    with CaptureQueriesContext(connection) as all_rows:
        large = officer_client.get(URL, {"page_size": 100})

    assert len(small.json()["results"]) == 1
    assert len(large.json()["results"]) == 9
    assert len(one_row) == len(all_rows) <= 8
