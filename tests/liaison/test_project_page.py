"""The liaison's project page: plan against actual, the stage history, every report with its review as a thread, and
the month's form prefilled from last month; who may open it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from common.periods import month_add
from liaison.selectors import month_before_today
from projects.factories import ProgressReportFactory, ProjectFactory
from projects.models import ProgressReport, ReportStatus, Stage
from projects.reports import (
    ReportData,
    progress_report_approve,
    progress_report_return,
    progress_report_save,
    progress_report_submit,
)

from .conftest import signed_in

pytestmark = pytest.mark.django_db


def page_url(project) -> str:
    return reverse("liaison:project", args=[project.pk])


@pytest.fixture
def reviewed(liaison_a, officer, django_user_model, project_a, due_period):
    """Last month's report, returned once with a comment, corrected, resubmitted and approved by a second officer."""
    second = django_user_model.objects.create_superuser("officer2", "o2@example.org", "pw", is_staff=True)
    period = month_add(due_period, -1)
    start = dt.date.fromisoformat(f"{period}-03")
    data = ReportData(
        stage=Stage.STARTED,
        cumulative_investment=Decimal("40000000.00"),
        month_investment=Decimal("10000000.00"),
        jobs_created=30,
        actual_start_date=start,
        problem_category="land",
        problems="用地指标待落实",
    )
    report = progress_report_save(project=project_a, period=period, data=data, by=liaison_a)
    report = progress_report_submit(report=report, by=liaison_a)
    report = progress_report_return(report=report, by=officer, comment="请补充开工照片")
    report = progress_report_save(project=project_a, period=period, data=data, by=liaison_a)
    report = progress_report_submit(report=report, by=liaison_a)
    return progress_report_approve(report=report, by=second, comment="同意")


class TestAccess:
    def test_the_liaison_of_the_county_sees_it(self, client_a, project_a):
        response = client_a.get(page_url(project_a))

        assert response.status_code == 200
        assert project_a.name in response.content.decode()

    def test_another_countys_liaison_gets_404(self, client_b, project_a, project_b):
        assert client_b.get(page_url(project_a)).status_code == 404
        assert client_b.get(page_url(project_b)).status_code == 200

    @pytest.mark.parametrize("persona", ["officer", "finance", "leader", "norole"])
    def test_other_roles_get_403(self, request, persona, project_a):
        assert signed_in(request.getfixturevalue(persona)).get(page_url(project_a)).status_code == 403

    def test_anonymous_is_sent_to_sign_in(self, anonymous, project_a):
        response = anonymous.get(page_url(project_a))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("liaison:login"))

    def test_the_cards_link_the_page(self, client_a, project_a):
        assert page_url(project_a) in client_a.get(reverse("liaison:projects")).content.decode()


