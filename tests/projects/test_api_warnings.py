"""GET /api/v1/warnings/ — the projects' current red / yellow / blue warnings, tried by every persona."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from pairing.factories import PairingFactory, ProgramFactory
from projects.factories import ProjectFactory
from projects.models import Stage, WarningColour
from projects.warnings import warnings_refresh
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/warnings/"
TODAY = dt.date(2025, 10, 20)
ALL = {"TEZ-RED", "TEZ-STRONG", "MY-YELLOW", "OT-BLUE"}
# Liaisons see the warnings of the projects of pairings their county is part of (either side).
VISIBLE = {
    "officer_client": ALL,
    "finance_client": ALL,
    "leader_client": ALL,
    "liaison_a_client": {"TEZ-RED", "TEZ-STRONG"},
    "liaison_b_client": {"MY-YELLOW"},
}


def no_plan(**values):
    return {"planned_start_date": None, "planned_production_date": None, **values}


@pytest.fixture
def warned(pairing_a, pairing_b):
    """Four projects classified on TODAY: red (signed seven months ago, reports missing) and one in the strong
    county of pairing A, yellow (signed five months ago) in county B, and blue in another program."""
    projects = {
        "red": ProjectFactory(pairing=pairing_a, code="TEZ-RED", **no_plan(signed_date=dt.date(2025, 3, 15))),
        "strong": ProjectFactory(
            pairing=pairing_a,
            code="TEZ-STRONG",
            county=pairing_a.strong_county,
            **no_plan(stage=Stage.PIPELINE, signed_date=None),
        ),
        "yellow": ProjectFactory(
            pairing=pairing_b,
            code="MY-YELLOW",
            **no_plan(stage=Stage.STARTED, signed_date=dt.date(2025, 8, 10), actual_start_date=dt.date(2025, 8, 20)),
        ),
        "blue": ProjectFactory(
            pairing=PairingFactory(program=ProgramFactory(code="other")),
            code="OT-BLUE",
            **no_plan(stage=Stage.PIPELINE, signed_date=None),
        ),
    }
    warnings_refresh(today=TODAY)
    return projects


def codes(response) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_each_persona_lists_what_it_may_see(request, warned, persona):
    client = request.getfixturevalue(persona)

    listing = client.get(URL, {"page_size": 100})

    assert listing.status_code == 200
    assert set(codes(listing)) == VISIBLE[persona]
    assert listing.json()["count"] == len(VISIBLE[persona])
    for project in warned.values():
        expected = 200 if project.code in VISIBLE[persona] else 404
        assert client.get(f"{URL}{project.pk}/").status_code == expected, project.code


def test_liaison_b_sees_nothing_of_county_a(liaison_b_client, warned, pairing_a):
    county_a = pairing_a.weak_county.adcode

    assert liaison_b_client.get(URL, {"county": county_a}).json()["count"] == 0
    assert liaison_b_client.get(URL, {"colour": "red"}).json()["count"] == 0
    assert all(row["county"] != county_a for row in liaison_b_client.get(URL).json()["results"])
    assert liaison_b_client.get(f"{URL}{warned['red'].pk}/").status_code == 404


def test_an_account_without_a_role_is_forbidden(norole, warned):
    assert client_for(norole).get(URL).status_code == 403
    assert client_for(norole).get(f"{URL}{warned['red'].pk}/").status_code == 403


def test_anonymous_gets_401(api_client, warned):
    assert api_client.get(URL).status_code == 401
    assert api_client.get(f"{URL}{warned['red'].pk}/").status_code == 401


@pytest.mark.parametrize("persona", ["officer_client", "leader_client", "liaison_a_client"])
def test_read_only_for_everyone(request, warned, persona):
    client = request.getfixturevalue(persona)
    detail = f"{URL}{warned['red'].pk}/"

    assert client.post(URL, {"colour": "blue"}).status_code in (403, 405)
    assert client.patch(detail, {"colour": "blue"}).status_code in (403, 405)
    assert client.delete(detail).status_code in (403, 405)
    assert client.get(detail).json()["colour"] == "red"


def test_a_warning_with_its_reasons(officer_client, warned, pairing_a):
    red = warned["red"]

    body = officer_client.get(f"{URL}{red.pk}/").json()

    assert body["project"] == red.pk
    assert (body["code"], body["name"], body["program"]) == ("TEZ-RED", red.name, "sd-test")
    assert (body["county"], body["county_name"]) == (pairing_a.weak_county.adcode, pairing_a.weak_county.name)
    assert body["colour"] == WarningColour.RED
    assert [reason["code"] for reason in body["reasons"]] == ["signed_not_started", "reports_overdue"]
    assert all(set(reason) == {"code", "text"} and reason["text"] for reason in body["reasons"])
    assert (body["since"], body["checked_on"]) == ("2025-10-20", "2025-10-20")


def test_red_first_then_yellow_then_blue(officer_client, warned):
    colours = [row["colour"] for row in officer_client.get(URL).json()["results"]]

    assert colours == ["red", "yellow", "blue", "blue"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"colour": "red"}, {"TEZ-RED"}),
        ({"colour": ["red", "yellow"]}, {"TEZ-RED", "MY-YELLOW"}),
        ({"program": "sd-test"}, {"TEZ-RED", "TEZ-STRONG", "MY-YELLOW"}),
        ({"program": "other"}, {"OT-BLUE"}),
        ({"county": "370211"}, {"TEZ-STRONG"}),
        ({"county": "371328", "colour": "yellow"}, {"MY-YELLOW"}),
        ({"program": "nope"}, set()),
    ],
)
def test_filters(officer_client, warned, params, expected):
    assert set(codes(officer_client.get(URL, params))) == expected


@pytest.mark.parametrize("params", [{"colour": "purple"}, {"county": "3704"}])
def test_a_bad_filter_value_is_a_400(officer_client, warned, params):
    assert officer_client.get(URL, params).status_code == 400


def test_a_project_id_beyond_the_database_range_is_a_404(officer_client, warned):
    assert officer_client.get(f"{URL}{2**64}/").status_code == 404


@pytest.mark.parametrize("persona", ["officer_client", "liaison_a_client"])
def test_query_count_is_constant_as_projects_grow(request, pairing_a, persona):
    client = request.getfixturevalue(persona)

    def count() -> int:
        warnings_refresh(today=TODAY)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    for n in range(2):
        ProjectFactory(pairing=pairing_a, code=f"FEW-{n}")
    client.get(URL)  # the user's role is read once and kept for the request's user
    few = count()
    for n in range(10):
        ProjectFactory(pairing=pairing_a, code=f"MORE-{n}")
    many = count()

    assert few == many


def test_the_schema_lists_the_endpoint_as_read_only_under_projects():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    paths = {path: ops for path, ops in schema["paths"].items() if path.startswith(URL)}
    assert set(paths) == {URL, f"{URL}{{project}}/"}
    for operations in paths.values():
        assert set(operations) - {"parameters"} == {"get"}
        assert operations["get"]["tags"] == ["projects"]
        assert operations["get"]["summary"] and operations["get"]["description"]
