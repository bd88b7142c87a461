"""Reads for the liaison pages: the liaison's projects with this month's reporting state, and their recent reports.

Every read starts from the liaison's county (``Project.county``): a project built elsewhere does not exist here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, IntegerField, QuerySet, Value, When

from common.periods import month_before, month_of
from projects.models import (
    ClosedPeriod,
    Health,
    ProgressReport,
    Project,
    ProjectWarning,
    ReportStatus,
    WarningRules,
)
from projects.warnings import expected_periods, report_due_date

DEFAULT_DUE_DAY = WarningRules._meta.get_field("report_due_day").default
RECENT_REPORTS = 10


def month_before_today(today: dt.date) -> str:
    """The month a liaison reports on during ``today``'s month: the calendar month before it (not the same month a
    year earlier, which is what "previous" means for statistics)."""
    return month_before(month_of(today))


# The pages' name for it, until they call it by the new one.
previous_period = month_before_today


@dataclass(frozen=True)
class ReportingMonth:
    """The month to report on now and when its report is due (``report_due_day`` of the following month)."""

    period: str
    due: dt.date
    today: dt.date

    @property
    def days_left(self) -> int:
        """Days until the due date; negative once it has passed."""
        return (self.due - self.today).days


def reporting_month(*, due_day: int, today: dt.date) -> ReportingMonth:
    period = month_before_today(today)
    return ReportingMonth(period=period, due=report_due_date(period, due_day=due_day), today=today)


def due_day_of(program_id: int) -> int:
    rules = WarningRules.objects.filter(program_id=program_id).values_list("report_due_day", flat=True).first()
    return rules or DEFAULT_DUE_DAY


class ReportState:
    """What a project card says about the month's report."""

    APPROVED = "approved"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    DUE = "due"
    OVERDUE = "overdue"
    NOT_DUE = "not_due"  # the project owes no report for the month (``projects.warnings.expected_periods``)
    CLOSED = "closed"  # the month was closed without a report


@dataclass(frozen=True)
class ProjectCard:
    project: Project
    warning: ProjectWarning | None
    month: ReportingMonth
    report: ProgressReport | None
    state: str

    @property
    def warning_reason(self) -> str:
        if self.warning is None or not self.warning.reasons:
            return ""
        first = self.warning.reasons[0]
        return str(first.get("text", "")) if isinstance(first, dict) else str(first)

    @property
    def days(self) -> int:
        """Days left before the due date, or days overdue (always positive)."""
        return abs(self.month.days_left)

    @property
    def is_terminated(self) -> bool:
        return self.project.health == Health.TERMINATED


def liaison_projects(county: str) -> QuerySet[Project]:
    """Projects located in ``county``; terminated ones last."""
    return (
        Project.objects.filter(county_id=county)
        .select_related("pairing__program", "warning")
        .annotate(
            _terminated=Case(
                When(health=Health.TERMINATED, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        )
        .order_by("_terminated", "code")
    )


def _warning_of(project: Project) -> ProjectWarning | None:
    try:
        return project.warning
    except ProjectWarning.DoesNotExist:
        return None


def _state(project: Project, report: ProgressReport | None, month: ReportingMonth, closed: bool) -> str:
    if report is not None and report.status == ReportStatus.APPROVED:
        return ReportState.APPROVED
    if report is not None and report.status == ReportStatus.SUBMITTED:
        return ReportState.SUBMITTED
    if report is not None and report.status == ReportStatus.RETURNED:
        return ReportState.RETURNED
    # Which months are owed is the warnings' rule, so a card never says "overdue" where the bulletin would not.
    if month.period not in expected_periods(project, through=month.period):
        return ReportState.NOT_DUE
    if closed:
        return ReportState.CLOSED
    return ReportState.DUE if month.days_left >= 0 else ReportState.OVERDUE


def project_cards(*, county: str, today: dt.date) -> list[ProjectCard]:
    """One card per project in ``county`` with the state of the report due now."""
    projects = list(liaison_projects(county))
    program_ids = {project.pairing.program_id for project in projects}
    due_days = dict(WarningRules.objects.filter(program_id__in=program_ids).values_list("program_id", "report_due_day"))
    months = {
        program_id: reporting_month(due_day=due_days.get(program_id) or DEFAULT_DUE_DAY, today=today)
        for program_id in program_ids
    }
    period = month_before_today(today)
    reports = {
        report.project_id: report for report in ProgressReport.objects.filter(project__in=projects, period=period)
    }
    closed = set(
        ClosedPeriod.objects.filter(program_id__in=program_ids, period=period).values_list("program_id", flat=True)
    )
    cards = []
    for project in projects:
        program_id = project.pairing.program_id
        report = reports.get(project.pk)
        month = months[program_id]
        cards.append(
            ProjectCard(
                project=project,
                warning=_warning_of(project),
                month=month,
                report=report,
                state=_state(project, report, month, program_id in closed),
            )
        )
    return cards


def recent_reports(county: str, limit: int = RECENT_REPORTS) -> QuerySet[ProgressReport]:
    """The latest reports on projects of ``county``, most recently changed first."""
    return (
        ProgressReport.objects.filter(project__county_id=county)
        .select_related("project")
        .order_by("-updated_at", "-id")[:limit]
    )
