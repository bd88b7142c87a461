"""Reminders to county liaisons: due soon and overdue, one email per liaison listing their projects, each sent once.

The project reports monthly from February 2025; its reports up to 2025-08 are in, so the report of 2025-09 (due
5 October) is the one reminded about: "due" from 2 October, "overdue" from 6 October.
"""

from __future__ import annotations

import datetime as dt
from smtplib import SMTPException
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

from projects.factories import ProgressReportFactory, ProjectFactory
from projects.models import Health, Project, ReminderKind, ReportReminder, ReportStatus, Stage, WarningRules
from projects.tasks import report_reminders_task
from projects.warnings import reminders as warnings_module  # where the email is sent from
from projects.warnings import reminders_send

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE_SOON = dt.date(2025, 10, 2)  # three days before 5 October
OVERDUE = dt.date(2025, 10, 6)


def submit(project: Project, *periods: str) -> None:
    when = dt.datetime(2025, 10, 1, 9, tzinfo=SHANGHAI)
    for period in periods:
        ProgressReportFactory(
            project=project, period=period, status=ReportStatus.SUBMITTED, submitted_at=when, first_submitted_at=when
        )


def started_project(pairing, code: str, **values) -> Project:
    defaults = {
        "stage": Stage.STARTED,
        "signed_date": dt.date(2025, 1, 10),
        "actual_start_date": dt.date(2025, 2, 1),
        "planned_start_date": None,
        "planned_production_date": None,
    }
    project = ProjectFactory(pairing=pairing, code=code, **{**defaults, **values})
    submit(project, "2025-06", "2025-07", "2025-08")
    return project


@pytest.fixture
def project_a(pairing_a) -> Project:
    return started_project(pairing_a, "TEZ-001", name="台儿庄新能源装备项目")


@pytest.fixture
def project_b(pairing_b) -> Project:
    return started_project(pairing_b, "MY-001", name="蒙阴钻机产业园项目")


def recipients() -> list[list[str]]:
    return [message.to for message in mail.outbox]


class TestWhenReminded:
    def test_due_within_three_days_the_liaison_is_reminded_once(self, project_a, liaison_a):
        assert reminders_send(today=DUE_SOON) == 1
        assert reminders_send(today=DUE_SOON) == 0
        assert reminders_send(today=DUE_SOON + dt.timedelta(days=1)) == 0

        assert recipients() == [["a@example.org"]]
        assert "TEZ-001" in mail.outbox[0].body and "2025-09" in mail.outbox[0].body
        assert "2025-10-05" in mail.outbox[0].body
        reminder = ReportReminder.objects.get()
        assert (reminder.project, reminder.period, reminder.kind, reminder.recipient) == (
            project_a,
            "2025-09",
            ReminderKind.DUE,
            liaison_a,
        )

    def test_four_days_before_the_due_day_nobody_is_reminded(self, project_a, liaison_a):
        assert reminders_send(today=dt.date(2025, 10, 1)) == 0
        assert mail.outbox == []

    def test_overdue_the_liaison_is_reminded_once_more(self, project_a, liaison_a):
        reminders_send(today=DUE_SOON)

        assert reminders_send(today=OVERDUE) == 1
        assert reminders_send(today=OVERDUE + dt.timedelta(days=3)) == 0

        assert len(mail.outbox) == 2
        assert "尚未提交" in mail.outbox[1].body  # overdue, in Chinese
        assert sorted(ReportReminder.objects.values_list("kind", flat=True)) == [
            ReminderKind.DUE,
            ReminderKind.OVERDUE,
        ]

    def test_a_submitted_report_needs_no_reminder(self, project_a, liaison_a):
        submit(project_a, "2025-09")

        assert reminders_send(today=DUE_SOON) == 0
        assert reminders_send(today=OVERDUE) == 0

    def test_a_draft_is_not_a_submitted_report(self, project_a, liaison_a):
        ProgressReportFactory(project=project_a, period="2025-09", status=ReportStatus.DRAFT)

        assert reminders_send(today=OVERDUE) == 1

    def test_terminated_and_pipeline_projects_are_not_reminded_about(self, pairing_a, liaison_a):
        started_project(pairing_a, "TERM-1", health=Health.TERMINATED)
        ProjectFactory(pairing=pairing_a, code="PIPE-1", stage=Stage.PIPELINE, signed_date=None)

        assert reminders_send(today=OVERDUE) == 0

    def test_the_programs_rules_set_the_due_day_and_the_notice(self, program, project_a, liaison_a):
        WarningRules.objects.create(program=program, report_due_day=10, reminder_days_before_due=7)

        assert reminders_send(today=dt.date(2025, 10, 2)) == 0  # 8 days before 10 October
        assert reminders_send(today=dt.date(2025, 10, 3)) == 1
        assert "2025-10-10" in mail.outbox[0].body


