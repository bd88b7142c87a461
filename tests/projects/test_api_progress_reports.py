"""/api/v1/progress-reports/: scoping by persona, the workflow, and optimistic concurrency with ETag / If-Match."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from projects.factories import ProjectFactory
from projects.models import ClosedPeriod, ProgressReport, ReportStatus, Stage
from projects.reports import ReportData, progress_report_save, progress_report_submit
from tests.conftest import client_for

URL = "/api/v1/progress-reports/"
PAYLOAD = {
    "period": "2025-10",
    "stage": "signed",
    "cumulative_investment": "30000000.00",
    "month_investment": "5000000.00",
    "jobs_created": 12,
}


@pytest.fixture
def project_a(pairing_a):
    return ProjectFactory(pairing=pairing_a, code="TEZ-001", signed_date=dt.date(2025, 3, 15), stage=Stage.SIGNED)


@pytest.fixture
def project_b(pairing_b):
    return ProjectFactory(pairing=pairing_b, code="MY-001", signed_date=dt.date(2025, 3, 15), stage=Stage.SIGNED)


@pytest.fixture
def report_a(project_a, liaison_a):
    data = ReportData(
        stage=Stage.SIGNED, cumulative_investment=Decimal("30000000.00"), month_investment=Decimal("5000000.00")
    )
    return progress_report_save(project=project_a, period="2025-10", data=data, by=liaison_a)


@pytest.fixture
def report_b(project_b, liaison_b):
    data = ReportData(
        stage=Stage.SIGNED, cumulative_investment=Decimal("1000000.00"), month_investment=Decimal("1000000.00")
    )
    return progress_report_save(project=project_b, period="2025-10", data=data, by=liaison_b)


def etag(client, report) -> str:
    return client.get(f"{URL}{report.pk}/").headers["ETag"]


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("officer", {"TEZ-001", "MY-001"}),
        ("finance", {"TEZ-001", "MY-001"}),
        ("leader", {"TEZ-001", "MY-001"}),
        ("liaison_a", {"TEZ-001"}),
        ("liaison_b", {"MY-001"}),
    ],
)
def test_each_persona_sees_its_reports(request, report_a, report_b, persona, visible):
    client = client_for(request.getfixturevalue(persona))

    listing = client.get(URL)

    assert listing.status_code == 200
    assert {row["project_code"] for row in listing.json()["results"]} == visible
    assert listing.json()["count"] == len(visible)
    assert client.get(f"{URL}{report_a.pk}/").status_code == (200 if "TEZ-001" in visible else 404)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("liaison_a", 201), ("officer", 201), ("finance", 403), ("leader", 403), ("norole", 403), ("liaison_b", 400)],
)
def test_who_may_file_a_report_for_county_a(request, project_a, persona, expected):
    response = client_for(request.getfixturevalue(persona)).post(
        URL, {**PAYLOAD, "project": project_a.pk}, format="json"
    )

    assert response.status_code == expected, response.content
    assert ProgressReport.objects.count() == (1 if expected == 201 else 0)
    if persona == "liaison_b":  # another county's project in the payload does not exist for them
        assert "project" in response.json()


def test_anonymous_is_refused(api_client, report_a):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, PAYLOAD, format="json").status_code == 401
    assert api_client.post(f"{URL}{report_a.pk}/submit/").status_code == 401


def test_a_negative_investment_is_a_400_naming_the_field(liaison_a, project_a):
    response = client_for(liaison_a).post(
        URL, {**PAYLOAD, "project": project_a.pk, "cumulative_investment": "-1.00"}, format="json"
    )

    assert response.status_code == 400
    assert "cumulative_investment" in response.json()
    assert not ProgressReport.objects.exists()


def test_a_second_report_for_the_same_month_is_a_400(liaison_a, report_a):
    response = client_for(liaison_a).post(URL, {**PAYLOAD, "project": report_a.project_id}, format="json")
    assert response.status_code == 400
    assert ProgressReport.objects.count() == 1


class TestConcurrency:
    def test_get_carries_an_etag_and_if_none_match_gives_304(self, liaison_a, report_a):
        client = client_for(liaison_a)
        tag = etag(client, report_a)

        assert tag == f'"{report_a.pk}-1"'
        assert client.get(f"{URL}{report_a.pk}/", HTTP_IF_NONE_MATCH=tag).status_code == 304

    def test_patch_with_the_current_etag_changes_and_moves_the_etag(self, liaison_a, report_a):
        client = client_for(liaison_a)
        tag = etag(client, report_a)

        response = client.patch(f"{URL}{report_a.pk}/", {"jobs_created": 30}, format="json", HTTP_IF_MATCH=tag)

        assert response.status_code == 200, response.content
        assert response.json()["jobs_created"] == 30
        assert response.headers["ETag"] == f'"{report_a.pk}-2"'
        assert response.json()["cumulative_investment"] == "30000000.00"  # untouched fields kept

    def test_the_second_writer_gets_412_and_nothing_is_overwritten(self, liaison_a, officer, report_a):
        first, second = client_for(liaison_a), client_for(officer)
        tag = etag(first, report_a)
        assert etag(second, report_a) == tag

        assert (
            first.patch(f"{URL}{report_a.pk}/", {"jobs_created": 30}, format="json", HTTP_IF_MATCH=tag).status_code
            == 200
        )
        late = second.patch(f"{URL}{report_a.pk}/", {"jobs_created": 99}, format="json", HTTP_IF_MATCH=tag)

        assert late.status_code == 412
        assert ProgressReport.objects.get().jobs_created == 30

    def test_a_write_without_if_match_is_428(self, liaison_a, report_a):
        response = client_for(liaison_a).patch(f"{URL}{report_a.pk}/", {"jobs_created": 30}, format="json")
        assert response.status_code == 428
        assert ProgressReport.objects.get().jobs_created == 0


class TestWorkflow:
    def test_submit_return_resubmit_approve(self, liaison_a, officer, report_a, project_a):
        liaison, reviewer = client_for(liaison_a), client_for(officer)

        submitted = liaison.post(f"{URL}{report_a.pk}/submit/", HTTP_IF_MATCH=etag(liaison, report_a))
        assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
        assert submitted.json()["locked_because"]
        locked = liaison.patch(
            f"{URL}{report_a.pk}/", {"jobs_created": 1}, format="json", HTTP_IF_MATCH=submitted.headers["ETag"]
        )
        assert locked.status_code == 400

        returned = reviewer.post(
            f"{URL}{report_a.pk}/return/",
            {"comment": "请补充投资凭证"},
            format="json",
            HTTP_IF_MATCH=etag(reviewer, report_a),
        )
        assert returned.status_code == 200 and returned.json()["review_comment"] == "请补充投资凭证"

        fixed = liaison.patch(
            f"{URL}{report_a.pk}/",
            {"stage": "started", "actual_start_date": "2025-10-08"},
            format="json",
            HTTP_IF_MATCH=returned.headers["ETag"],
        )
        assert fixed.status_code == 200, fixed.content
        resubmitted = liaison.post(f"{URL}{report_a.pk}/submit/", HTTP_IF_MATCH=fixed.headers["ETag"])
        assert resubmitted.status_code == 200

        approved = reviewer.post(f"{URL}{report_a.pk}/approve/", HTTP_IF_MATCH=resubmitted.headers["ETag"])
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        project_a.refresh_from_db()
        assert project_a.stage == Stage.STARTED
        assert project_a.completed_investment == Decimal("30000000.00")

    @pytest.mark.parametrize("persona", ["liaison_a", "finance", "leader"])
    def test_only_an_officer_reviews(self, request, liaison_a, report_a, persona):
        report = progress_report_submit(report=report_a, by=liaison_a)
        client = client_for(request.getfixturevalue(persona))
        response = client.post(f"{URL}{report.pk}/approve/", HTTP_IF_MATCH=f'"{report.pk}-{report.version}"')
        assert response.status_code == 403
        assert ProgressReport.objects.get().status == ReportStatus.SUBMITTED

    def test_another_countys_liaison_cannot_act_on_the_report(self, liaison_b, report_a):
        response = client_for(liaison_b).post(f"{URL}{report_a.pk}/submit/", HTTP_IF_MATCH=f'"{report_a.pk}-1"')
        assert response.status_code == 404


def test_a_liaison_asking_to_approve_is_told_403_before_any_precondition(liaison_a, report_a):
    report = progress_report_submit(report=report_a, by=liaison_a)
    response = client_for(liaison_a).post(f"{URL}{report.pk}/approve/")  # no If-Match at all
    assert response.status_code == 403


def test_a_closed_month_is_given_as_the_lock_reason_in_lists_and_details(officer, report_a, report_b):
    """The list reads whether each report's month is closed with the reports themselves (one query for the page)."""
    ClosedPeriod.objects.create(program=report_a.project.pairing.program, period="2025-10")
    elsewhere = ProjectFactory(code="ELSE-001", signed_date=dt.date(2025, 3, 15), stage=Stage.SIGNED)
    open_report = ProgressReport.objects.create(
        project=elsewhere, period="2025-10", stage=Stage.SIGNED, cumulative_investment=0, month_investment=0
    )
    client = client_for(officer)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")

    listing = client.get(URL).json()["results"]
    detail = client.get(f"{URL}{report_a.pk}/").json()

    closed = "The period 2025-10 is closed."
    assert {row["id"]: row["locked_because"] for row in listing} == {
        report_a.pk: closed,
        report_b.pk: closed,
        open_report.pk: None,
    }
    assert detail["locked_because"] == closed