class TestContent:
    def test_plan_against_actual(self, client_a, reviewed, project_a):
        project_a.refresh_from_db()

        response = client_a.get(page_url(project_a))
        body = response.content.decode()

        plan = response.context["plan"]
        assert plan["planned_investment"] == Decimal("150000000.00")
        assert plan["completed_investment"] == Decimal("40000000.00")
        assert plan["share"] == 26
        assert [state for _label, state in plan["steps"]] == ["done", "done", "current", "todo", "todo"]
        assert 'aria-current="step"' in body
        assert "15000.00 万元" in body and "4000.00 万元" in body
        assert project_a.actual_start_date.isoformat() in body
        assert "2025-06-01" in body  # the planned start

    def test_the_stage_history(self, client_a, reviewed, project_a):
        body = client_a.get(page_url(project_a)).content.decode()

        assert 'id="stage-history"' in body
        history = body[body.index('id="stage-history"') :]
        assert "Signed → Under construction" in history

    def test_each_report_with_its_review_as_a_thread(self, client_a, reviewed, project_a):
        response = client_a.get(page_url(project_a))

        (thread,) = response.context["threads"]
        steps = [(entry.status, entry.comment) for entry in thread.entries]
        assert steps == [
            (ReportStatus.DRAFT, ""),
            (ReportStatus.SUBMITTED, ""),
            (ReportStatus.RETURNED, "请补充开工照片"),
            (ReportStatus.SUBMITTED, ""),
            (ReportStatus.APPROVED, "同意"),
        ]
        assert [entry.by for entry in thread.entries] == ["liaison_a", "liaison_a", "officer", "liaison_a", "officer2"]
        body = response.content.decode()
        assert body.index("请补充开工照片") < body.index("同意")

    def test_the_thread_takes_two_queries_whatever_the_reports(
        self, client_a, project_a, due_period, django_assert_max_num_queries
    ):
        for back in range(1, 6):
            ProgressReportFactory(project=project_a, period=month_add(due_period, -back))
        from liaison.selectors import report_threads

        with django_assert_max_num_queries(2):
            assert len(report_threads(project_a)) == 5

    def test_a_comment_is_escaped(self, client_a, liaison_a, officer, project_a, due_period):
        data = ReportData(stage=Stage.SIGNED, cumulative_investment=Decimal(1), month_investment=Decimal(1))
        report = progress_report_submit(
            report=progress_report_save(project=project_a, period=due_period, data=data, by=liaison_a), by=liaison_a
        )
        progress_report_return(report=report, by=officer, comment="<script>alert(1)</script>")

        body = client_a.get(page_url(project_a)).content.decode()

        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


class TestMonthFormPrefilled:
    def test_a_new_report_starts_from_last_months(self, client_a, reviewed, project_a, due_period):
        response = client_a.get(reverse("liaison:report", args=[project_a.pk, due_period]))

        form = response.context["form"]
        assert form["stage"].value() == Stage.STARTED
        assert form["cumulative_investment"].value() == "4000.00"  # 万元
        assert form["actual_start_date"].value() == reviewed.actual_start_date
        assert form["problem_category"].value() == "land"
        assert form["problems"].value() == "用地指标待落实"
        assert form["month_investment"].value() in (None, "")  # this month's figure is typed
        assert form["jobs_created"].value() in (None, "")
        assert form["version"].value() == 0
        assert 'id="last-month"' in response.content.decode()

    def test_only_what_changed_is_typed(self, client_a, reviewed, project_a, due_period):
        """The prefilled values posted back as they are, with this month's investment typed: a valid draft."""
        url = reverse("liaison:report", args=[project_a.pk, due_period])
        form = client_a.get(url).context["form"]
        data = {name: form[name].value() for name in form.fields if name != "attachments"}
        data = {name: ("" if value is None else str(value)) for name, value in data.items()}
        data["cumulative_investment"] = "4500"
        data["month_investment"] = "500"

        response = client_a.post(url, {**data, "save": "1"})

        assert response.status_code == 302, response.context["form"].errors
        report = ProgressReport.objects.get(project=project_a, period=due_period)
        assert report.stage == Stage.STARTED
        assert report.problems == "用地指标待落实"
        assert report.month_investment == Decimal("5000000.00")

    def test_a_project_further_on_than_its_last_report_keeps_its_own_stage(self, client_a, pairing_a, today):
        project = ProjectFactory(
            pairing=pairing_a,
            signed_date=today - dt.timedelta(days=400),
            stage=Stage.STARTED,
            actual_start_date=today - dt.timedelta(days=100),
            completed_investment=Decimal("5000000.00"),
        )

        period = month_before_today(today)
        ProgressReportFactory(
            project=project,
            period=month_add(period, -2),
            stage=Stage.SIGNED,
            cumulative_investment=Decimal(100),
            month_investment=Decimal(100),
        )

        form = client_a.get(reverse("liaison:report", args=[project.pk, period])).context["form"]

        assert form["stage"].value() == Stage.STARTED
        assert form["cumulative_investment"].value() == "500.00"
