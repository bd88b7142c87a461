"""The red / yellow / blue classification, the daily refresh that stores it, and the reporting rates.

Dates are fixed: "today" is 20 October 2025 unless a test says otherwise, so the report of 2025-09 (due 5 October)
is the latest one that can be overdue.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from pairing.factories import PairingFactory, ProgramFactory
from projects.factories import ProgressReportFactory, ProjectFactory
from projects.models import (
    Health,
    Project,
    ProjectWarning,
    ReportStatus,
    Stage,
    WarningChange,
    WarningColour,
    WarningRules,
)
from projects.tasks import warnings_refresh_task
from projects.warnings import (
    add_months,
    classify,
    expected_periods,
    last_overdue_period,
    overdue_periods,
    owes_report,
    periods_text,
    report_due_date,
    reporting_rates,
    reporting_rates_total,
    warning_rules_for,
    warnings_refresh,
    whole_months_between,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 10, 20)
SHANGHAI = ZoneInfo("Asia/Shanghai")
RED, YELLOW, BLUE = WarningColour.RED, WarningColour.YELLOW, WarningColour.BLUE


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def submitted(period: str, on: dt.date | None = None) -> SimpleNamespace:
    """A report of ``period`` as ``classify`` reads it: submitted on ``on`` (or never, when None)."""
    return SimpleNamespace(period=period, first_submitted_at=at(on) if on else None)


def all_submitted(first: str, last: str) -> list[SimpleNamespace]:
    periods, period = [], first
    while period <= last:
        periods.append(submitted(period, dt.date(2025, 10, 1)))
        year, month = (int(p) for p in period.split("-"))
        period = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return periods


def project(pairing, **values) -> Project:
    """An unsaved project of ``pairing``: signed, with no planned dates unless given (no rule applies by default)."""
    defaults = {
        "code": "T-1",
        "name": "测试项目",
        "pairing": pairing,
        "county": pairing.weak_county,
        "stage": Stage.SIGNED,
        "signed_date": dt.date(2025, 9, 1),
        "planned_investment": Decimal("100000000.00"),
        "completed_investment": Decimal("0.00"),
    }
    return Project(**{**defaults, **values})


def started(pairing, signed: dt.date = dt.date(2025, 1, 10), **values) -> Project:
    return project(pairing, stage=Stage.STARTED, signed_date=signed, actual_start_date=signed, **values)


@pytest.fixture
def rules(program) -> WarningRules:
    return warning_rules_for(program)


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def run(p: Project, rules: WarningRules, reports=(), today: dt.date = TODAY):
    return classify(p, rules=rules, today=today, reports=list(reports))


# --- Calendar ------------------------------------------------------------------------------------------------------


class TestCalendar:
    def test_months_are_added_day_for_day_and_clamped_at_month_end(self):
        assert add_months(dt.date(2025, 3, 15), 6) == dt.date(2025, 9, 15)
        assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
        assert add_months(dt.date(2024, 11, 30), 3) == dt.date(2025, 2, 28)

    def test_whole_months(self):
        assert whole_months_between(dt.date(2025, 3, 15), dt.date(2025, 10, 14)) == 6
        assert whole_months_between(dt.date(2025, 3, 15), dt.date(2025, 10, 15)) == 7
        assert whole_months_between(dt.date(2025, 10, 15), dt.date(2025, 3, 15)) == 0

    def test_a_report_is_due_by_the_due_day_of_the_following_month(self):
        assert report_due_date("2025-09", due_day=5) == dt.date(2025, 10, 5)
        assert report_due_date("2025-12", due_day=5) == dt.date(2026, 1, 5)

    def test_the_latest_month_that_can_be_overdue(self):
        assert last_overdue_period(dt.date(2025, 10, 5), due_day=5) == "2025-08"
        assert last_overdue_period(dt.date(2025, 10, 6), due_day=5) == "2025-09"
        assert last_overdue_period(dt.date(2026, 1, 6), due_day=5) == "2025-12"


@pytest.mark.usefixtures("english")
def test_three_or_more_consecutive_months_read_as_a_range():
    periods = ["2025-11", "2025-12", "2026-01", "2026-03", "2026-05", "2026-06"]

    assert periods_text(periods) == "2025-11 to 2026-01, 2026-03, 2026-05, 2026-06"


class TestRules:
    def test_defaults_when_the_program_has_none_are_unsaved(self, program):
        rules = warning_rules_for(program)

        assert rules.pk is None
        assert (rules.red_signed_not_started_months, rules.yellow_signed_not_started_months) == (6, 4)
        assert (rules.red_overdue_reports, rules.yellow_overdue_reports) == (2, 1)
        assert (rules.red_production_late_months, rules.yellow_investment_behind_pct) == (3, 20)
        assert (rules.report_due_day, rules.reminder_days_before_due) == (5, 3)
        assert not WarningRules.objects.exists()

    def test_the_programs_own_rules(self, program):
        saved = WarningRules.objects.create(program=program, red_signed_not_started_months=5)

        assert warning_rules_for(program) == saved


# --- Which reports are expected and which are overdue ---------------------------------------------------------------


class TestExpectedReports:
    def test_monthly_from_the_month_after_signing(self, pairing_a):
        p = started(pairing_a, signed=dt.date(2025, 1, 10))

        assert expected_periods(p, through="2025-04") == ["2025-02", "2025-03", "2025-04"]

    def test_not_before_the_program_started(self, pairing_a):
        p = started(pairing_a, signed=dt.date(2024, 1, 10))  # the program started in September 2024

        assert expected_periods(p, through="2024-10") == ["2024-09", "2024-10"]

    def test_not_after_the_program_ended(self, pairing_a):
        program = pairing_a.program
        program.end_date = dt.date(2025, 3, 31)
        p = started(pairing_a, signed=dt.date(2025, 1, 10))

        assert expected_periods(p, through="2025-09") == ["2025-02", "2025-03"]

    def test_pipeline_projects_report_nothing(self, pairing_a):
        p = project(pairing_a, stage=Stage.PIPELINE, signed_date=None)

        assert expected_periods(p, through="2025-09") == []

    def test_owing_one_months_report_is_that_month_among_the_expected_ones(self):
        """``owes_report`` (the reporting rates, from values) answers as ``expected_periods`` lists, on every
        combination of stage, signing before, in and after the program, an open or ended program and a month
        before, at and after each edge."""
        programs = [
            SimpleNamespace(start_date=dt.date(2024, 9, 1), end_date=None),
            SimpleNamespace(start_date=dt.date(2024, 9, 15), end_date=dt.date(2025, 3, 31)),
            SimpleNamespace(start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 1, 31)),
        ]
        signings = [None, dt.date(2023, 12, 31), dt.date(2024, 8, 1), dt.date(2024, 9, 30), dt.date(2025, 2, 28)]
        months = [f"{year}-{month:02d}" for year in (2024, 2025) for month in range(1, 13)]
        checked = owed = 0
        for program in programs:
            for stage in Stage.values:
                for signed in signings:
                    p = SimpleNamespace(stage=stage, signed_date=signed, pairing=SimpleNamespace(program=program))
                    for month in months:
                        expected = month in expected_periods(p, through=month)
                        answer = owes_report(
                            stage=stage,
                            signed_date=signed,
                            program_start=program.start_date,
                            program_end=program.end_date,
                            period=month,
                        )
                        assert answer == expected, (program, stage, signed, month)
                        checked += 1
                        owed += expected
        assert checked == 3 * len(Stage.values) * 5 * 24 and 0 < owed < checked

    def test_overdue_after_the_due_day_without_a_submitted_report(self, pairing_a, rules):
        p = started(pairing_a, signed=dt.date(2025, 7, 10))  # reports from 2025-08
        reports = [submitted("2025-08", dt.date(2025, 9, 3))]

        assert overdue_periods(p, rules=rules, today=dt.date(2025, 10, 5), reports=reports) == []
        assert overdue_periods(p, rules=rules, today=dt.date(2025, 10, 6), reports=reports) == ["2025-09"]

    def test_a_draft_is_not_submitted_but_a_returned_report_was(self, pairing_a, rules):
        p = started(pairing_a, signed=dt.date(2025, 7, 10))
        reports = [submitted("2025-08", None), submitted("2025-09", dt.date(2025, 10, 9))]  # draft; late, returned

        assert overdue_periods(p, rules=rules, today=TODAY, reports=reports) == ["2025-08"]


# --- Classification ------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("english")
class TestSignedNotStarted:
    def test_signed_seven_months_ago_and_not_started_is_red_with_that_reason(self, pairing_a, rules):
        p = project(pairing_a, signed_date=dt.date(2025, 3, 15))

        colour, reasons = run(p, rules, all_submitted("2025-04", "2025-09"))

        assert colour == RED
        assert reasons == [
            {
                "code": "signed_not_started",
                "text": "Signed 7 months ago (2025-03-15) and not yet under construction.",
            }
        ]

    @pytest.mark.parametrize(
        ("signed", "expected"),
        [
            (dt.date(2025, 4, 19), RED),  # 6 months and a day
            (dt.date(2025, 4, 20), YELLOW),  # exactly 6 months: not more than 6
            (dt.date(2025, 5, 15), YELLOW),  # 5 months
            (dt.date(2025, 6, 19), YELLOW),  # 4 months and a day
            (dt.date(2025, 6, 20), BLUE),  # exactly 4 months
        ],
    )
    def test_thresholds(self, pairing_a, rules, signed, expected):
        p = project(pairing_a, signed_date=signed)

        colour, _reasons = run(p, rules, all_submitted("2025-04", "2025-09"))

        assert colour == expected

    def test_four_to_six_months_is_yellow_with_the_months(self, pairing_a, rules):
        p = project(pairing_a, signed_date=dt.date(2025, 5, 15))

        assert run(p, rules, all_submitted("2025-06", "2025-09")) == (
            YELLOW,
            [
                {
                    "code": "signed_not_started",
                    "text": "Signed 5 months ago (2025-05-15) and not yet under construction.",
                }
            ],
        )

    def test_a_started_project_is_not_caught_by_this_rule(self, pairing_a, rules):
        p = started(pairing_a, signed=dt.date(2024, 12, 1))

        assert run(p, rules, all_submitted("2025-01", "2025-09"))[0] == BLUE

    def test_the_programs_thresholds_apply(self, program, pairing_a):
        rules = WarningRules(program=program, red_signed_not_started_months=3, yellow_signed_not_started_months=2)
        p = project(pairing_a, signed_date=dt.date(2025, 6, 15))

        assert run(p, rules, all_submitted("2025-07", "2025-09"))[0] == RED


@pytest.mark.usefixtures("english")
class TestOverdueReports:
    def test_one_overdue_report_is_yellow(self, pairing_a, rules):
        p = started(pairing_a)

        colour, reasons = run(p, rules, all_submitted("2025-02", "2025-08"))

        assert (colour, reasons) == (
            YELLOW,
            [{"code": "reports_overdue", "text": "1 monthly report overdue: 2025-09."}],
        )

    def test_two_overdue_reports_are_red(self, pairing_a, rules):
        p = started(pairing_a)

        colour, reasons = run(p, rules, all_submitted("2025-02", "2025-07"))

        assert colour == RED
        assert reasons == [{"code": "reports_overdue", "text": "2 monthly reports overdue: 2025-08, 2025-09."}]

    def test_a_report_is_not_overdue_on_its_due_day(self, pairing_a, rules):
        p = started(pairing_a)

        assert run(p, rules, all_submitted("2025-02", "2025-08"), today=dt.date(2025, 10, 5))[0] == BLUE
        assert run(p, rules, all_submitted("2025-02", "2025-08"), today=dt.date(2025, 10, 6))[0] == YELLOW

    def test_a_late_report_is_no_longer_overdue(self, pairing_a, rules):
        p = started(pairing_a)
        reports = [*all_submitted("2025-02", "2025-08"), submitted("2025-09", dt.date(2025, 10, 19))]

        assert run(p, rules, reports)[0] == BLUE

    def test_the_due_day_comes_from_the_rules(self, program, pairing_a):
        rules = WarningRules(program=program, report_due_day=25)
        p = started(pairing_a)

        assert run(p, rules, all_submitted("2025-02", "2025-08"))[0] == BLUE  # 2025-09 is due on 25 October


@pytest.mark.usefixtures("english")
class TestProductionLate:
    def test_planned_production_passed_by_more_than_three_months_is_red(self, pairing_a, rules):
        p = started(pairing_a, planned_production_date=dt.date(2025, 6, 30))

        colour, reasons = run(p, rules, all_submitted("2025-02", "2025-09"))

        assert colour == RED
        assert reasons == [
            {
                "code": "production_late",
                "text": "Planned production date 2025-06-30 passed 3 months ago and not yet in production.",
            }
        ]

    def test_three_months_exactly_is_not_late_yet(self, pairing_a, rules):
        p = started(pairing_a, planned_production_date=dt.date(2025, 7, 20))

        assert run(p, rules, all_submitted("2025-02", "2025-09"))[0] == BLUE

    def test_a_producing_project_is_not_late(self, pairing_a, rules):
        p = started(pairing_a, planned_production_date=dt.date(2025, 3, 1))
        p.stage, p.actual_production_date = Stage.PRODUCING, dt.date(2025, 9, 1)

        assert run(p, rules, all_submitted("2025-02", "2025-09"))[0] == BLUE


@pytest.mark.usefixtures("english")
class TestInvestmentBehindPlan:
    """Planned start 2025-01-01, production 2026-01-01: on 20 October 292 of 365 days are gone, 80% expected."""

    def plan(self, pairing, completed: str) -> Project:
        return started(
            pairing,
            planned_start_date=dt.date(2025, 1, 1),
            planned_production_date=dt.date(2026, 1, 1),
            planned_investment=Decimal("100000000.00"),
            completed_investment=Decimal(completed),
        )

    def test_more_than_twenty_points_behind_is_yellow(self, pairing_a, rules):
        colour, reasons = run(self.plan(pairing_a, "50000000.00"), rules, all_submitted("2025-02", "2025-09"))

        assert colour == YELLOW
        assert reasons == [
            {
                "code": "investment_behind",
                "text": "Completed investment is 50.0% of plan against 80.0% expected by now (30.0 points behind).",
            }
        ]

    @pytest.mark.parametrize("completed", ["60000000.00", "60000000.01", "100000000.00"])
    def test_twenty_points_or_less_is_on_track(self, pairing_a, rules, completed):
        assert run(self.plan(pairing_a, completed), rules, all_submitted("2025-02", "2025-09"))[0] == BLUE

    def test_nothing_is_expected_before_the_planned_start(self, pairing_a, rules):
        p = self.plan(pairing_a, "0.00")
        p.planned_start_date = dt.date(2025, 11, 1)

        assert run(p, rules, all_submitted("2025-02", "2025-09"))[0] == BLUE

    def test_without_planned_dates_there_is_no_plan_to_be_behind(self, pairing_a, rules):
        p = self.plan(pairing_a, "0.00")
        p.planned_start_date = None

        assert run(p, rules, all_submitted("2025-02", "2025-09"))[0] == BLUE


@pytest.mark.usefixtures("english")
class TestOnTrackAndSeveralReasons:
    def test_on_track_is_blue(self, pairing_a, rules):
        assert run(started(pairing_a), rules, all_submitted("2025-02", "2025-09")) == (
            BLUE,
            [{"code": "on_track", "text": "On track."}],
        )

    def test_a_pipeline_project_is_blue(self, pairing_a, rules):
        assert run(project(pairing_a, stage=Stage.PIPELINE, signed_date=None), rules)[0] == BLUE

    def test_every_reason_is_listed_worst_first(self, pairing_a, rules):
        p = project(
            pairing_a,
            signed_date=dt.date(2025, 5, 15),  # yellow: 5 months, not started
            planned_start_date=dt.date(2025, 6, 1),
            planned_production_date=dt.date(2025, 7, 1),  # red: production 3 months and more late
        )

        colour, reasons = run(p, rules, [submitted("2025-06", dt.date(2025, 7, 1))])  # red: 07, 08, 09 overdue

        assert colour == RED
        assert [r["code"] for r in reasons] == [
            "reports_overdue",
            "production_late",
            "signed_not_started",
            "investment_behind",
        ]
        assert reasons[0]["text"] == "3 monthly reports overdue: 2025-07 to 2025-09."
        assert reasons[3]["text"] == (
            "Completed investment is 0.0% of plan against 100.0% expected by now (100.0 points behind)."
        )


# --- The refresh ---------------------------------------------------------------------------------------------------


def submit(project: Project, *periods: str, on: dt.date = dt.date(2025, 10, 1)) -> None:
    for period in periods:
        ProgressReportFactory(
            project=project,
            period=period,
            status=ReportStatus.SUBMITTED,
            submitted_at=at(on),
            first_submitted_at=at(on),
        )


def months(first: str, last: str) -> list[str]:
    return [r.period for r in all_submitted(first, last)]


def rows() -> list[tuple]:
    return list(
        ProjectWarning.objects.order_by("pk").values_list(
            "pk", "project_id", "colour", "reasons", "since", "checked_on"
        )
    )


@pytest.fixture
def signed_seven_months_ago(pairing_a) -> Project:
    p = ProjectFactory(
        pairing=pairing_a,
        code="TEZ-RED",
        signed_date=dt.date(2025, 3, 15),
        planned_start_date=None,
        planned_production_date=None,
    )
    submit(p, *months("2025-04", "2025-09"))
    return p


@pytest.fixture
def on_track(pairing_b) -> Project:
    p = ProjectFactory(
        pairing=pairing_b,
        code="MY-BLUE",
        stage=Stage.STARTED,
        signed_date=dt.date(2025, 8, 1),
        actual_start_date=dt.date(2025, 8, 20),
        planned_start_date=None,
        planned_production_date=None,
    )
    submit(p, "2025-09")
    return p


class TestRefresh:
    def test_a_project_signed_seven_months_ago_and_not_started_is_red_with_that_reason(self, signed_seven_months_ago):
        result = warnings_refresh(today=TODAY)

        warning = ProjectWarning.objects.get(project=signed_seven_months_ago)
        assert (warning.colour, warning.since, warning.checked_on) == (RED, TODAY, TODAY)
        assert [r["code"] for r in warning.reasons] == ["signed_not_started"]
        assert "7" in warning.reasons[0]["text"] and "2025-03-15" in warning.reasons[0]["text"]
        assert (result.checked, result.created, result.colour_changes) == (1, 1, 1)
        change = WarningChange.objects.get(project=signed_seven_months_ago)
        assert (change.from_colour, change.to_colour, change.changed_on) == ("", RED, TODAY)
        assert change.reasons == warning.reasons

    def test_every_active_project_gets_one_row(self, signed_seven_months_ago, on_track):
        result = warnings_refresh(today=TODAY)

        assert dict(ProjectWarning.objects.values_list("project__code", "colour")) == {
            "TEZ-RED": RED,
            "MY-BLUE": BLUE,
        }
        assert result.by_colour == {RED: 1, YELLOW: 0, BLUE: 1}

    def test_terminated_projects_get_no_warning_and_lose_theirs(self, signed_seven_months_ago, on_track):
        warnings_refresh(today=TODAY)
        Project.objects.filter(pk=on_track.pk).update(health=Health.TERMINATED)

        result = warnings_refresh(today=TODAY)

        assert list(ProjectWarning.objects.values_list("project__code", flat=True)) == ["TEZ-RED"]
        assert (result.checked, result.removed) == (1, 1)

    def test_run_twice_on_the_same_day_changes_nothing_the_second_time(self, signed_seven_months_ago, on_track):
        warnings_refresh(today=TODAY)
        before, changes = rows(), WarningChange.objects.count()

        result = warnings_refresh(today=TODAY)

        assert rows() == before
        assert WarningChange.objects.count() == changes == 2
        assert (result.created, result.updated, result.colour_changes, result.unchanged) == (0, 0, 0, 2)

    def test_the_task_run_twice_on_the_same_day_changes_nothing_the_second_time(
        self, signed_seven_months_ago, on_track
    ):
        first = warnings_refresh_task.delay().get(timeout=5)
        before, changes = rows(), WarningChange.objects.count()

        second = warnings_refresh_task.delay().get(timeout=5)

        assert rows() == before
        assert WarningChange.objects.count() == changes
        assert first["created"] == 2
        assert (second["created"], second["updated"], second["colour_changes"]) == (0, 0, 0)

    def test_a_change_of_colour_is_recorded_once_with_its_reasons(self, pairing_a):
        p = ProjectFactory(
            pairing=pairing_a, signed_date=dt.date(2025, 5, 15), planned_start_date=None, planned_production_date=None
        )
        submit(p, *months("2025-06", "2025-10"), on=dt.date(2025, 11, 1))
        warnings_refresh(today=TODAY)  # 5 months: yellow
        assert ProjectWarning.objects.get(project=p).colour == YELLOW

        later = dt.date(2025, 11, 20)  # 6 months and 5 days: red
        warnings_refresh(today=later)
        warnings_refresh(today=later)

        changes = list(WarningChange.objects.filter(project=p).order_by("id"))
        assert [(c.from_colour, c.to_colour, c.changed_on) for c in changes] == [
            ("", YELLOW, TODAY),
            (YELLOW, RED, later),
        ]
        assert [r["code"] for r in changes[1].reasons] == ["signed_not_started"]
        assert "6" in changes[1].reasons[0]["text"]
        warning = ProjectWarning.objects.get(project=p)
        assert (warning.colour, warning.since, warning.checked_on) == (RED, later, later)
        assert warning.reasons == changes[1].reasons

    def test_the_same_colour_on_another_day_keeps_its_since_and_records_no_change(self, signed_seven_months_ago):
        warnings_refresh(today=TODAY)

        result = warnings_refresh(today=TODAY + dt.timedelta(days=1))

        warning = ProjectWarning.objects.get()
        assert (warning.since, warning.checked_on) == (TODAY, TODAY + dt.timedelta(days=1))
        assert (result.updated, result.colour_changes) == (1, 0)
        assert WarningChange.objects.count() == 1

    def test_new_reasons_without_a_new_colour_rewrite_the_row_but_record_no_change(self, pairing_a):
        p = ProjectFactory(
            pairing=pairing_a,
            stage=Stage.STARTED,
            signed_date=dt.date(2025, 1, 10),
            actual_start_date=dt.date(2025, 1, 10),
            planned_start_date=None,
            planned_production_date=None,
        )
        submit(p, *months("2025-02", "2025-07"))
        warnings_refresh(today=TODAY)  # 08 and 09 overdue: red
        ProgressReportFactory(project=p, period="2025-10", status=ReportStatus.DRAFT)  # a draft changes nothing
        warnings_refresh(today=dt.date(2025, 11, 6))  # 08, 09, 10 overdue: still red, other reasons

        warning = ProjectWarning.objects.get(project=p)
        assert warning.colour == RED and warning.since == TODAY
        assert "2025-10" in warning.reasons[0]["text"]
        assert WarningChange.objects.filter(project=p).count() == 1

    def test_a_delayed_run_for_an_earlier_day_does_not_overwrite_a_newer_result(self, signed_seven_months_ago):
        warnings_refresh(today=TODAY)
        before = rows()

        warnings_refresh(today=TODAY - dt.timedelta(days=60))

        assert rows() == before
        assert WarningChange.objects.count() == 1

    def test_one_program_at_a_time(self, signed_seven_months_ago):
        other = ProjectFactory(pairing=PairingFactory(program=ProgramFactory(code="other")), code="OTHER-1")

        warnings_refresh(today=TODAY, program=other.pairing.program)

        assert list(ProjectWarning.objects.values_list("project__code", flat=True)) == ["OTHER-1"]

    def test_the_programs_rules_apply(self, program, signed_seven_months_ago):
        WarningRules.objects.create(
            program=program, red_signed_not_started_months=8, yellow_signed_not_started_months=8
        )

        warnings_refresh(today=TODAY)

        assert ProjectWarning.objects.get().colour == BLUE

    def test_a_constant_number_of_queries_as_projects_grow(self, program):
        def add_projects(n: int) -> None:
            pairing = PairingFactory(program=program)
            for _ in range(n):
                p = ProjectFactory(pairing=pairing, signed_date=dt.date(2025, 5, 15))
                submit(p, "2025-06", "2025-07")

        def count_queries() -> tuple[int, int]:
            ProjectWarning.objects.all().delete()
            with CaptureQueriesContext(connection) as first:
                warnings_refresh(today=TODAY)
            with CaptureQueriesContext(connection) as second:
                warnings_refresh(today=TODAY)
            return len(first), len(second)

        add_projects(2)
        few = count_queries()
        add_projects(8)
        many = count_queries()

        assert few == many
        assert ProjectWarning.objects.count() == 10


class TestRefreshAtVolume:
    """A national deployment has ~100k active projects and ~1M reports: the refresh reads and writes in batches."""

    @pytest.fixture
    def ten_projects(self, program):
        pairing = PairingFactory(program=program)
        made = []
        for n in range(10):
            p = ProjectFactory(
                pairing=pairing,
                code=f"VOL-{n:02d}",
                signed_date=dt.date(2025, 3 + n % 5, 15),
                planned_start_date=None,  # no investment schedule: the reasons do not change from day to day
                planned_production_date=None,
            )
            submit(p, *months("2025-06", f"2025-0{6 + n % 4}"))
            made.append(p)
        return made

    def test_batches_give_the_same_rows_as_one_pass(self, ten_projects, monkeypatch):
        warnings_refresh(today=TODAY)
        whole = [row[1:] for row in rows()]
        ProjectWarning.objects.all().delete()
        WarningChange.objects.all().delete()
        monkeypatch.setattr("projects.warnings.refresh.REFRESH_BATCH", 3)
        monkeypatch.setattr("projects.warnings.refresh.WRITE_BATCH", 2)

        result = warnings_refresh(today=TODAY)

        assert [row[1:] for row in rows()] == whole
        assert (result.checked, result.created, result.colour_changes) == (10, 10, 10)

    def test_the_next_day_writes_the_day_in_one_statement_per_batch_not_a_case_per_row(self, ten_projects):
        """Rewriting every row with ``bulk_update`` built one UPDATE with a CASE branch per row and column: with
        97k warnings PostgreSQL spent over 25 minutes compiling it. Unchanged rows only need their new day."""
        warnings_refresh(today=TODAY)
        before = {row[1]: row[2:5] for row in rows()}

        with CaptureQueriesContext(connection) as captured:
            result = warnings_refresh(today=TODAY + dt.timedelta(days=1))

        updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
        assert len(updates) == 1 and "CASE" not in updates[0]
        assert (result.updated, result.unchanged, result.colour_changes) == (10, 0, 0)
        after = rows()
        assert {row[1]: row[2:5] for row in after} == before  # colour, reasons, since
        assert {row[5] for row in after} == {TODAY + dt.timedelta(days=1)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_record_each_change_once(require_postgres):
    pairing = PairingFactory()
    for n in range(20):
        ProjectFactory(pairing=pairing, code=f"RACE-{n:02d}", signed_date=dt.date(2025, 3, 15))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            start.wait(timeout=10)
            warnings_refresh(today=TODAY)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert ProjectWarning.objects.count() == 20
    assert WarningChange.objects.count() == 20


# --- Reporting rates -----------------------------------------------------------------------------------------------


class TestReportingRates:
    """September 2025, due 5 October. County A (台儿庄区) owes four reports: one on time, one on the due day late in
    the evening (on time), one the day after just past midnight Beijing time (late), one missing. County B (蒙阴县)
    owes one, on time. Projects that owe nothing for September are left out of the figures."""

    @pytest.fixture
    def september(self, pairing_a, pairing_b):
        def started_project(pairing, code, **values) -> Project:
            defaults = {
                "stage": Stage.STARTED,
                "signed_date": dt.date(2025, 1, 10),
                "actual_start_date": dt.date(2025, 2, 1),
            }
            return ProjectFactory(pairing=pairing, code=code, **{**defaults, **values})

        def report(p: Project, when: dt.datetime | None, status=ReportStatus.SUBMITTED) -> None:
            ProgressReportFactory(
                project=p, period="2025-09", status=status, submitted_at=when, first_submitted_at=when
            )

        report(started_project(pairing_a, "A-1"), at(dt.date(2025, 10, 3)))
        report(started_project(pairing_a, "A-2"), at(dt.date(2025, 10, 5), 23, 30))
        report(started_project(pairing_a, "A-3"), at(dt.date(2025, 10, 6), 0, 30))
        report(started_project(pairing_a, "A-4"), None, status=ReportStatus.DRAFT)
        report(started_project(pairing_b, "B-1"), at(dt.date(2025, 10, 1)))
        # Owe nothing for September: signed in September, in the pipeline, terminated.
        started_project(
            pairing_a, "A-NEW", stage=Stage.SIGNED, signed_date=dt.date(2025, 9, 10), actual_start_date=None
        )
        started_project(pairing_a, "A-PIPE", stage=Stage.PIPELINE, signed_date=None, actual_start_date=None)
        report(started_project(pairing_a, "A-TERM", health=Health.TERMINATED), None, status=ReportStatus.DRAFT)
        # A county whose only project owes nothing yet.
        strong = pairing_b.strong_county
        started_project(pairing_b, "B-STRONG", county=strong, stage=Stage.SIGNED, signed_date=dt.date(2025, 9, 30))

    def test_worked_example(self, program, september):
        rates = reporting_rates(program=program, period="2025-09")

        table = {
            r.county.adcode: (
                r.expected,
                r.submitted,
                r.on_time,
                r.late,
                r.missing,
                r.timeliness_pct,
                r.completeness_pct,
            )
            for r in rates
        }
        assert table == {
            "370112": (0, 0, 0, 0, 0, None, None),
            "370405": (4, 3, 2, 1, 1, Decimal(50), Decimal(75)),
            "371328": (1, 1, 1, 0, 0, Decimal(100), Decimal(100)),
        }
        assert [r.county.adcode for r in rates] == ["370112", "370405", "371328"]
        assert {r.due_date for r in rates} == {dt.date(2025, 10, 5)}
        total = reporting_rates_total(rates)
        assert (total.expected, total.submitted, total.on_time) == (5, 4, 3)
        assert (total.timeliness_pct, total.completeness_pct) == (Decimal(60), Decimal(80))

    def test_the_due_day_comes_from_the_rules(self, program, september):
        WarningRules.objects.create(program=program, report_due_day=6)

        rates = {r.county.adcode: r for r in reporting_rates(program=program, period="2025-09")}

        assert rates["370405"].on_time == 3

    def test_four_queries_whatever_the_number_of_projects(self, program, september, django_assert_num_queries):
        # The rules, the month's first submissions, the projects' values, their counties.
        with django_assert_num_queries(4):
            reporting_rates(program=program, period="2025-09")
        for n in range(5):
            ProjectFactory(pairing=PairingFactory(program=program), code=f"MORE-{n}")
        with django_assert_num_queries(4):
            reporting_rates(program=program, period="2025-09")
