"""The warnings admin: rules per program, read-only warnings, history and reminders, the refresh button and
action, and the reporting-rates page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from projects.factories import ProgressReportFactory, ProjectFactory
from projects.models import (
    ProjectWarning,
    ReminderKind,
    ReportReminder,
    ReportStatus,
    Stage,
    WarningChange,
    WarningColour,
    WarningRules,
)
from projects.warnings import warnings_refresh

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:projects_projectwarning_changelist"


def english(client):
    # The assertions read the English source strings, whatever the translations say.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return english(client)


@pytest.fixture
def leader_client(client, leader):
    client.force_login(leader)
    return english(client)


@pytest.fixture
def red(pairing_a):
    return ProjectFactory(
        pairing=pairing_a,
        code="TEZ-RED",
        signed_date=dt.date(2025, 3, 15),
        planned_start_date=None,
        planned_production_date=None,
    )


class TestPages:
    def test_every_page_opens_for_the_officer(self, officer_client, red, liaison_a, program):
        warnings_refresh(today=dt.date(2025, 10, 20))
        warning = ProjectWarning.objects.get()
        change = WarningChange.objects.get()
        reminder = ReportReminder.objects.create(
            project=red, period="2025-09", kind=ReminderKind.DUE, recipient=liaison_a
        )
        rules = WarningRules.objects.create(program=program)

        pages = [
            reverse(CHANGELIST),
            reverse(CHANGELIST) + "?colour=red",
            reverse("admin:projects_projectwarning_change", args=[warning.pk]),
            reverse("admin:projects_warningchange_changelist"),
            reverse("admin:projects_warningchange_change", args=[change.pk]),
            reverse("admin:projects_reportreminder_changelist"),
            reverse("admin:projects_reportreminder_change", args=[reminder.pk]),
            reverse("admin:projects_warningrules_changelist"),
            reverse("admin:projects_warningrules_change", args=[rules.pk]),
            reverse("admin:projects_projectwarning_reporting_rates"),
        ]
        for page in pages:
            assert officer_client.get(page).status_code == 200, page

    def test_the_list_shows_the_colour_and_the_reasons(self, officer_client, red):
        warnings_refresh(today=dt.date(2025, 10, 20))

        page = officer_client.get(reverse(CHANGELIST)).content.decode()

        assert "TEZ-RED" in page and "warning-red" in page
        assert "2025-03-15" in page  # the reason's text
        assert "Refresh warnings now" in page

    def test_warnings_history_and_reminders_are_not_edited_here(self, officer_client):
        for model in ("projectwarning", "warningchange", "reportreminder"):
            assert officer_client.get(reverse(f"admin:projects_{model}_add")).status_code == 403


class TestRules:
    def test_a_program_gets_its_own_rules(self, officer_client, program):
        response = officer_client.post(
            reverse("admin:projects_warningrules_add"),
            {
                "program": program.pk,
                "red_signed_not_started_months": 5,
                "yellow_signed_not_started_months": 3,
                "red_overdue_reports": 2,
                "yellow_overdue_reports": 1,
                "red_production_late_months": 3,
                "yellow_investment_behind_pct": 20,
                "report_due_day": 10,
                "reminder_days_before_due": 3,
            },
        )

        assert response.status_code == 302
        assert WarningRules.objects.get(program=program).report_due_day == 10

    def test_yellow_after_red_is_refused(self, officer_client, program):
        response = officer_client.post(
            reverse("admin:projects_warningrules_add"),
            {
                "program": program.pk,
                "red_signed_not_started_months": 4,
                "yellow_signed_not_started_months": 6,
                "red_overdue_reports": 2,
                "yellow_overdue_reports": 1,
                "red_production_late_months": 3,
                "yellow_investment_behind_pct": 20,
                "report_due_day": 5,
                "reminder_days_before_due": 3,
            },
        )

        assert response.status_code == 200
        assert not WarningRules.objects.exists()


class TestRefresh:
    def test_the_button_refreshes_every_program(self, officer_client, red):
        response = officer_client.post(reverse("admin:projects_projectwarning_refresh"), follow=True)

        assert response.status_code == 200
        assert ProjectWarning.objects.get().colour == WarningColour.RED
        assert "1 projects checked" in response.content.decode()

    def test_the_button_only_posts(self, officer_client, red):
        assert officer_client.get(reverse("admin:projects_projectwarning_refresh")).status_code == 405
        assert not ProjectWarning.objects.exists()

    def test_the_action_refreshes_the_programs_of_the_selected_rows(self, officer_client, red):
        warnings_refresh(today=dt.date(2025, 1, 1))  # before signing: blue
        warning = ProjectWarning.objects.get()
        assert warning.colour == WarningColour.BLUE

        response = officer_client.post(
            reverse(CHANGELIST), {"action": "refresh_warnings", "_selected_action": [warning.pk]}
        )

        assert response.status_code == 302
        assert ProjectWarning.objects.get().colour == WarningColour.RED
        assert WarningChange.objects.count() == 2

    def test_a_leader_reads_but_does_not_refresh(self, leader_client, red):
        warnings_refresh(today=dt.date(2025, 1, 1))

        page = leader_client.get(reverse(CHANGELIST))
        refresh = leader_client.post(reverse("admin:projects_projectwarning_refresh"))

        assert page.status_code == 200
        assert "Refresh warnings now" not in page.content.decode()
        assert refresh.status_code == 403
        assert ProjectWarning.objects.get().colour == WarningColour.BLUE


def test_the_reporting_rates_page_shows_each_county(officer_client, pairing_a):
    p = ProjectFactory(
        pairing=pairing_a, stage=Stage.STARTED, signed_date=dt.date(2025, 1, 10), actual_start_date=dt.date(2025, 2, 1)
    )
    ProjectFactory(
        pairing=pairing_a, stage=Stage.STARTED, signed_date=dt.date(2025, 1, 10), actual_start_date=dt.date(2025, 2, 1)
    )
    when = dt.datetime(2025, 10, 3, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    ProgressReportFactory(
        project=p, period="2025-09", status=ReportStatus.SUBMITTED, submitted_at=when, first_submitted_at=when
    )

    response = officer_client.get(
        reverse("admin:projects_projectwarning_reporting_rates"), {"program": "sd-test", "period": "2025-09"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert pairing_a.weak_county.name in page
    assert "50.0%" in page  # one of two reports, on time
    assert "2025-10-05" in page
