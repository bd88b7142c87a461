"""GET /api/v1/projects/ — cooperation projects; the detail carries the stage log."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import api_token_create
from pairing.factories import PairingFactory, ParkFactory, ProgramFactory
from projects.factories import ProjectFactory
from projects.models import Health, ProjectCategory, Stage
from projects.services import project_change_stage, project_create
from tests.conftest import client_for

URL = "/api/v1/projects/"
ALL = {"TEZ-001", "MY-001", "TEZ-002", "HD-001", "OT-001"}
# What each persona sees: liaisons only the projects of pairings their county is part of (either side).
VISIBLE = {
    "officer_client": ALL,
    "finance_client": ALL,
    "leader_client": ALL,
    "liaison_a_client": {"TEZ-001", "TEZ-002", "HD-001"},
    "liaison_b_client": {"MY-001"},
}


@pytest.fixture
def logged(pairing_a, officer):
    """A project created and started through the services, so its stage log has two lines."""
    park = ParkFactory(pairing=pairing_a)
    project = project_create(
        pairing=pairing_a,
        code="TEZ-001",
        name="新能源电池配套项目",
        park=park,
        enterprise="青岛某新能源有限公司",
        industry="新能源",
        planned_investment=Decimal("320000000.00"),
        signed_date=dt.date(2025, 2, 10),
        planned_start_date=dt.date(2025, 4, 1),
        stage=Stage.SIGNED,
        is_sample=True,
        by=officer,
    )
    return project_change_stage(
        project=project, to_stage=Stage.STARTED, by=officer, actual_start_date=dt.date(2025, 4, 20), note="开工"
    )


@pytest.fixture
def others(pairing_a, pairing_b):
    """Projects that differ from ``logged`` in one respect each."""
    return {
        "pipeline_b": ProjectFactory(
            pairing=pairing_b,
            code="MY-001",
            enterprise="济南某钻机有限公司",
            stage=Stage.PIPELINE,
            signed_date=None,
            planned_investment=Decimal("90000000.00"),
        ),
        "stalled_a": ProjectFactory(
            pairing=pairing_a,
            code="TEZ-002",
            health=Health.STALLED,
            category=ProjectCategory.SUPPLY_CHAIN,
            signed_date=dt.date(2025, 8, 1),
            planned_investment=Decimal("500000000.00"),
        ),
        "in_strong_county": ProjectFactory(
            pairing=pairing_a, code="HD-001", county=pairing_a.strong_county, signed_date=dt.date(2024, 12, 1)
        ),
        "official": ProjectFactory(
            pairing=PairingFactory(program=ProgramFactory(code="other")), code="OT-001", is_sample=False
        ),
    }


def codes(response) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_each_persona_lists_what_it_may_see(request, logged, others, persona):
    client = request.getfixturevalue(persona)

    listing = client.get(URL, {"page_size": 100})

    assert listing.status_code == 200
    assert set(codes(listing)) == VISIBLE[persona]
    assert listing.json()["count"] == len(VISIBLE[persona])
    for project in [logged, *others.values()]:
        expected = 200 if project.code in VISIBLE[persona] else 404
        assert client.get(f"{URL}{project.pk}/").status_code == expected, project.code


def test_a_project_of_another_county_does_not_exist_for_a_liaison(liaison_b_client, logged, others):
    assert liaison_b_client.get(f"{URL}{logged.pk}/").status_code == 404
    assert liaison_b_client.get(URL, {"search": "新能源"}).json()["count"] == 0
    assert liaison_b_client.get(URL, {"pairing": logged.pairing_id}).json()["count"] == 0


def test_an_account_without_a_role_is_forbidden(norole, logged):
    assert client_for(norole).get(URL).status_code == 403
    assert client_for(norole).get(f"{URL}{logged.pk}/").status_code == 403


@pytest.mark.parametrize("persona", ["officer_client", "liaison_a_client"])
def test_detail_of_a_visible_project(request, logged, others, persona):
    client = request.getfixturevalue(persona)

    listing = client.get(URL)
    detail = client.get(f"{URL}{logged.pk}/")

    assert listing.status_code == 200
    assert "stage_log" not in listing.json()["results"][0]
    assert detail.status_code == 200
    body = detail.json()
    assert body["code"] == "TEZ-001"
    assert body["program"] == "sd-test"
    assert body["pairing"] == logged.pairing_id
    assert body["park"] == logged.park_id
    assert body["county"] == "370405"
    assert body["county_name"] == "台儿庄区"
    assert body["enterprise"] == "青岛某新能源有限公司"
    assert body["category"] == "transfer"
    assert body["stage"] == "started"
    assert body["health"] == "normal"
    assert body["planned_investment"] == "320000000.00"
    assert body["completed_investment"] == "0.00"
    assert body["signed_date"] == "2025-02-10"
    assert body["actual_start_date"] == "2025-04-20"
    assert body["planned_production_date"] is None


def test_detail_includes_the_stage_log(officer_client, logged):
    log = officer_client.get(f"{URL}{logged.pk}/").json()["stage_log"]

    assert [(line["from_stage"], line["to_stage"], line["changed_by"], line["note"]) for line in log] == [
        ("", "signed", "officer", ""),
        ("signed", "started", "officer", "开工"),
    ]
    assert all(line["changed_at"] for line in log)


def test_anonymous_is_refused(api_client, logged):
    assert api_client.get(URL).status_code == 401
    assert api_client.get(f"{URL}{logged.pk}/").status_code == 401


def test_token_authentication(officer, logged):
    _token, key = api_token_create(user=officer, name="报表工具")

    response = APIClient().get(f"{URL}{logged.pk}/", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 200
    assert response.json()["code"] == "TEZ-001"


def test_unknown_project_is_404(officer_client, logged):
    assert officer_client.get(f"{URL}999999/").status_code == 404


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"program": "other"}, {"OT-001"}),
        ({"county": "370211"}, {"HD-001"}),
        ({"county": "371328"}, {"MY-001"}),
        ({"stage": "pipeline"}, {"MY-001"}),
        ({"stage": ["pipeline", "started"]}, {"MY-001", "TEZ-001"}),
        ({"health": "stalled"}, {"TEZ-002"}),
        ({"category": "supply_chain"}, {"TEZ-002"}),
        ({"is_sample": "false"}, {"OT-001"}),
        ({"signed_after": "2025-03-01"}, {"TEZ-002", "OT-001"}),
        ({"signed_before": "2025-01-01"}, {"HD-001"}),
        ({"signed_after": "2025-02-01", "signed_before": "2025-02-28"}, {"TEZ-001"}),
        ({"search": "钻机"}, {"MY-001"}),
        ({"search": "HD-"}, {"HD-001"}),
    ],
)
def test_filters(officer_client, logged, others, params, expected):
    response = officer_client.get(URL, params)

    assert response.status_code == 200
    assert set(codes(response)) == expected


def test_filter_by_pairing_and_park(officer_client, logged, others):
    by_pairing = officer_client.get(URL, {"pairing": others["pipeline_b"].pairing_id})
    by_park = officer_client.get(URL, {"park": logged.park_id})

    assert codes(by_pairing) == ["MY-001"]
    assert codes(by_park) == ["TEZ-001"]


@pytest.mark.parametrize(
    "params", [{"stage": "finished"}, {"pairing": "1.5"}, {"county": "3704"}, {"signed_after": "2025-13-01"}]
)
def test_malformed_filter_is_a_bad_request(officer_client, logged, params):
    assert officer_client.get(URL, params).status_code == 400


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("planned_investment", ["HD-001", "OT-001", "TEZ-001", "TEZ-002"]),
        ("-planned_investment", ["TEZ-002", "TEZ-001", "HD-001", "OT-001"]),
        ("-signed_date", ["TEZ-002", "OT-001", "TEZ-001", "HD-001"]),
        ("-code", ["TEZ-002", "TEZ-001", "OT-001", "HD-001"]),
    ],
)
def test_ordering(officer_client, logged, others, ordering, expected):
    # Only signed projects: databases disagree on where a missing signing date sorts.
    params = {"ordering": f"{ordering},code", "signed_after": "2000-01-01"}

    ranked = codes(officer_client.get(URL, params))

    assert ranked == expected


def test_list_query_count_does_not_grow_with_page_size(officer_client, program):
    for _ in range(5):
        pairing = PairingFactory(program=program)
        ProjectFactory(pairing=pairing, park=ParkFactory(pairing=pairing))

    with CaptureQueriesContext(connection) as one_row:
        small = officer_client.get(URL, {"page_size": 1})
    with CaptureQueriesContext(connection) as all_rows:
        large = officer_client.get(URL, {"page_size": 100})

    assert len(small.json()["results"]) == 1
    assert len(large.json()["results"]) == 5
    assert len(one_row) == len(all_rows) <= 8


def test_detail_query_count_does_not_grow_with_the_stage_log(officer_client, logged, django_assert_max_num_queries):
    for stage, kwargs in ((Stage.PRODUCING, {"actual_production_date": dt.date(2025, 10, 1)}), (Stage.AT_CAPACITY, {})):
        project_change_stage(project=logged, to_stage=stage, **kwargs)

    with django_assert_max_num_queries(3):
        response = officer_client.get(f"{URL}{logged.pk}/")

    assert len(response.json()["stage_log"]) == 4
