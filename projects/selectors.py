"""The reads of projects, progress reports and warnings that the reports' workflow, the warnings and the bulletins
share: which program rules apply, which months a project has submitted, whether a report's month is closed, who
wrote a report and which attachments a user may open. No writes here (they are services: ``projects.reports``,
``projects.warnings``, ``projects.bulletins``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.postgres.aggregates import StringAgg
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from accounts.access import pairing_q, scope
from pairing.models import Program

from .models import (
    ClosedPeriod,
    ProgressReport,
    Project,
    ReportAttachment,
    ReportParticipant,
    ReportRole,
    WarningRules,
)

# --- Warning rules ---------------------------------------------------------------------------------------------------


def warning_rules_for(program: Program) -> WarningRules:
    """The program's rules, or the default rules (unsaved) when none were set."""
    rules = WarningRules.objects.filter(program=program).first()
    return rules if rules is not None else WarningRules(program=program)


def rules_by_program(program_ids: Iterable[int]) -> dict[int, WarningRules]:
    """Each program's rules in one query; defaults (unsaved) for the programs without."""
    ids = set(program_ids)
    rules = {r.program_id: r for r in WarningRules.objects.filter(program_id__in=ids)}
    return {pk: rules.get(pk) or WarningRules(program_id=pk) for pk in ids}


# --- Projects and their submitted months -----------------------------------------------------------------------------


# The fields of a project that the warnings' classification reads (besides its program's dates), and with the
# program's dates: a refresh loads only these for the ~100k projects of a national deployment.
CLASSIFIED_FIELDS = (
    "stage",
    "health",
    "signed_date",
    "planned_start_date",
    "planned_production_date",
    "planned_investment",
    "completed_investment",
)
WARNING_FIELDS = ("pairing__program__start_date", "pairing__program__end_date", *CLASSIFIED_FIELDS)


def projects_for_warnings(program: Program | None, project_id: int | None = None) -> QuerySet[Project]:
    """The active projects a refresh classifies (of ``program``, or one project), in key order, with their program
    and only the fields the classification reads."""
    projects = Project.objects.live().select_related("pairing__program").only(*WARNING_FIELDS).order_by("pk")
    if program is not None:
        projects = projects.filter(pairing__program=program)
    if project_id is not None:
        projects = projects.filter(pk=project_id)
    return projects


def submitted_months(reports: QuerySet[ProgressReport]) -> dict[int, frozenset[str]]:
    """The months each project among ``reports`` has submitted a report for (at least once), as the classification's
    ``submitted`` reads them. One row per project (the months joined in the database): a refresh reads the
    submitted months of ~100k projects, a million reports."""
    submitted = reports.filter(first_submitted_at__isnull=False).order_by()
    if connection.vendor == "postgresql":
        rows = (
            submitted.values("project_id").annotate(months=StringAgg("period", ",")).values_list("project_id", "months")
        )
        return {project_id: frozenset(months.split(",")) for project_id, months in rows}
    found: dict[int, set[str]] = defaultdict(set)
    for project_id, period in submitted.values_list("project_id", "period"):
        found[project_id].add(period)
    return {project_id: frozenset(months) for project_id, months in found.items()}


# --- Progress reports ------------------------------------------------------------------------------------------------


def period_is_closed(*, project: Project, period: str) -> bool:
    return ClosedPeriod.objects.filter(program_id=project.pairing.program_id, period=period).exists()


def with_period_closed(reports: QuerySet[ProgressReport]) -> QuerySet[ProgressReport]:
    """``period_is_closed`` of each report as the annotation ``period_closed``, which ``report_lock_reason`` reads
    instead of asking the database once per report (a list of reports)."""
    # Reached from the report's project inside the subquery: an outer join to the project and pairing would stay in
    # the list's COUNT(*), which then joins every report of the country to its project and pairing.
    closed = ClosedPeriod.objects.filter(program__pairings__projects=OuterRef("project_id"), period=OuterRef("period"))
    return reports.annotate(period_closed=Exists(closed))


def report_authors(report: ProgressReport) -> QuerySet:
    """Everyone who wrote, changed, attached a file to or submitted ``report``, in the order they first did."""
    return ReportParticipant.objects.filter(report=report, role=ReportRole.AUTHOR).select_related("user")


def report_attachments_for(user) -> QuerySet[ReportAttachment]:
    """The attachments ``user`` may open: those of the reports they may read — every one for the provincial roles,
    a county liaison those of their pairings' projects (either side, as the report itself), anyone else none."""
    return scope(
        ReportAttachment.objects.select_related("report"),
        user,
        lambda county: pairing_q(county, "report__project__pairing__"),
    )


def programs_with_live_projects() -> list[int]:
    """The programs whose projects a daily refresh classifies (the nightly job's one task per program), by key."""
    return sorted(set(Project.objects.live().order_by().values_list("pairing__program_id", flat=True).distinct()))
