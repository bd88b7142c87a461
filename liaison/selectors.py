"""Reads for the liaison pages: the liaison's projects with this month's reporting state, and their recent reports.

Every read starts from the liaison's county (``Project.county``): a project built elsewhere does not exist here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, IntegerField, QuerySet, Value, When

from common.periods import month_before, month_of
from projects.models import (
    ClosedPeriod,
    Health,
    ProgressReport,
    Project,
    ProjectStageChange,
    ProjectWarning,
    ReportStatus,
    Stage,
    WarningRules,
)
from projects.warnings import expected_periods, report_due_date

DEFAULT_DUE_DAY = WarningRules._meta.get_field("report_due_day").default
RECENT_REPORTS = 10


def month_before_today(today: dt.date) -> str:
    """The month a liaison reports on during ``today``'s month: the calendar month before it (not the same month a
    year earlier, which is what "previous" means for statistics)."""
    return month_before(month_of(today))


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


# --- A month's figures prefilled from the month before --------------------------------------------------------


def last_report_before(project: Project, period: str) -> ProgressReport | None:
    """The project's latest report of a month before ``period``, whatever its status: the liaison's last figures."""
    return ProgressReport.objects.filter(project=project, period__lt=period).order_by("-period").first()


def month_initial(project: Project, period: str, last: ProgressReport | None = None) -> dict[str, object]:
    """What a new report for ``period`` starts from, so only what changed is typed: the stage and its dates, the
    cumulative investment and an open problem as last reported (or as the project stands, when it is further on or
    there is no report yet). What happens within a month — this month's investment, jobs, output, tax — starts
    empty: last month's figure is not this month's."""
    initial: dict[str, object] = {
        "period": period,
        "stage": project.stage,
        "cumulative_investment": project.completed_investment,
        "actual_start_date": project.actual_start_date,
        "actual_production_date": project.actual_production_date,
        "version": 0,
    }
    if last is None:
        return initial
    if Stage.order(last.stage) > Stage.order(project.stage):
        initial["stage"] = last.stage
    initial["cumulative_investment"] = max(last.cumulative_investment, project.completed_investment)
    initial["actual_start_date"] = project.actual_start_date or last.actual_start_date
    initial["actual_production_date"] = project.actual_production_date or last.actual_production_date
    if last.problem_category or last.problems:
        initial["problem_category"] = last.problem_category
        initial["problems"] = last.problems
    return initial


# --- The month's workbook ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkbookLine:
    """One project of the month's workbook: its report of the month if there is one, else its last report."""

    project: Project
    report: ProgressReport | None
    last: ProgressReport | None


def workbook_lines(*, county: str, period: str) -> list[WorkbookLine]:
    """The projects of ``county`` that owe a report for ``period`` (not terminated, the month not closed), by code,
    with their report of the month and their last one before it. Three queries whatever the number of projects."""
    projects = [
        project
        for project in liaison_projects(county).exclude(health=Health.TERMINATED).select_related("pairing__program")
        if period in expected_periods(project, through=period)
    ]
    closed = set(
        ClosedPeriod.objects.filter(
            program_id__in={project.pairing.program_id for project in projects}, period=period
        ).values_list("program_id", flat=True)
    )
    projects = [project for project in projects if project.pairing.program_id not in closed]
    reports = ProgressReport.objects.filter(project__in=projects, period__lte=period).order_by("project_id", "-period")
    current: dict[int, ProgressReport] = {}
    last: dict[int, ProgressReport] = {}
    for report in reports:
        if report.period == period:
            current[report.project_id] = report
        elif report.project_id not in last:
            last[report.project_id] = report
    return [WorkbookLine(project, current.get(project.pk), last.get(project.pk)) for project in projects]


# --- The project page -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadEntry:
    """One step of a report's life as its thread shows it: who did what when, and what the reviewer said."""

    status: str
    at: dt.datetime
    by: str
    comment: str

    @property
    def label(self) -> str:
        return str(ReportStatus(self.status).label)


@dataclass
class ReportThread:
    report: ProgressReport
    entries: list[ThreadEntry]


def _who(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def report_threads(project: Project) -> list[ReportThread]:
    """Every report of ``project``, newest month first, each with its thread: each change of status (drafted,
    submitted, returned with the reviewer's comment, resubmitted, approved) from the report's history, in order.
    Two queries whatever the number of reports."""
    reports = list(ProgressReport.objects.filter(project=project).order_by("-period"))
    records = (
        ProgressReport.history.filter(project_id=project.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    entries: dict[int, list[ThreadEntry]] = {}
    previous: dict[int, tuple[str, str]] = {}
    for record in records:
        state = (record.status, record.review_comment)
        if previous.get(record.id) == state:
            continue  # an edit of the figures, not a step of the review
        before = previous.get(record.id)
        previous[record.id] = state
        if before is not None and before[0] == record.status:
            continue  # the comment was cleared by an edit; the status did not move
        comment = record.review_comment if record.status in (ReportStatus.RETURNED, ReportStatus.APPROVED) else ""
        entries.setdefault(record.id, []).append(
            ThreadEntry(status=record.status, at=record.history_date, by=_who(record.history_user), comment=comment)
        )
    return [ReportThread(report, entries.get(report.pk, [])) for report in reports]


def plan_against_actual(project: Project, latest: ProgressReport | None) -> dict[str, object]:
    """Investment (approved, and as last reported) against the plan, and the project's stages reached (the planned
    dates against the actual ones are the project's own fields)."""
    planned = project.planned_investment or Decimal(0)
    share = int(project.completed_investment * 100 / planned) if planned > 0 else None
    current = Stage.order(project.stage)
    steps = [
        (label, "done" if index < current else "current" if index == current else "todo")
        for index, label in enumerate(Stage.labels)
    ]
    return {
        "steps": steps,
        "planned_investment": project.planned_investment,
        "completed_investment": project.completed_investment,
        "share": share,
        "bar": min(share, 100) if share is not None else 0,
        "reported_investment": latest.cumulative_investment if latest is not None else None,
        "reported_period": latest.period if latest is not None else "",
        "reported_status": latest.get_status_display() if latest is not None else "",
    }


def stage_history(project: Project) -> QuerySet[ProjectStageChange]:
    return ProjectStageChange.objects.filter(project=project).select_related("changed_by").order_by("changed_at", "id")
