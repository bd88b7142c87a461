"""Every list of projects, reports, warnings and money narrows by program, pairing and county: in the admin (list
filters) and in the API (query parameters)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from funds.factories import FundFactory
from funds.services import allocation_create, disbursement_create
from projects.factories import ProgressReportFactory, ProjectFactory
from projects.models import ReportStatus
from projects.warnings import warnings_refresh

pytestmark = pytest.mark.django_db
SUBMITTED = dt.datetime(2025, 10, 3, 9, 0, tzinfo=dt.UTC)


def project_with_a_report(pairing):
    """A project of ``pairing`` signed in January, with September's report submitted."""
    project = ProjectFactory(pairing=pairing, signed_date=dt.date(2025, 1, 10))
    ProgressReportFactory(
        project=project,
        period="2025-09",
        status=ReportStatus.SUBMITTED,
        submitted_at=SUBMITTED,
        first_submitted_at=SUBMITTED,
    )
    return project


@pytest.fixture
def two_pairings(program, pairing_a, pairing_b):
    projects = {}
    for pairing in (pairing_a, pairing_b):
        projects[pairing.pk] = project_with_a_report(pairing)
    warnings_refresh(today=dt.date(2025, 10, 20))
    fund = FundFactory(program=program, year=2025, total=Decimal("200000000.00"))
    for pairing in (pairing_a, pairing_b):
        allocation = allocation_create(
            fund=fund, county=pairing.weak_county, amount=Decimal("1000000.00"), allocated_on=dt.date(2025, 2, 1)
        )
        disbursement_create(allocation=allocation, amount=Decimal("500000.00"), paid_on=dt.date(2025, 3, 1))
    return projects


def ids(response) -> list:
    assert response.status_code == 200, response.content
    return [row.get("id", row.get("project")) for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("endpoint", "param"),
    [
        ("/api/v1/progress-reports/", "pairing"),
        ("/api/v1/warnings/", "pairing"),
    ],
)
def test_reports_and_warnings_narrow_by_pairing(officer_client, two_pairings, pairing_a, endpoint, param):
    everything = ids(officer_client.get(endpoint))
    mine = ids(officer_client.get(endpoint, {param: pairing_a.pk}))

    assert len(everything) == 2
    assert len(mine) == 1


@pytest.mark.parametrize("endpoint", ["/api/v1/allocations/", "/api/v1/disbursements/"])
def test_money_narrows_by_program_and_county(officer_client, two_pairings, pairing_a, endpoint):
    assert len(ids(officer_client.get(endpoint, {"program": "sd-test"}))) == 2
    assert ids(officer_client.get(endpoint, {"program": "other"})) == []
    assert len(ids(officer_client.get(endpoint, {"county": pairing_a.weak_county_id}))) == 1


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("/admin/projects/project/", "pairing__id__exact"),
        ("/admin/projects/progressreport/", "project__pairing__id__exact"),
        ("/admin/projects/projectwarning/", "project__pairing__id__exact"),
    ],
)
def test_admin_lists_narrow_by_pairing(client, officer, two_pairings, pairing_a, page, query):
    client.force_login(officer)
    response = client.get(page, {query: pairing_a.pk})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("/admin/projects/project/", "county__adcode__exact"),
        ("/admin/funds/allocation/", "county__adcode__exact"),
        ("/admin/funds/disbursement/", "allocation__county__adcode__exact"),
    ],
)
def test_admin_lists_narrow_by_county(client, officer, two_pairings, pairing_a, page, query):
    client.force_login(officer)
    response = client.get(page, {query: pairing_a.weak_county_id})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


ADMIN_LISTS = [
    "/admin/projects/project/",
    "/admin/projects/progressreport/",
    "/admin/projects/projectwarning/",
    "/admin/funds/allocation/",
    "/admin/funds/disbursement/",
]


@pytest.mark.parametrize("path", ADMIN_LISTS)
def test_the_pairing_and_county_filters_cost_the_same_whatever_the_number_of_pairings(
    path, client, officer, two_pairings, program
):
    """The sidebar's pairing and county choices are read in one query each: naming every pairing with a query of its
    own cost thousands of queries and seconds a page at national volume (docs/benchmarks.md)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pairing.factories import CountyFactory, PairingFactory

    officer.is_staff = True
    officer.save()
    client.force_login(officer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200
        return len(captured)

    before = queries()
    fund = FundFactory(program=program, year=2024, total=Decimal("200000000.00"))
    for i in range(6):
        # Each new pairing with rows in every list, as at national volume.
        pairing = PairingFactory(
            program=program,
            strong_county=CountyFactory(adcode=f"3799{i:02d}"),
            weak_county=CountyFactory(adcode=f"3798{i:02d}"),
        )
        project_with_a_report(pairing)
        allocation = allocation_create(
            fund=fund, county=pairing.weak_county, amount=Decimal("1000000.00"), allocated_on=dt.date(2024, 2, 1)
        )
        disbursement_create(allocation=allocation, amount=Decimal("500000.00"), paid_on=dt.date(2024, 3, 1))
    warnings_refresh(today=dt.date(2025, 10, 20))
    after = queries()
    assert after == before, (before, after)
    body = client.get(path).content.decode()
    assert "→" in body  # the pairings are named in the sidebar


@pytest.mark.parametrize(
    ("path", "program_param", "pairing_param", "county_param"),
    [
        (
            "/admin/projects/progressreport/",
            "project__pairing__program__id__exact",
            "project__pairing__id__exact",
            "project__county__adcode__exact",
        ),
        ("/admin/projects/project/", "pairing__program__id__exact", "pairing__id__exact", "county__adcode__exact"),
    ],
)
def test_with_many_pairings_the_sidebar_lists_those_of_the_chosen_program(
    path, program_param, pairing_param, county_param, client, officer, two_pairings, pairing_a, monkeypatch
):
    """A national deployment's 1,400 pairings and 1,500 counties as sidebar links took most of a list page's time
    and help nobody: past ``LONG_FILTER`` choices the filters wait for a program, and keep the choice in force."""
    from pairing import admin_filters
    from pairing.factories import PairingFactory

    other = PairingFactory()  # another program's pairing
    officer.is_staff = True
    officer.save()
    client.force_login(officer)
    monkeypatch.setattr(admin_filters, "LONG_FILTER", 2)
    waiting = "选择帮扶计划后在此列出"

    def links(body: str, param: str, value) -> bool:
        return f"{param}={value}" in body

    body = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert waiting in body
    assert not links(body, pairing_param, pairing_a.pk) and not links(body, pairing_param, other.pk)
    assert not links(body, county_param, pairing_a.weak_county_id)

    body = client.get(path, {program_param: pairing_a.program_id}).content.decode()
    assert links(body, pairing_param, pairing_a.pk) and not links(body, pairing_param, other.pk)
    assert links(body, county_param, pairing_a.weak_county_id)
    assert not links(body, county_param, other.weak_county_id)
    assert waiting not in body

    # A pairing or county chosen before the program stays in the sidebar, marked as chosen.
    response = client.get(path, {pairing_param: pairing_a.pk, county_param: pairing_a.weak_county_id})
    assert response.context["cl"].result_count == 1
    body = response.content.decode()
    assert links(body, pairing_param, pairing_a.pk) and not links(body, pairing_param, other.pk)
    assert '<li class="selected">' in body

    monkeypatch.setattr(admin_filters, "LONG_FILTER", 60)
    body = client.get(path).content.decode()
    assert links(body, pairing_param, pairing_a.pk) and links(body, pairing_param, other.pk)
    assert waiting not in body
