"""The liaison pages through Django's test client: who may see what, and the monthly progress form end to end
(draft, errors with nothing saved, submission, locking, conflicts, attachments, amounts in 万元)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from projects.factories import ProgressReportFactory, ProjectFactory
from projects.models import (
    ClosedPeriod,
    Health,
    ProgressReport,
    ProjectWarning,
    ReportAttachment,
    ReportStatus,
    Stage,
    WarningColour,
)
from projects.reports import (
    ReportData,
    progress_report_approve,
    progress_report_return,
    progress_report_save,
    progress_report_submit,
    report_lock_reason,
)

from .conftest import signed_in

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%test\n"


def report_url(project, period: str) -> str:
    return reverse("liaison:report", kwargs={"project_id": project.pk, "period": period})


def form_data(**overrides) -> dict[str, str]:
    """What a liaison types for a signed project: amounts in 万元."""
    values = {
        "period": "",
        "stage": Stage.SIGNED,
        "cumulative_investment": "3000",
        "month_investment": "500",
        "jobs_created": "12",
        "output_value": "",
        "tax_paid": "",
        "stage_back_reason": "",
        "actual_start_date": "",
        "actual_production_date": "",
        "problem_category": "",
        "problems": "",
        "version": "0",
        "save": "1",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def in_english(text) -> str:
    with translation.override("en"):
        return str(text)


def stored_files(top: str = "reports") -> set[str]:
    """Every file under ``top`` in the (in-memory) storage."""
    if not default_storage.exists(top):
        return set()
    directories, files = default_storage.listdir(top)
    found = {f"{top}/{name}" for name in files}
    for directory in directories:
        found |= stored_files(f"{top}/{directory}")
    return found


# --- who may see what ----------------------------------------------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize("name", ["liaison:projects", "liaison:report"])
    def test_anonymous_is_sent_to_the_liaison_sign_in(self, anonymous, project_a, due_period, name):
        url = reverse(name) if name == "liaison:projects" else report_url(project_a, due_period)

        response = anonymous.get(url)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("liaison:login") + "?next=")

    @pytest.mark.parametrize("persona", ["officer", "finance", "leader", "norole"])
    def test_a_signed_in_user_without_the_liaison_role_gets_403(self, request, persona, project_a, due_period):
        client = signed_in(request.getfixturevalue(persona))

        assert client.get(reverse("liaison:projects")).status_code == 403
        assert client.get(report_url(project_a, due_period)).status_code == 403
        response = client.post(report_url(project_a, due_period), form_data(period=due_period))
        assert response.status_code == 403
        assert not ProgressReport.objects.exists()

    def test_liaison_b_gets_404_on_a_project_of_county_a(self, client_b, project_a, project_b, due_period):
        assert client_b.get(report_url(project_a, due_period)).status_code == 404
        assert client_b.get(reverse("liaison:report_new", args=[project_a.pk])).status_code == 404
        response = client_b.post(report_url(project_a, due_period), form_data(period=due_period))
        assert response.status_code == 404
        assert not ProgressReport.objects.exists()

    def test_liaison_b_never_sees_county_a_projects_or_reports(
        self, client_b, liaison_a, project_a, project_b, due_period
    ):
        ProgressReportFactory(project=project_a, period=due_period)

        body = client_b.get(reverse("liaison:projects")).content.decode()

        assert "MY-001" in body
        assert "TEZ-001" not in body
        assert project_a.name not in body

    def test_an_attachment_is_served_only_in_its_county(self, client_a, client_b, liaison_a, project_a, due_period):
        client_a.post(
            report_url(project_a, due_period),
            {**form_data(period=due_period), "attachments": [SimpleUploadedFile("现场.png", PNG)]},
        )
        attachment = ReportAttachment.objects.get()
        url = reverse("projects:report_attachment", args=[attachment.pk])

        response = client_a.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == PNG
        assert client_b.get(url).status_code == 404

    def test_an_impossible_month_is_not_a_page(self, client_a, project_a):
        assert client_a.get(f"/liaison/projects/{project_a.pk}/reports/2025-13/").status_code == 404


class TestSignIn:
    def test_the_sign_in_page_is_a_chinese_mobile_page(self, anonymous):
        response = signed_in(language="zh-hans").get(reverse("liaison:login"))

        body = response.content.decode()
        assert response.status_code == 200
        assert '<html lang="zh-hans">' in body
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
        assert "liaison/liaison.css" in body
        assert "http://" not in body and "https://" not in body  # nothing from a CDN

    def test_a_liaison_lands_on_my_projects(self, anonymous, liaison_a):
        response = anonymous.post(reverse("liaison:login"), {"username": "liaison_a", "password": "pw-liaison-a"})

        assert response.status_code == 302
        assert response["Location"] == reverse("liaison:projects")

    def test_a_liaison_goes_back_where_they_were_sent_from(self, anonymous, liaison_a, project_a, due_period):
        target = report_url(project_a, due_period)
        response = anonymous.post(
            reverse("liaison:login"), {"username": "liaison_a", "password": "pw-liaison-a", "next": target}
        )

        assert response["Location"] == target

    def test_provincial_staff_signing_in_here_are_sent_to_the_admin(self, anonymous, officer):
        response = anonymous.post(reverse("liaison:login"), {"username": "officer", "password": "pw-officer"})

        assert response.status_code == 302
        assert response["Location"] == reverse("admin:index")

    def test_a_wrong_password_is_refused(self, anonymous, liaison_a):
        response = anonymous.post(reverse("liaison:login"), {"username": "liaison_a", "password": "nope"})

        assert response.status_code == 200
        assert "_auth_user_id" not in anonymous.session

    def test_sign_out_returns_to_the_sign_in_page(self, client_a):
        response = client_a.post(reverse("liaison:logout"))

        assert response.status_code == 302
        assert response["Location"] == reverse("liaison:login")
        assert client_a.get(reverse("liaison:projects")).status_code == 302


# --- my projects ---------------------------------------------------------------------------------------------------


class TestMyProjects:
    def test_cards_show_code_name_stage_warning_and_the_month_due(self, client_a, project_a, due_period, today):
        ProjectWarning.objects.create(
            project=project_a,
            colour=WarningColour.RED,
            reasons=[{"code": "not_started", "text": "签约超过6个月未开工"}, {"code": "overdue", "text": "其他"}],
            since=today,
            checked_on=today,
        )

        body = client_a.get(reverse("liaison:projects")).content.decode()

        assert "TEZ-001" in body and project_a.name in body
        assert "Signed" in body
        assert 'class="badge badge-red"' in body
        assert "签约超过6个月未开工" in body
        assert "其他" not in body  # only the first reason
        assert f"Report for {due_period}" in body
        assert report_url(project_a, due_period) in body

    def test_no_badge_before_the_first_warning_check(self, client_a, project_a):
        body = client_a.get(reverse("liaison:projects")).content.decode()

        assert "badge-" not in body.split('id="project-')[1]

    def test_the_due_state_follows_the_calendar(self, client_a, project_a, today):
        body = client_a.get(reverse("liaison:projects")).content.decode()

        days = (today.replace(day=5) - today).days
        if days > 0:
            assert f"due in {days} day" in body
        elif days == 0:
            assert "due today" in body
        else:
            assert f"overdue by {-days} day" in body

    def test_submitted_approved_and_returned_are_said(self, client_a, liaison_a, officer, pairing_a, due_period, today):
        signed = today - dt.timedelta(days=200)
        submitted, approved, returned = (
            ProjectFactory(pairing=pairing_a, code=code, signed_date=signed) for code in ("P-1", "P-2", "P-3")
        )
        for project in (submitted, approved, returned):
            report = progress_report_save(project=project, period=due_period, data=_data(), by=liaison_a)
            progress_report_submit(report=report, by=liaison_a)
        progress_report_approve(report=approved.reports.get(), by=officer)
        progress_report_return(report=returned.reports.get(), by=officer, comment="请补充现场照片")

        body = client_a.get(reverse("liaison:projects")).content.decode()

        assert "submitted, in review" in body
        assert "approved" in body
        assert "returned — see the comment" in body
        assert "请补充现场照片" in body

    def test_terminated_projects_are_listed_last(self, client_a, pairing_a, project_a, today):
        ProjectFactory(pairing=pairing_a, code="AAA-000", name="已终止的项目", health=Health.TERMINATED)

        body = client_a.get(reverse("liaison:projects")).content.decode()

        assert body.index("TEZ-001") < body.index("AAA-000")
        assert 'id="project-' not in body.split("AAA-000")[1].split("Recent reports")[0]

    def test_recent_reports_are_listed(self, client_a, liaison_a, project_a, due_period):
        progress_report_save(project=project_a, period=due_period, data=_data(), by=liaison_a)

        body = client_a.get(reverse("liaison:projects")).content.decode()

        recent = body.split("Recent reports")[1]
        assert "TEZ-001" in recent and due_period in recent and "Draft" in recent

    def test_chinese_is_the_default(self, liaison_a, project_a, due_period):
        progress_report_save(project=project_a, period=due_period, data=_data(), by=liaison_a)

        body = signed_in(liaison_a, language="zh-hans").get(reverse("liaison:projects")).content.decode()

        assert '<html lang="zh-hans">' in body
        assert "草稿" in body  # ReportStatus.DRAFT


def _data(**overrides) -> ReportData:
    values = {
        "stage": Stage.SIGNED,
        "cumulative_investment": Decimal("30000000.00"),
        "month_investment": Decimal("5000000.00"),
        "jobs_created": 12,
    }
    values.update(overrides)
    return ReportData(**values)


# --- the form ------------------------------------------------------------------------------------------------------


class TestDraft:
    def test_the_new_report_link_opens_the_month_due(self, client_a, project_a, due_period):
        response = client_a.get(reverse("liaison:report_new", args=[project_a.pk]))

        assert response["Location"] == report_url(project_a, due_period)

    def test_the_blank_form_starts_from_the_project(self, client_a, project_a, due_period):
        response = client_a.get(report_url(project_a, due_period))

        form = response.context["form"]
        assert response.status_code == 200
        assert form["period"].value() == due_period
        assert form["stage"].value() == Stage.SIGNED
        assert form["version"].value() == 0
        assert 'name="version"' in response.content.decode()

    def test_a_draft_is_saved_with_amounts_converted_exactly(self, client_a, liaison_a, project_a, due_period):
        response = client_a.post(
            report_url(project_a, due_period),
            form_data(period=due_period, cumulative_investment="1234.5678", month_investment="0.000001"),
        )

        assert response.status_code == 302
        assert response["Location"] == report_url(project_a, due_period)
        report = ProgressReport.objects.get()
        assert report.status == ReportStatus.DRAFT
        assert report.cumulative_investment == Decimal("12345678.00")
        assert report.month_investment == Decimal("0.01")
        assert report.jobs_created == 12
        assert report.version == 1

        page = client_a.get(report_url(project_a, due_period))
        assert page.context["form"]["cumulative_investment"].value() == "1234.5678"
        assert page.context["form"]["month_investment"].value() == "0.000001"
        assert page.context["form"]["version"].value() == 1

    def test_saving_again_raises_the_version(self, client_a, project_a, due_period):
        client_a.post(report_url(project_a, due_period), form_data(period=due_period))

        response = client_a.post(report_url(project_a, due_period), form_data(version="1", jobs_created="30"))

        assert response.status_code == 302
        report = ProgressReport.objects.get()
        assert (report.jobs_created, report.version) == (30, 2)

    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ("12.3456789", "Enter at most six decimal places"),
            ("abc", "Enter an amount in 万元"),
            ("1e12", "The amount is too large."),
        ],
    )
    def test_amounts_the_form_cannot_read(self, client_a, project_a, due_period, typed, message):
        response = client_a.post(report_url(project_a, due_period), form_data(cumulative_investment=typed))

        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors["cumulative_investment"])
        assert not ProgressReport.objects.exists()

    def test_grouped_and_full_width_figures_are_read(self, client_a, project_a, due_period):
        client_a.post(
            report_url(project_a, due_period),
            form_data(period=due_period, cumulative_investment="1,234.50", month_investment="１２．５"),
        )

        report = ProgressReport.objects.get()
        assert report.cumulative_investment == Decimal("12345000.00")
        assert report.month_investment == Decimal("125000.00")

    def test_a_new_report_may_choose_another_open_month(self, client_a, project_a, due_period, today):
        earlier = f"{today.replace(day=1) - dt.timedelta(days=40):%Y-%m}"

        response = client_a.post(report_url(project_a, due_period), form_data(period=earlier))

        assert response["Location"] == report_url(project_a, earlier)
        assert ProgressReport.objects.get().period == earlier


class TestValidationErrors:
    def test_each_message_is_shown_next_to_its_field_and_nothing_is_saved(self, client_a, project_a, due_period):
        before = stored_files()

        response = client_a.post(
            report_url(project_a, due_period),
            {
                **form_data(period=due_period, month_investment="-50", stage=Stage.STARTED, problem_category="land"),
                "attachments": [SimpleUploadedFile("现场.png", PNG)],
            },
        )

        assert response.status_code == 200
        errors = response.context["form"].errors
        assert errors["month_investment"] == [in_english("The amount cannot be negative.")]
        assert "actual_start_date" in errors
        assert "problems" in errors  # every broken rule at once
        body = response.content.decode()
        field = body.split('id="field-month_investment"')[1].split('id="field-')[0]
        assert 'id="id_month_investment_error"' in field
        assert "The amount cannot be negative." in field
        assert 'value="-50"' in field  # the input is kept
        assert "The files you chose were not saved" in body
        assert not ProgressReport.objects.exists()
        assert not ReportAttachment.objects.exists()
        assert stored_files() == before

    def test_the_chinese_message_when_translated(self, liaison_a, project_a, due_period):
        with translation.override("zh-hans"):
            expected = str(translation.gettext("The amount cannot be negative."))

        response = signed_in(liaison_a, language="zh-hans").post(
            report_url(project_a, due_period), form_data(period=due_period, cumulative_investment="-1")
        )

        assert expected in response.context["form"].errors["cumulative_investment"]

    def test_a_negative_number_of_jobs_gets_the_services_message(self, client_a, project_a, due_period):
        response = client_a.post(report_url(project_a, due_period), form_data(period=due_period, jobs_created="-3"))

        assert response.context["form"].errors["jobs_created"] == [in_english("The number cannot be negative.")]
        assert not ProgressReport.objects.exists()

    def test_moving_the_stage_back_asks_for_a_reason(self, client_a, project_a, due_period):
        response = client_a.post(report_url(project_a, due_period), form_data(period=due_period, stage=Stage.PIPELINE))

        assert "stage_back_reason" in response.context["form"].errors
        assert 'id="field-stage_back_reason" data-show="stage-back" hidden' not in response.content.decode()

    def test_a_future_month_is_refused_on_the_period(self, client_a, project_a, due_period, today):
        future = f"{today.replace(day=28) + dt.timedelta(days=10):%Y-%m}"

        response = client_a.post(report_url(project_a, due_period), form_data(period=future))

        assert "period" in response.context["form"].errors
        assert not ProgressReport.objects.exists()

    def test_output_and_tax_are_asked_only_once_producing(self, client_a, project_a, due_period):
        blank = client_a.get(report_url(project_a, due_period)).content.decode()
        assert 'data-show="output" hidden' in blank

        response = client_a.post(report_url(project_a, due_period), form_data(period=due_period, output_value="10"))

        # The server decides: a value for a signed project is refused, and the group is shown with its error.
        assert "output_value" in response.context["form"].errors
        assert 'data-show="output" hidden' not in response.content.decode()
        assert not ProgressReport.objects.exists()

    def test_a_producing_report_carries_output_and_tax(self, client_a, project_a, due_period, today):
        start = today - dt.timedelta(days=100)
        response = client_a.post(
            report_url(project_a, due_period),
            form_data(
                period=due_period,
                stage=Stage.PRODUCING,
                actual_start_date=f"{start:%Y-%m-%d}",
                actual_production_date=f"{start + dt.timedelta(days=50):%Y-%m-%d}",
                output_value="88.8",
                tax_paid="1.234567",
            ),
        )

        assert response.status_code == 302
        report = ProgressReport.objects.get()
        assert (report.output_value, report.tax_paid) == (Decimal("888000.00"), Decimal("12345.67"))


class TestSubmit:
    def test_submit_saves_and_sends_for_review(self, client_a, liaison_a, project_a, due_period):
        response = client_a.post(report_url(project_a, due_period), form_data(period=due_period, save=None, submit="1"))

        assert response.status_code == 302
        assert response["Location"] == reverse("liaison:projects")
        report = ProgressReport.objects.get()
        assert report.status == ReportStatus.SUBMITTED
        assert report.submitted_by == liaison_a
        assert "submitted, in review" in client_a.get(reverse("liaison:projects")).content.decode()

    def test_a_failed_submit_saves_nothing(self, client_a, project_a, due_period):
        client_a.post(report_url(project_a, due_period), form_data(period=due_period))

        response = client_a.post(
            report_url(project_a, due_period), form_data(version="1", month_investment="-1", save=None, submit="1")
        )

        assert response.status_code == 200
        report = ProgressReport.objects.get()
        assert (report.status, report.version, report.month_investment) == (
            ReportStatus.DRAFT,
            1,
            Decimal("5000000.00"),
        )

    def test_a_returned_report_shows_the_comment_and_can_be_resubmitted(
        self, client_a, liaison_a, officer, project_a, due_period
    ):
        report = progress_report_save(project=project_a, period=due_period, data=_data(), by=liaison_a)
        report = progress_report_submit(report=report, by=liaison_a)
        report = progress_report_return(report=report, by=officer, comment="本月投资额与台账不符,请核对")

        page = client_a.get(report_url(project_a, due_period))
        body = page.content.decode()
        assert 'id="review-comment"' in body
        assert "本月投资额与台账不符,请核对" in body
        assert body.index('id="review-comment"') < body.index("<form method")
        assert "form" in page.context

        response = client_a.post(
            report_url(project_a, due_period),
            form_data(version=str(report.version), month_investment="480", save=None, submit="1"),
        )

        assert response.status_code == 302
        report.refresh_from_db()
        assert report.status == ReportStatus.SUBMITTED
        assert report.month_investment == Decimal("4800000.00")


class TestLocked:
    @pytest.mark.parametrize("status", [ReportStatus.SUBMITTED, ReportStatus.APPROVED])
    def test_a_report_in_review_or_approved_is_read_only_with_the_reason(
        self, client_a, liaison_a, officer, project_a, due_period, status
    ):
        report = progress_report_save(project=project_a, period=due_period, data=_data(), by=liaison_a)
        report = progress_report_submit(report=report, by=liaison_a)
        if status == ReportStatus.APPROVED:
            report = progress_report_approve(report=report, by=officer)
        with translation.override("en"):
            reason = report_lock_reason(report)

        response = client_a.get(report_url(project_a, due_period))

        body = response.content.decode()
        assert response.status_code == 200
        assert "form" not in response.context
        assert 'id="lock-reason"' in body and reason in body
        assert "<form method" not in body.split("</header>")[1]
        assert "3000.00 万元" in body

        version = report.version
        response = client_a.post(report_url(project_a, due_period), form_data(version=str(version), jobs_created="99"))
        assert response.status_code == 409
        report.refresh_from_db()
        assert (report.version, report.jobs_created) == (version, 12)

    def test_a_closed_month_is_read_only(self, client_a, project_a, due_period):
        ClosedPeriod.objects.create(program=project_a.pairing.program, period=due_period)

        response = client_a.get(report_url(project_a, due_period))

        assert f"The period {due_period} is closed." in response.content.decode()
        assert client_a.post(report_url(project_a, due_period), form_data(period=due_period)).status_code == 409
        assert not ProgressReport.objects.exists()


class TestConflict:
    def test_a_stale_version_is_a_conflict_and_the_input_is_kept(self, client_a, liaison_a, project_a, due_period):
        report = progress_report_save(project=project_a, period=due_period, data=_data(), by=liaison_a)
        opened = client_a.get(report_url(project_a, due_period)).context["form"]["version"].value()
        # Meanwhile, on another phone:
        progress_report_save(
            project=project_a, period=due_period, data=_data(jobs_created=20), by=liaison_a, expected_version=1
        )

        response = client_a.post(
            report_url(project_a, due_period), form_data(version=str(opened), jobs_created="35", problems="电力增容")
        )

        assert response.status_code == 409
        body = response.content.decode()
        assert 'id="conflict"' in body
        assert "Someone else changed this report" in body
        form = response.context["form"]
        assert form["jobs_created"].value() == "35"
        assert form["problems"].value() == "电力增容"
        assert form["version"].value() == "2"
        report.refresh_from_db()
        assert (report.version, report.jobs_created) == (2, 20)

        # Saving again, knowingly, replaces the other change.
        client_a.post(report_url(project_a, due_period), form_data(version="2", jobs_created="35"))
        report.refresh_from_db()
        assert (report.version, report.jobs_created) == (3, 35)

    def test_two_new_reports_for_one_month_conflict(self, client_a, liaison_a, project_a, due_period):
        progress_report_save(project=project_a, period=due_period, data=_data(), by=liaison_a)

        response = client_a.post(report_url(project_a, due_period), form_data(period=due_period, version="0"))

        assert response.status_code == 409
        assert ProgressReport.objects.get().version == 1


class TestAttachments:
    def test_photos_and_pdfs_are_attached(self, client_a, project_a, due_period):
        response = client_a.post(
            report_url(project_a, due_period),
            {
                **form_data(period=due_period),
                "attachments": [SimpleUploadedFile("工地.png", PNG), SimpleUploadedFile("合同.pdf", PDF)],
            },
        )

        assert response.status_code == 302
        attachments = ReportAttachment.objects.order_by("id")
        assert [(a.original_name, a.content_type) for a in attachments] == [
            ("工地.png", "image/png"),
            ("合同.pdf", "application/pdf"),
        ]
        assert "工地.png" in client_a.get(report_url(project_a, due_period)).content.decode()

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("setup.exe", b"MZ\x90\x00", "Attach a photo (JPG, PNG) or a PDF."),
            ("假照片.jpg", b"not a jpeg at all", "The file's content is not a JPG."),
        ],
    )
    def test_a_refused_file_rolls_back_everything(self, client_a, project_a, due_period, name, content, message):
        before = stored_files()

        response = client_a.post(
            report_url(project_a, due_period),
            {
                **form_data(period=due_period),
                "attachments": [SimpleUploadedFile("好照片.png", PNG), SimpleUploadedFile(name, content)],
            },
        )

        assert response.status_code == 200
        errors = response.context["form"].errors["attachments"]
        assert errors == [f"{name}: {message}"]
        assert 'id="id_attachments_error"' in response.content.decode()
        assert not ProgressReport.objects.exists()
        assert not ReportAttachment.objects.exists()
        assert stored_files() == before  # the good photo's file went with the rollback
