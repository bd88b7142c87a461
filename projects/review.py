"""Reads of the provincial review workspace: the queue of submitted reports (the one that waited longest first),
how many wait per program and county, and what a reviewer needs on one report's page. The decisions themselves are
the services of ``projects.reports`` (``progress_report_approve`` / ``progress_report_return``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from common.periods import month_add
from validation.models import RuleOutcome
from validation.selectors import report_warnings

from .models import ProblemCategory, ProgressReport, Project, ReportStatus, Stage
from .reports import report_application_errors, report_authors


def review_queue() -> QuerySet[ProgressReport]:
    """Every submitted report, the one that has waited longest first (since its latest submission)."""
    return (
        ProgressReport.objects.filter(status=ReportStatus.SUBMITTED)
        .select_related("project__county", "project__pairing__program", "submitted_by")
        .order_by("submitted_at", "id")
    )


def next_in_queue(*, after: ProgressReport | None, reviewer) -> ProgressReport | None:
    """The report a reviewer opens next: the longest waiting one other than ``after`` that ``reviewer`` may decide
    (not one they wrote or submitted), else None."""
    queue = review_queue()
    if after is not None:
        queue = queue.exclude(pk=after.pk)
    if reviewer is not None and reviewer.pk is not None:
        queue = queue.exclude(submitted_by=reviewer).exclude(participants__user=reviewer)
    return queue.first()


@dataclass
class WaitingCount:
    program_id: int
    program: str
    county_id: str
    county: str
    waiting: int


def waiting_counts() -> list[WaitingCount]:
    """How many reports wait for review, per program and county (one grouped query)."""
    rows = (
        ProgressReport.objects.filter(status=ReportStatus.SUBMITTED)
        .values(
            "project__pairing__program_id",
            "project__pairing__program__name",
            "project__county_id",
            "project__county__name",
        )
        .annotate(n=Count("pk"))
        .order_by("project__pairing__program__name", "project__county_id")
    )
    return [
        WaitingCount(
            program_id=row["project__pairing__program_id"],
            program=row["project__pairing__program__name"],
            county_id=row["project__county_id"],
            county=row["project__county__name"],
            waiting=row["n"],
        )
        for row in rows
    ]


# The rows of the comparison, in the order of the liaison's form: (field, label, kind).
COMPARED = [
    ("stage", _("stage reached"), "stage"),
    ("cumulative_investment", _("cumulative investment"), "money"),
    ("month_investment", _("investment this month"), "money"),
    ("jobs_created", _("jobs created"), "number"),
    ("output_value", _("output value"), "money"),
    ("tax_paid", _("tax paid"), "money"),
    ("actual_start_date", _("actual start date"), "date"),
    ("actual_production_date", _("actual production date"), "date"),
    ("problem_category", _("problem category"), "problem"),
    ("problems", _("problems needing provincial coordination"), "text"),
    ("stage_back_reason", _("reason for moving the stage back"), "text"),
]


@dataclass
class ComparedRow:
    field: str
    label: Any
    kind: str
    this_month: Any
    last_month: Any
    last_approved: Any
    changed: bool  # differs from the last approved report (or there is none yet and something is reported)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ReviewPage:
    report: ProgressReport
    project: Project
    last_month: ProgressReport | None
    last_approved: ProgressReport | None
    rows: list[ComparedRow]
    warnings: list[RuleOutcome]
    cannot_apply: dict[str, list[str]]
    authors: list[str]
    completion_pct: Decimal | None
    position: int  # 1-based place in the queue, 0 when not in it
    queue_length: int


def _display(report: ProgressReport | None, name: str, kind: str) -> Any:
    if report is None:
        return None
    value = getattr(report, name)
    if value == "":
        return None  # shown as a dash, like a missing figure
    if kind == "stage" and value:
        return Stage(value).label
    if kind == "problem" and value:
        return ProblemCategory(value).label
    return value


def review_page(report: ProgressReport) -> ReviewPage:
    """This month against last month, the last approved report and the plan; what changed since the last approved
    report; the validation rules' warnings; what approval would refuse."""
    project = Project.objects.select_related("county", "pairing__program", "pairing__strong_county").get(
        pk=report.project_id
    )
    earlier = ProgressReport.objects.filter(project=project, period__lt=report.period)
    last_month = earlier.filter(period=month_add(report.period, -1)).exclude(status=ReportStatus.DRAFT).first()
    last_approved = earlier.filter(status=ReportStatus.APPROVED).order_by("-period").first()
    warnings = list(report_warnings(report.pk))
    by_field: dict[str, list[str]] = {}
    for outcome in warnings:
        by_field.setdefault(outcome.field, []).append(outcome.message)
    rows = []
    for name, label, kind in COMPARED:
        now = getattr(report, name)
        before = getattr(last_approved, name) if last_approved else None
        changed = (now != before) if last_approved else bool(now)
        rows.append(
            ComparedRow(
                field=name,
                label=label,
                kind=kind,
                this_month=_display(report, name, kind),
                last_month=_display(last_month, name, kind),
                last_approved=_display(last_approved, name, kind),
                changed=changed,
                warnings=by_field.get(name, []),
            )
        )
    completion = None
    if project.planned_investment:
        completion = (report.cumulative_investment / project.planned_investment * 100).quantize(Decimal("0.1"))
    queue = ProgressReport.objects.filter(status=ReportStatus.SUBMITTED)
    position = 0
    if report.status == ReportStatus.SUBMITTED and report.submitted_at is not None:
        ahead = Q(submitted_at__lt=report.submitted_at) | Q(submitted_at=report.submitted_at, pk__lt=report.pk)
        position = queue.filter(ahead).count() + 1
    return ReviewPage(
        report=report,
        project=project,
        last_month=last_month,
        last_approved=last_approved,
        rows=rows,
        warnings=warnings,
        cannot_apply=(
            report_application_errors(project=project, report=report) if report.status == ReportStatus.SUBMITTED else {}
        ),
        authors=[part.user.get_username() for part in report_authors(report) if part.user is not None],
        completion_pct=completion,
        position=position,
        queue_length=queue.count(),
    )
