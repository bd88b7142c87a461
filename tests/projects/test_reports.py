"""Progress-report workflow: validation in words, draft → submitted → returned/approved, locking, versions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from projects.factories import ProjectFactory
from projects.models import ClosedPeriod, ProgressReport, ReportStatus, Stage
from projects.reports import (
    ReportData,
    StaleVersion,
    progress_report_approve,
    progress_report_return,
    progress_report_save,
    progress_report_submit,
    report_attachment_add,
    report_lock_reason,
)

TODAY = dt.date(2025, 11, 20)


@pytest.fixture(autouse=True)
def in_english():
    """Service messages are matched in English here; one test checks the Chinese the users see."""
    with translation.override("en"):
        yield


def data(**overrides) -> ReportData:
    values = {
        "stage": Stage.SIGNED,
        "cumulative_investment": Decimal("30000000.00"),
        "month_investment": Decimal("5000000.00"),
        "jobs_created": 12,
    }
    values.update(overrides)
    return ReportData(**values)


@pytest.fixture
def project(pairing_a):
    return ProjectFactory(pairing=pairing_a, code="TEZ-001", signed_date=dt.date(2025, 3, 15), stage=Stage.SIGNED)


def save(project, by, period="2025-10", **overrides):
    return progress_report_save(project=project, period=period, data=data(**overrides), by=by, today=TODAY)


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


class TestValidation:
    def test_a_negative_investment_is_refused_in_chinese_and_nothing_is_saved(self, project, liaison_a):
        with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
            save(project, liaison_a, cumulative_investment=Decimal("-1.00"))

        assert errors_of(excinfo)["cumulative_investment"] == ["金额不能为负数。"]
        assert not ProgressReport.objects.exists()

    @pytest.mark.parametrize(
        ("period", "message"),
        [("2025-12", "in the future"), ("2025-02", "before the project was signed"), ("2025-13", "YYYY-MM")],
    )
    def test_period_rules(self, project, liaison_a, period, message):
        with pytest.raises(ValidationError, match=message):
            save(project, liaison_a, period=period)

    def test_every_broken_rule_is_reported_at_once(self, project, liaison_a):
        with pytest.raises(ValidationError) as excinfo:
            save(
                project,
                liaison_a,
                period="2026-01",
                stage=Stage.STARTED,
                month_investment=Decimal("-5.00"),
                problem_category="land",
            )
        assert set(errors_of(excinfo)) == {"period", "month_investment", "actual_start_date", "problems"}

    def test_cumulative_never_below_the_last_approved(self, project, liaison_a, officer):
        report = save(project, liaison_a, period="2025-09", cumulative_investment=Decimal("40000000.00"))
        progress_report_submit(report=report, by=liaison_a)
        progress_report_approve(report=report, by=officer)

        with pytest.raises(ValidationError) as excinfo:
            save(project, liaison_a, period="2025-10", cumulative_investment=Decimal("39999999.99"))
        assert "4,000.00 万元" in errors_of(excinfo)["cumulative_investment"][0]

    def test_moving_the_stage_back_needs_a_reason(self, project, liaison_a):
        with pytest.raises(ValidationError) as excinfo:
            save(project, liaison_a, stage=Stage.PIPELINE)
        assert "stage_back_reason" in errors_of(excinfo)

        report = save(project, liaison_a, stage=Stage.PIPELINE, stage_back_reason="企业暂缓投资")
        assert report.stage == Stage.PIPELINE

    def test_output_and_tax_only_once_producing(self, project, liaison_a):
        with pytest.raises(ValidationError) as excinfo:
            save(project, liaison_a, output_value=Decimal("100.00"))
        assert "output_value" in errors_of(excinfo)

    def test_a_liaison_of_another_county_cannot_report(self, project, liaison_b):
        with pytest.raises(PermissionDenied):
            save(project, liaison_b)
        assert not ProgressReport.objects.exists()

    def test_a_closed_period_is_refused(self, project, liaison_a):
        ClosedPeriod.objects.create(program=project.pairing.program, period="2025-10")
        with pytest.raises(ValidationError, match="closed"):
            save(project, liaison_a)


class TestWorkflow:
    def test_draft_submit_return_resubmit_approve_moves_the_project(self, project, liaison_a, officer):
        report = save(project, liaison_a, stage=Stage.STARTED, actual_start_date=dt.date(2025, 10, 8))
        assert report.status == ReportStatus.DRAFT and report.version == 1

        report = progress_report_submit(report=report, by=liaison_a)
        assert report.status == ReportStatus.SUBMITTED
        assert report_lock_reason(report).startswith("The report is in review")
        with pytest.raises(ValidationError):
            save(project, liaison_a, stage=Stage.STARTED, actual_start_date=dt.date(2025, 10, 8))

        report = progress_report_return(report=report, by=officer, comment="请补充开工照片")
        assert report.status == ReportStatus.RETURNED and report.review_comment == "请补充开工照片"
        first_submitted = report.first_submitted_at

        report = save(project, liaison_a, stage=Stage.STARTED, actual_start_date=dt.date(2025, 10, 8), jobs_created=30)
        report = progress_report_submit(report=report, by=liaison_a)
        assert report.first_submitted_at == first_submitted  # timeliness counts the first submission

        report = progress_report_approve(report=report, by=officer)
        project.refresh_from_db()
        assert report.status == ReportStatus.APPROVED
        assert project.stage == Stage.STARTED
        assert project.actual_start_date == dt.date(2025, 10, 8)
        assert project.completed_investment == Decimal("30000000.00")
        assert project.stage_changes.last().to_stage == Stage.STARTED
        assert report_lock_reason(report) == "The report is approved and can no longer be changed."

    def test_nobody_approves_their_own_submission(self, project, officer):
        report = save(project, officer)
        report = progress_report_submit(report=report, by=officer)
        with pytest.raises(PermissionDenied):
            progress_report_approve(report=report, by=officer)

    def test_a_liaison_cannot_review(self, project, liaison_a):
        report = progress_report_submit(report=save(project, liaison_a), by=liaison_a)
        with pytest.raises(PermissionDenied):
            progress_report_approve(report=report, by=liaison_a)

    def test_returning_needs_a_comment(self, project, liaison_a, officer):
        report = progress_report_submit(report=save(project, liaison_a), by=liaison_a)
        with pytest.raises(ValidationError):
            progress_report_return(report=report, by=officer, comment="  ")

    def test_a_stale_version_is_a_conflict_not_an_overwrite(self, project, liaison_a):
        report = save(project, liaison_a)
        progress_report_save(
            project=project, period="2025-10", data=data(jobs_created=20), by=liaison_a, expected_version=1, today=TODAY
        )

        with pytest.raises(StaleVersion):
            progress_report_save(
                project=project,
                period="2025-10",
                data=data(jobs_created=99),
                by=liaison_a,
                expected_version=report.version,
                today=TODAY,
            )
        assert ProgressReport.objects.get().jobs_created == 20


class TestAttachments:
    def test_a_pdf_is_attached(self, project, liaison_a, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        report = save(project, liaison_a)
        upload = SimpleUploadedFile("现场照片.pdf", b"%PDF-1.4 test", content_type="application/pdf")

        attachment = report_attachment_add(report=report, upload=upload, by=liaison_a)

        assert attachment.content_type == "application/pdf"
        assert attachment.original_name == "现场照片.pdf"

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("a.exe", b"MZ", "photo"),
            ("a.pdf", b"not a pdf", "content"),
            ("a.jpg", b"", "empty"),
        ],
    )
    def test_wrong_files_are_refused(self, project, liaison_a, settings, tmp_path, name, content, message):
        settings.MEDIA_ROOT = tmp_path
        report = save(project, liaison_a)
        with pytest.raises(ValidationError, match=message):
            report_attachment_add(report=report, upload=SimpleUploadedFile(name, content), by=liaison_a)


class TestAdminReview:
    URL = "/admin/projects/progressreport/{}/change/"

    @staticmethod
    def review(client, report, **fields):
        from tests.projects.test_admin import change_form_data

        url = TestAdminReview.URL.format(report.pk)
        data = change_form_data(client.get(url), **{"seen_version": report.version, **fields})
        return client.post(url, data)

    def test_an_officer_returns_then_approves_in_the_admin(self, client, project, liaison_a, officer):
        report = progress_report_submit(report=save(project, liaison_a), by=liaison_a)
        client.force_login(officer)
        page = client.get(self.URL.format(report.pk))
        assert page.status_code == 200

        response = self.review(client, report, decision="return", comment="")
        assert response.status_code == 200  # a return needs a comment: the form says so, nothing changes
        assert ProgressReport.objects.get().status == ReportStatus.SUBMITTED

        assert self.review(client, report, decision="return", comment="补充材料").status_code == 302
        report.refresh_from_db()
        assert report.status == ReportStatus.RETURNED

        report = progress_report_submit(report=report, by=liaison_a)
        assert self.review(client, report, decision="approve").status_code == 302
        assert ProgressReport.objects.get().status == ReportStatus.APPROVED

    def test_a_stale_review_form_is_refused(self, client, project, liaison_a, officer):
        report = progress_report_submit(report=save(project, liaison_a), by=liaison_a)
        client.force_login(officer)

        response = self.review(client, report, decision="approve", seen_version=report.version - 1)

        assert response.status_code == 200
        assert "该记录已被他人修改" in response.content.decode()  # the conflict, in Chinese
        assert ProgressReport.objects.get().status == ReportStatus.SUBMITTED


def test_two_officers_editing_a_project_the_second_gets_a_conflict(client, project, officer, django_user_model):
    from tests.projects.test_admin import change_form_data

    other = django_user_model.objects.create_superuser("officer2", "o2@example.org", "pw")
    url = f"/admin/projects/project/{project.pk}/change/"
    client.force_login(officer)
    first = change_form_data(client.get(url), name="第一次修改")
    client.force_login(other)
    second = change_form_data(client.get(url), name="第二次修改")

    client.force_login(officer)
    assert client.post(url, first).status_code == 302
    client.force_login(other)
    response = client.post(url, second)

    assert response.status_code == 200
    assert "该项目已被他人修改" in response.content.decode()
    project.refresh_from_db()
    assert project.name == "第一次修改"


class TestHistory:
    def test_every_change_is_in_the_history_with_its_author(self, project, liaison_a, officer):
        report = save(project, liaison_a)
        report = progress_report_submit(report=report, by=liaison_a)
        progress_report_approve(report=report, by=officer)

        history = list(ProgressReport.history.filter(id=report.pk).order_by("history_date"))

        assert [(h.status, h.history_user) for h in history] == [
            (ReportStatus.DRAFT, liaison_a),
            (ReportStatus.SUBMITTED, liaison_a),
            (ReportStatus.APPROVED, officer),
        ]
        assert project.history.first().history_user == officer  # the approval moved the project

    def test_an_api_change_records_the_token_user(self, project, liaison_a):
        from rest_framework.test import APIClient

        from accounts.services import api_token_create

        _token, key = api_token_create(user=liaison_a, name="报表工具", read_only=False)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        payload = {
            "project": project.pk,
            "period": "2025-10",
            "stage": "signed",
            "cumulative_investment": "1.00",
            "month_investment": "1.00",
        }
        assert client.post("/api/v1/progress-reports/", payload, format="json").status_code == 201

        assert ProgressReport.history.get().history_user == liaison_a

    def test_the_history_page_opens_in_the_admin(self, client, project, liaison_a, officer):
        report = save(project, liaison_a)
        client.force_login(officer)
        assert client.get(f"/admin/projects/progressreport/{report.pk}/history/").status_code == 200
        assert client.get(f"/admin/projects/project/{project.pk}/history/").status_code == 200
