"""Nobody approves figures they entered: not the submitter only, but anyone who wrote or changed the report.

Officer A wrote a report's figures (or changed them, or attached a file), officer B or the liaison submitted it, and
A could approve it: only the submitter was kept from reviewing. The report's authors — everyone who created,
changed, attached to or submitted it — are recorded (``ReportParticipant``), ``progress_report_approve`` refuses
any of them with a message in Chinese, and the database refuses an approver who is one of the report's authors
(``report_approver_not_an_author``). Tried through the service, the API, the admin's review form and its action.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.utils import translation

from projects.factories import ProjectFactory
from projects.models import ProgressReport, ReportStatus, Stage
from projects.reports import (
    ReportData,
    progress_report_approve,
    progress_report_return,
    progress_report_save,
    progress_report_submit,
    report_attachment_add,
)
from tests.conftest import client_for

REFUSAL_ZH = "您填写或修改过此报告的内容，须由另一位省级工作人员审核通过。"
URL = "/api/v1/progress-reports/"


@pytest.fixture
def project(pairing_a):
    return ProjectFactory(pairing=pairing_a, code="TEZ-001", signed_date=dt.date(2025, 3, 15), stage=Stage.SIGNED)


@pytest.fixture
def officer_b(django_user_model):
    return django_user_model.objects.create_superuser("officer_b", "ob@example.org", "pw")


@pytest.fixture
def officer_c(django_user_model):
    return django_user_model.objects.create_superuser("officer_c", "oc@example.org", "pw")


def figures(jobs: int = 12) -> ReportData:
    return ReportData(
        stage=Stage.SIGNED,
        cumulative_investment=Decimal("30000000.00"),
        month_investment=Decimal("5000000.00"),
        jobs_created=jobs,
    )


def write(project, by, jobs: int = 12) -> ProgressReport:
    return progress_report_save(project=project, period="2025-10", data=figures(jobs), by=by)


class TestTheService:
    def test_the_officer_who_wrote_it_cannot_approve_what_another_submitted(self, project, officer, officer_b):
        report = progress_report_submit(report=write(project, officer), by=officer_b)

        with translation.override("zh-hans"), pytest.raises(PermissionDenied) as refused:
            progress_report_approve(report=report, by=officer)

        assert str(refused.value) == REFUSAL_ZH
        assert ProgressReport.objects.get().status == ReportStatus.SUBMITTED

    def test_an_officer_who_changed_the_liaisons_draft_cannot_approve_it(self, project, liaison_a, officer):
        write(project, liaison_a)
        report = write(project, officer, jobs=99)  # a correction of the figures by the officer
        report = progress_report_submit(report=report, by=liaison_a)

        with pytest.raises(PermissionDenied):
            progress_report_approve(report=report, by=officer)

    def test_an_officer_who_changed_a_returned_report_cannot_approve_it(self, project, liaison_a, officer, officer_b):
        report = progress_report_submit(report=write(project, liaison_a), by=liaison_a)
        progress_report_return(report=report, by=officer_b, comment="请核对就业人数")
        write(project, officer, jobs=30)  # the officer corrects it instead of the liaison
        report = progress_report_submit(report=ProgressReport.objects.get(), by=liaison_a)

        with pytest.raises(PermissionDenied):
            progress_report_approve(report=report, by=officer)
        assert progress_report_approve(report=report, by=officer_b).status == ReportStatus.APPROVED

    def test_an_officer_who_attached_a_file_cannot_approve_it(self, project, liaison_a, officer):
        report = write(project, liaison_a)
        upload = SimpleUploadedFile("现场.pdf", b"%PDF-1.4 test")
        report_attachment_add(report=report, upload=upload, by=officer)
        report = progress_report_submit(report=report, by=liaison_a)

        with pytest.raises(PermissionDenied):
            progress_report_approve(report=report, by=officer)

    def test_an_officer_who_took_no_part_approves(self, project, liaison_a, officer, officer_b, officer_c):
        report = progress_report_submit(report=write(project, officer), by=officer_b)

        approved = progress_report_approve(report=report, by=officer_c)

        assert approved.status == ReportStatus.APPROVED
        assert approved.reviewed_by == officer_c

    def test_the_database_refuses_an_author_as_approver(self, project, officer, officer_b):
        from projects.models import ReportParticipant, ReportRole

        report = progress_report_submit(report=write(project, officer), by=officer_b)

        with pytest.raises(IntegrityError):
            ReportParticipant.objects.create(report=report, user=officer, role=ReportRole.APPROVER)


class TestTheApi:
    def test_an_officer_who_patched_the_figures_gets_a_403_on_approval(self, project, liaison_a, officer):
        report = write(project, liaison_a)
        officer_api = client_for(officer)
        etag = officer_api.get(f"{URL}{report.pk}/").headers["ETag"]
        patched = officer_api.patch(f"{URL}{report.pk}/", {"jobs_created": 99}, format="json", HTTP_IF_MATCH=etag)
        assert patched.status_code == 200
        progress_report_submit(report=report, by=liaison_a)

        etag = officer_api.get(f"{URL}{report.pk}/").headers["ETag"]
        response = officer_api.post(
            f"{URL}{report.pk}/approve/", {}, format="json", HTTP_IF_MATCH=etag, HTTP_ACCEPT_LANGUAGE="zh-hans"
        )

        assert response.status_code == 403
        assert REFUSAL_ZH in response.content.decode()
        assert ProgressReport.objects.get().status == ReportStatus.SUBMITTED


class TestTheAdmin:
    def test_the_review_form_refuses_an_author(self, client, project, officer, officer_b):
        from tests.projects.test_admin import change_form_data

        report = progress_report_submit(report=write(project, officer), by=officer_b)
        client.force_login(officer)
        url = f"/admin/projects/progressreport/{report.pk}/change/"

        response = client.post(url, change_form_data(client.get(url), seen_version=report.version, decision="approve"))

        assert response.status_code == 200
        assert REFUSAL_ZH in response.content.decode()
        assert ProgressReport.objects.get().status == ReportStatus.SUBMITTED

    def test_the_approve_action_refuses_an_author(self, client, project, officer, officer_b):
        report = progress_report_submit(report=write(project, officer), by=officer_b)
        client.force_login(officer)

        response = client.post(
            "/admin/projects/progressreport/",
            {"action": "approve_selected", "_selected_action": [report.pk]},
            follow=True,
        )

        assert REFUSAL_ZH in response.content.decode()
        assert ProgressReport.objects.get().status == ReportStatus.SUBMITTED


def test_the_admin_names_the_authors(client, project, liaison_a, officer, officer_b):
    write(project, liaison_a)
    report = progress_report_submit(report=write(project, officer_b, jobs=20), by=liaison_a)
    client.force_login(officer)

    page = client.get(f"/admin/projects/progressreport/{report.pk}/change/").content.decode()

    assert "填写或修改人" in page
    assert "liaison_a, officer_b" in page


def test_the_migration_records_the_authors_of_reports_in_progress(project, liaison_a, officer, officer_b):
    """Reports written before the authors were recorded get them from their history: the return is a review, not
    authorship; an approved report is left alone."""
    import importlib

    from django.apps import apps

    from projects.models import ReportParticipant

    migration = importlib.import_module("projects.migrations.0005_backfill_report_authors")
    write(project, liaison_a)
    write(project, officer, jobs=40)
    report = progress_report_submit(report=ProgressReport.objects.get(), by=liaison_a)
    progress_report_return(report=report, by=officer_b, comment="请补充")
    done = progress_report_save(project=project, period="2025-09", data=figures(), by=liaison_a)
    progress_report_approve(report=progress_report_submit(report=done, by=liaison_a), by=officer_b)
    ReportParticipant.objects.all().delete()

    migration.record_authors(apps, None)

    assert {(p.report_id, p.user.username) for p in ReportParticipant.objects.all()} == {
        (report.pk, "liaison_a"),
        (report.pk, "officer"),
    }