class TestWhoIsReminded:
    def test_only_the_liaison_of_the_projects_county(self, project_a, project_b, liaison_a, liaison_b):
        reminders_send(today=DUE_SOON)

        by_recipient = {message.to[0]: message.body for message in mail.outbox}
        assert set(by_recipient) == {"a@example.org", "b@example.org"}
        assert "TEZ-001" in by_recipient["a@example.org"] and "MY-001" not in by_recipient["a@example.org"]
        assert "MY-001" in by_recipient["b@example.org"] and "TEZ-001" not in by_recipient["b@example.org"]

    def test_one_email_per_liaison_listing_their_projects(self, pairing_a, project_a, liaison_a):
        started_project(pairing_a, "TEZ-002")

        assert reminders_send(today=DUE_SOON) == 1

        assert "TEZ-001" in mail.outbox[0].body and "TEZ-002" in mail.outbox[0].body
        assert "2" in mail.outbox[0].subject
        assert ReportReminder.objects.count() == 2

    def test_every_liaison_of_the_county_gets_their_own(self, django_user_model, pairing_a, project_a, liaison_a):
        from accounts.services import user_set_role

        second = django_user_model.objects.create_user("liaison_a2", "a2@example.org", "pw")
        user_set_role(user=second, role="liaison", county=pairing_a.weak_county)

        assert reminders_send(today=DUE_SOON) == 2
        assert sorted(recipients()) == [["a2@example.org"], ["a@example.org"]]

    def test_a_liaison_without_an_email_address_is_reminded_once_they_have_one(self, project_a, liaison_a):
        liaison_a.email = ""
        liaison_a.save()
        assert reminders_send(today=DUE_SOON) == 0
        assert not ReportReminder.objects.exists()

        liaison_a.email = "a@example.org"
        liaison_a.save()
        assert reminders_send(today=DUE_SOON) == 1

    def test_officers_and_other_roles_are_not_reminded(self, project_a, officer, finance, leader):
        assert reminders_send(today=DUE_SOON) == 0


class TestSentOnce:
    def test_a_refused_email_is_not_recorded_and_is_tried_again(self, monkeypatch, project_a, liaison_a):
        def refuse(*args, **kwargs):
            raise SMTPException("mail server down")

        monkeypatch.setattr(warnings_module, "send_mail", refuse)
        assert reminders_send(today=DUE_SOON) == 0
        assert not ReportReminder.objects.exists()

        monkeypatch.undo()
        assert reminders_send(today=DUE_SOON) == 1

    def test_the_database_refuses_a_second_record_of_the_same_reminder(self, project_a, liaison_a):
        ReportReminder.objects.create(project=project_a, period="2025-09", kind=ReminderKind.DUE, recipient=liaison_a)

        with pytest.raises(IntegrityError):
            ReportReminder.objects.create(
                project=project_a, period="2025-09", kind=ReminderKind.DUE, recipient=liaison_a
            )

    def test_the_task_run_twice_sends_nothing_the_second_time(self, program, pairing_a, liaison_a):
        # With the report due on the 28th and a 28-day notice, last month's report is due soon or overdue today,
        # whatever today is.
        WarningRules.objects.create(program=program, report_due_day=28, reminder_days_before_due=28)
        ProjectFactory(
            pairing=pairing_a,
            code="TEZ-TASK",
            stage=Stage.STARTED,
            signed_date=dt.date(2024, 1, 10),
            actual_start_date=dt.date(2024, 2, 1),
        )

        first = report_reminders_task.delay().get(timeout=5)
        second = report_reminders_task.delay().get(timeout=5)

        assert (first, second) == (1, 0)
        assert len(mail.outbox) == 1
        last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        assert last_month in set(ReportReminder.objects.values_list("period", flat=True))
