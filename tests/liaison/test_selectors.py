"""The reporting calendar on the cards: the month to report is the previous one, due on the program's due day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from liaison.selectors import ReportState, month_before_today, project_cards
from projects.factories import ProgressReportFactory, ProjectFactory
from projects.models import ClosedPeriod, ReportStatus, Stage, WarningRules

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(pairing_a):
    return ProjectFactory(pairing=pairing_a, code="TEZ-001", signed_date=dt.date(2025, 3, 15))


def card_on(day: dt.date, county: str = "370405"):
    (card,) = project_cards(county=county, today=day)
    return card


@pytest.mark.parametrize(
    ("today", "period"),
    [(dt.date(2025, 11, 20), "2025-10"), (dt.date(2026, 1, 3), "2025-12"), (dt.date(2024, 3, 1), "2024-02")],
)
def test_the_month_to_report_is_the_previous_calendar_month(today, period):
    assert month_before_today(today) == period


def test_due_in_days_until_the_fifth_then_overdue(project):
    due = card_on(dt.date(2025, 11, 2))
    assert (due.month.period, due.month.due, due.state, due.days) == ("2025-10", dt.date(2025, 11, 5), "due", 3)

    on_the_day = card_on(dt.date(2025, 11, 5))
    assert (on_the_day.state, on_the_day.days) == (ReportState.DUE, 0)

    late = card_on(dt.date(2025, 11, 20))
    assert (late.state, late.days) == (ReportState.OVERDUE, 15)


def test_the_programs_due_day_is_used(project):
    WarningRules.objects.create(program=project.pairing.program, report_due_day=25)

    card = card_on(dt.date(2025, 11, 20))

    assert (card.month.due, card.state, card.days) == (dt.date(2025, 11, 25), ReportState.DUE, 5)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (ReportStatus.DRAFT, ReportState.OVERDUE),
        (ReportStatus.SUBMITTED, ReportState.SUBMITTED),
        (ReportStatus.RETURNED, ReportState.RETURNED),
        (ReportStatus.APPROVED, ReportState.APPROVED),
    ],
)
def test_the_months_report_decides_the_state(project, status, state):
    recorded = {}
    if status != ReportStatus.DRAFT:
        now = timezone.now()
        recorded = {"submitted_at": now, "first_submitted_at": now, "reviewed_at": now, "review_comment": "请核对"}
    ProgressReportFactory(project=project, period="2025-10", status=status, **recorded)

    card = card_on(dt.date(2025, 11, 20))

    assert card.state == state
    assert card.report.status == status


@pytest.mark.parametrize(
    ("signed", "stage"),
    [
        (dt.date(2025, 11, 3), Stage.SIGNED),  # signed after the month
        (dt.date(2025, 10, 3), Stage.SIGNED),  # the first month owed is the first full one after signing
        (None, Stage.PIPELINE),  # pipeline projects report nothing
    ],
)
def test_a_project_that_owes_no_report_for_the_month(pairing_a, signed, stage):
    ProjectFactory(pairing=pairing_a, signed_date=signed, stage=stage)

    assert card_on(dt.date(2025, 11, 20)).state == ReportState.NOT_DUE


def test_a_closed_month_without_a_report(project):
    ClosedPeriod.objects.create(program=project.pairing.program, period="2025-10")

    assert card_on(dt.date(2025, 11, 20)).state == ReportState.CLOSED


def test_only_the_countys_projects(project, pairing_b):
    ProjectFactory(pairing=pairing_b)

    assert [card.project for card in project_cards(county="370405", today=dt.date(2025, 11, 20))] == [project]
