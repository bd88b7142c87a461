"""The officers' review workspace: the queue (longest waiting first) and its counts, one page per report, a decision
through the same services as everywhere, then the next report; approval refuses what it cannot apply to the project,
with the reason, instead of dropping it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role
from accounts.services import user_create
from projects.factories import ProjectFactory
from projects.models import ProgressReport, Project, ProjectStageChange, ReportStatus, Stage
from projects.reports import (
    ReportData,
    progress_report_approve,
    progress_report_save,
    progress_report_submit,
    report_application_errors,
)
from projects.review import next_in_queue, review_queue, waiting_counts
from projects.services import project_change_stage
from tests.conftest import client_for
from tests.projects.test_admin import change_form_data
from validation.factories import ValidationRuleFactory
from validation.models import RuleField, RuleKind, Severity

pytestmark = pytest.mark.django_db

QUEUE = "admin:projects_progressreport_review_queue"
PAGE = "admin:projects_progressreport_review"


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def officer_b(db):
    user, _password = user_create(username="officer_b", role=Role.OFFICER, password="pw-officer-b-long")
    return user


def browser_of(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def project(pairing, code: str, **fields) -> Project:
    values = {"signed_date": dt.date(2025, 3, 15), "stage": Stage.SIGNED, "planned_investment": Decimal("1e8")}
    return ProjectFactory(pairing=pairing, code=code, **{**values, **fields})


def submit(project, by, period="2025-10", *, at=None, **figures) -> ProgressReport:
    values = {
        "stage": Stage.SIGNED,
        "cumulative_investment": Decimal("30000000"),
        "month_investment": Decimal("5000000"),
        "jobs_created": 12,
    }
    report = progress_report_save(
        project=project, period=period, data=ReportData(**{**values, **figures}), by=by, today=dt.date(2025, 11, 20)
    )
    report = progress_report_submit(report=report, by=by)
    if at is not None:
        ProgressReport.objects.filter(pk=report.pk).update(submitted_at=at)
        report.refresh_from_db()
    return report


@pytest.fixture
def three_waiting(pairing_a, pairing_b, liaison_a, liaison_b):
    """Three reports submitted three, one and two days ago: the queue opens the oldest first."""
    now = timezone.now()
    first = submit(project(pairing_a, "TEZ-001"), liaison_a, at=now - dt.timedelta(days=3))
    third = submit(project(pairing_a, "TEZ-002"), liaison_a, at=now - dt.timedelta(days=1))
    second = submit(project(pairing_b, "MY-001"), liaison_b, at=now - dt.timedelta(days=2))
    return first, second, third


class TestQueue:
    def test_the_queue_is_ordered_by_how_long_each_waited(self, three_waiting, officer):
        first, second, third = three_waiting
        assert list(review_queue()) == [first, second, third]

        page = browser_of(officer).get(reverse(QUEUE))
        assert page.status_code == 200
        assert [report for report, _waited in page.context["rows"]] == [first, second, third]

    def test_the_report_list_links_to_the_queue(self, officer):
        page = browser_of(officer).get(reverse("admin:projects_progressreport_changelist"))
        assert f'href="{reverse(QUEUE)}"' in page.content.decode()

    def test_counts_per_program_and_county_on_the_admin_index_and_the_dashboard(
        self, three_waiting, officer, pairing_a, pairing_b
    ):
        counts = {(c.program_id, c.county_id): c.waiting for c in waiting_counts()}
        program = pairing_a.program_id
        assert counts == {(program, pairing_a.weak_county_id): 2, (program, pairing_b.weak_county_id): 1}

        index = browser_of(officer).get(reverse("admin:index"))
        assert index.context["review_waiting_total"] == 3
        assert 'id="review-waiting"' in index.content.decode()

        dashboard = browser_of(officer).get(reverse("reporting:dashboard"))
        assert dashboard.context["review_waiting_total"] == 3
        assert 'id="review-waiting"' in dashboard.content.decode()

    def test_the_dashboard_shows_no_queue_to_a_leader(self, three_waiting, leader):
        dashboard = browser_of(leader).get(reverse("reporting:dashboard"))
        assert dashboard.context["review_waiting"] is None
        assert 'id="review-waiting"' not in dashboard.content.decode()

    def test_the_queue_filters_by_county(self, three_waiting, officer, pairing_b):
        _first, second, _third = three_waiting
        page = browser_of(officer).get(reverse(QUEUE), {"county": pairing_b.weak_county_id})
        assert [report for report, _waited in page.context["rows"]] == [second]

    def test_next_skips_reports_the_reviewer_wrote(self, three_waiting, officer, pairing_a):
        first, second, _third = three_waiting
        mine = submit(project(pairing_a, "TEZ-003"), officer, at=timezone.now() - dt.timedelta(days=9))
        assert next_in_queue(after=None, reviewer=officer) == first
        assert next_in_queue(after=first, reviewer=officer) == second
        assert next_in_queue(after=None, reviewer=None) == mine


class TestReviewPage:
    def test_this_month_against_last_month_and_the_changes_since_the_last_approved(
        self, pairing_a, liaison_a, officer, program
    ):
        the_project = project(pairing_a, "TEZ-001")
        september = submit(the_project, liaison_a, "2025-09", cumulative_investment=Decimal("30000000"))
        progress_report_approve(report=september, by=officer)
        ValidationRuleFactory(
            program=program,
            kind=RuleKind.MONTH_JUMP,
            field=RuleField.MONTH_INVESTMENT,
            severity=Severity.WARNING,
            maximum=None,
            threshold=Decimal(100),
        )
        october = submit(
            the_project,
            liaison_a,
            "2025-10",
            cumulative_investment=Decimal("50000000"),
            month_investment=Decimal("20000000"),
        )

        page = browser_of(officer).get(reverse(PAGE, args=[october.pk]))

        assert page.status_code == 200
        rows = {row.field: row for row in page.context["page"].rows}
        assert rows["cumulative_investment"].changed
        assert (rows["cumulative_investment"].this_month, rows["cumulative_investment"].last_month) == (
            Decimal("50000000"),
            Decimal("30000000"),
        )
        assert not rows["jobs_created"].changed
        assert rows["month_investment"].warnings and "+300.0%" in rows["month_investment"].warnings[0]
        html = page.content.decode()
        assert 'id="row-cumulative_investment" class="changed' in html
        assert "+300.0%" in html
        assert page.context["page"].completion_pct == Decimal("50.0")

    def test_a_draft_or_decided_report_opens_read_only(self, pairing_a, liaison_a, officer, three_waiting):
        draft = progress_report_save(
            project=project(pairing_a, "TEZ-005"),
            period="2025-10",
            data=ReportData(stage=Stage.SIGNED, cumulative_investment=Decimal(1), month_investment=Decimal(1)),
            by=liaison_a,
        )
        page = browser_of(officer).get(reverse(PAGE, args=[draft.pk]))
        assert page.status_code == 200
        assert (page.context["page"].position, page.context["may_decide"]) == (0, False)
        assert page.context["page"].queue_length == 3

    def test_a_leader_sees_the_page_without_the_buttons(self, three_waiting, leader):
        page = browser_of(leader).get(reverse(PAGE, args=[three_waiting[0].pk]))
        assert page.status_code == 200 and not page.context["may_decide"]
        assert 'value="approve"' not in page.content.decode()
        refused = browser_of(leader).post(reverse(PAGE, args=[three_waiting[0].pk]), {"decision": "approve"})
        assert refused.status_code == 403


class TestDecisions:
    def test_approve_then_the_next_report_in_the_queue(self, three_waiting, officer):
        first, second, _third = three_waiting

        response = browser_of(officer).post(
            reverse(PAGE, args=[first.pk]), {"decision": "approve", "comment": "", "seen_version": first.version}
        )

        assert response.status_code == 302 and response.url == reverse(PAGE, args=[second.pk])
        first.refresh_from_db()
        assert (first.status, first.reviewed_by) == (ReportStatus.APPROVED, officer)

    def test_return_needs_a_comment(self, three_waiting, officer):
        first = three_waiting[0]
        url = reverse(PAGE, args=[first.pk])

        refused = browser_of(officer).post(url, {"decision": "return", "comment": "  ", "seen_version": first.version})

        assert refused.status_code == 200
        assert refused.context["form"].errors["comment"] == ["Say what must be corrected."]
        first.refresh_from_db()
        assert first.status == ReportStatus.SUBMITTED

        returned = browser_of(officer).post(
            url, {"decision": "return", "comment": "请核对投资额", "seen_version": first.version}
        )
        assert returned.status_code == 302
        first.refresh_from_db()
        assert (first.status, first.review_comment) == (ReportStatus.RETURNED, "请核对投资额")

    def test_the_last_decision_goes_back_to_the_empty_queue(self, pairing_a, liaison_a, officer):
        only = submit(project(pairing_a, "TEZ-001"), liaison_a)
        response = browser_of(officer).post(
            reverse(PAGE, args=[only.pk]), {"decision": "approve", "seen_version": only.version}
        )
        assert response.url == reverse(QUEUE)

    def test_a_stale_page_is_refused(self, three_waiting, officer, officer_b):
        first = three_waiting[0]
        seen = first.version
        progress_report_approve(report=first, by=officer_b)

        response = browser_of(officer).post(
            reverse(PAGE, args=[first.pk]), {"decision": "approve", "seen_version": seen}
        )

        assert response.status_code == 200
        assert "Someone else changed this record" in str(response.context["form"].non_field_errors())

    def test_an_author_cannot_approve_here_either(self, pairing_a, officer):
        mine = submit(project(pairing_a, "TEZ-001"), officer)
        response = browser_of(officer).post(
            reverse(PAGE, args=[mine.pk]), {"decision": "approve", "seen_version": mine.version}
        )
        assert response.status_code == 200 and response.context["form"].non_field_errors()
        mine.refresh_from_db()
        assert mine.status == ReportStatus.SUBMITTED


class TestApprovalNeverDropsWhatWasReported:
    def test_a_start_date_other_than_the_projects_is_refused_with_the_reason(self, pairing_a, liaison_a, officer):
        the_project = project(pairing_a, "TEZ-001")
        project_change_stage(
            project=the_project, to_stage=Stage.STARTED, actual_start_date=dt.date(2025, 8, 1), by=officer
        )
        report = submit(the_project, liaison_a, stage=Stage.STARTED, actual_start_date=dt.date(2025, 9, 1))

        with pytest.raises(ValidationError) as refused:
            progress_report_approve(report=report, by=officer)

        [message] = refused.value.message_dict["actual_start_date"]
        assert "2025-08-01" in message and "2025-09-01" in message
        report.refresh_from_db()
        assert report.status == ReportStatus.SUBMITTED
        assert Project.objects.get(pk=the_project.pk).actual_start_date == dt.date(2025, 8, 1)

    def test_the_review_page_says_why_before_the_officer_decides(self, pairing_a, liaison_a, officer):
        the_project = project(pairing_a, "TEZ-001")
        project_change_stage(
            project=the_project, to_stage=Stage.STARTED, actual_start_date=dt.date(2025, 8, 1), by=officer
        )
        report = submit(the_project, liaison_a, stage=Stage.STARTED, actual_start_date=dt.date(2025, 9, 1))
        url = reverse(PAGE, args=[report.pk])

        page = browser_of(officer).get(url)
        assert "actual_start_date" in page.context["page"].cannot_apply
        assert 'id="review-cannot-apply"' in page.content.decode()

        refused = browser_of(officer).post(url, {"decision": "approve", "seen_version": report.version})
        assert refused.status_code == 200
        assert "2025-09-01" in str(refused.context["form"].non_field_errors())
        report.refresh_from_db()
        assert report.status == ReportStatus.SUBMITTED

    @pytest.fixture
    def conflicting(self, pairing_a, liaison_a, officer) -> ProgressReport:
        """A report whose start date is not the one the project already has."""
        the_project = project(pairing_a, "TEZ-001")
        project_change_stage(
            project=the_project, to_stage=Stage.STARTED, actual_start_date=dt.date(2025, 8, 1), by=officer
        )
        return submit(the_project, liaison_a, stage=Stage.STARTED, actual_start_date=dt.date(2025, 9, 1))

    def test_the_admin_form_and_the_api_refuse_it_too(self, conflicting, officer):
        client = browser_of(officer)
        url = reverse("admin:projects_progressreport_change", args=[conflicting.pk])
        form = change_form_data(client.get(url), decision="approve", seen_version=conflicting.version)
        refused = client.post(url, form)
        assert refused.status_code == 200
        assert "2025-09-01" in str(refused.context["adminform"].form.non_field_errors())

        api = client_for(officer).post(
            f"/api/v1/progress-reports/{conflicting.pk}/approve/",
            {"comment": ""},
            format="json",
            HTTP_IF_MATCH=f'"{conflicting.pk}-{conflicting.version}"',
        )
        assert api.status_code == 400 and "actual_start_date" in api.json()
        conflicting.refresh_from_db()
        assert conflicting.status == ReportStatus.SUBMITTED

    def test_a_stage_whose_gate_the_project_does_not_open_is_refused(self, pairing_a, liaison_a, officer):
        # A pipeline project without a signing date cannot be moved to "signed" by a report.
        the_project = project(pairing_a, "TEZ-001", stage=Stage.PIPELINE, signed_date=None)
        report = submit(the_project, liaison_a, stage=Stage.SIGNED)

        errors = report_application_errors(project=the_project, report=report)
        assert list(errors) == ["stage"] and "signing date" in errors["stage"][0]
        with pytest.raises(ValidationError):
            progress_report_approve(report=report, by=officer)
        assert Project.objects.get(pk=the_project.pk).stage == Stage.PIPELINE

    def test_an_approved_report_moves_the_project_through_the_one_stage_writer(self, pairing_a, liaison_a, officer):
        the_project = project(pairing_a, "TEZ-001")
        version = the_project.version
        report = submit(
            the_project,
            liaison_a,
            stage=Stage.STARTED,
            actual_start_date=dt.date(2025, 9, 1),
            cumulative_investment=Decimal("40000000"),
        )

        progress_report_approve(report=report, by=officer)

        moved = Project.objects.get(pk=the_project.pk)
        assert (moved.stage, moved.actual_start_date, moved.completed_investment) == (
            Stage.STARTED,
            dt.date(2025, 9, 1),
            Decimal("40000000"),
        )
        assert moved.version == version + 1
        log = ProjectStageChange.objects.filter(project=moved).latest("id")
        assert (log.from_stage, log.to_stage, log.changed_by) == (Stage.SIGNED, Stage.STARTED, officer)
        assert "2025-10" in log.note

    def test_an_earlier_month_approved_late_fills_a_missing_date_only(self, pairing_a, liaison_a, officer):
        the_project = project(pairing_a, "TEZ-001")
        september = submit(
            the_project,
            liaison_a,
            "2025-09",
            stage=Stage.STARTED,
            actual_start_date=dt.date(2025, 9, 1),
            cumulative_investment=Decimal("20000000"),
        )
        october = submit(the_project, liaison_a, "2025-10", cumulative_investment=Decimal("30000000"))
        progress_report_approve(report=october, by=officer)

        progress_report_approve(report=september, by=officer)  # a month behind: it does not move the project back

        after = Project.objects.get(pk=the_project.pk)
        assert (after.stage, after.completed_investment) == (Stage.SIGNED, Decimal("30000000"))
        assert after.actual_start_date == dt.date(2025, 9, 1)
