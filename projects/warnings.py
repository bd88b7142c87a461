"""The daily red / yellow / blue warnings (红黄蓝预警), the reminders to county liaisons, and the reporting rates.

Rules (DOMAIN §5; every threshold is a field of the program's ``WarningRules``, defaults in brackets):

- **red** when any of
  - a provincial officer marked the project stalled (health ``stalled``, 停滞);
  - the project is signed (stage ``signed``) and was signed more than ``red_signed_not_started_months`` [6]
    months ago;
  - at least ``red_overdue_reports`` [2] monthly reports are overdue;
  - its planned production date passed more than ``red_production_late_months`` [3] months ago and it is signed or
    under construction (not yet producing);
- **yellow** when any of
  - a provincial officer marked the project lagging (health ``lagging``, 滞后);
  - signed more than ``yellow_signed_not_started_months`` [4] months ago and not started;
  - at least ``yellow_overdue_reports`` [1] monthly report is overdue;
  - investment behind plan: it is signed or under construction, and its completed investment, as a share of the
    planned investment, is more than ``yellow_investment_behind_pct`` [20] percentage points below the straight-line
    share expected by today between the planned start and the planned production dates;
- **blue** otherwise ("On track.").

The officers' health mark is one of the rules, so a project the admin lists as 滞后 or 停滞 is never blue on the
liaison's card or in the bulletin: the stored warning is the one colour every page shows. Changing the health in the
admin refreshes that project's warning at once (``project_warning_refresh``).

"More than N months" means later than the same day N months on (``add_months``); 15 March + 6 months is 15
September, so a project signed on 15 March turns red on 16 September. The months quoted in a reason are the whole
months elapsed.

Every reason is stored in words with its numbers, all of them, worst first (red ones, then yellow ones; within a
colour in the order above), as ``[{"code", "text"}]``. The text is written in the site's language
(``settings.LANGUAGE_CODE``, Chinese) whoever triggers the refresh, so a refresh started from an English admin page
does not rewrite every row.

Which monthly reports are expected: every month from the **month after signing** (the first full month of a signed
project: a report says how the start of construction is going, so signed projects report too), but not before the
program's start month nor after its end month, for projects that are signed, under construction, in production or
at capacity. Pipeline projects report nothing; terminated projects are not active and get no warning (their warning
row is removed). The report for month M is due by day ``report_due_day`` [5] of month M+1 and is **overdue** when
today is after that day and no report for M has been submitted at least once (``first_submitted_at`` set; a report
returned for correction still counts as submitted). Months whose due day has not passed are never overdue.

Reminders (``reminders_send``): for the report of the month just ended (and of the current month when the due day
is closer than ``reminder_days_before_due``), each liaison of the project's county gets a "due" reminder from
``reminder_days_before_due`` [3] days before the due day until the due day, and an "overdue" reminder after it, in
one email per liaison listing their projects. Each (project, month, kind, liaison) is sent once: the
``ReportReminder`` row is recorded in the same transaction as the email is handed to the mail server, and its unique
constraint stops a second run racing the first.

Reporting rates (``reporting_rates``), per location county for one month: timeliness = reports first submitted by
the due day ÷ reports expected; completeness = reports submitted at all ÷ reports expected.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from smtplib import SMTPException
from typing import Any, NamedTuple

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Membership, Role
from pairing.models import Program, Region

from .models import (
    STAGES_NEEDING_SIGNING,
    Health,
    ProgressReport,
    Project,
    ProjectWarning,
    ReminderKind,
    ReportReminder,
    Stage,
    WarningChange,
    WarningColour,
    WarningRules,
)

logger = logging.getLogger(__name__)

# Serialises refreshes on PostgreSQL, so two at once cannot both record the same change of colour.
WARNINGS_LOCK_KEY = 7_370_501

SEVERITY = {WarningColour.RED: 0, WarningColour.YELLOW: 1, WarningColour.BLUE: 2}
# Stages in which the plan's construction dates are still ahead of the project.
BEFORE_PRODUCTION = (Stage.SIGNED, Stage.STARTED)
HUNDRED = Decimal(100)
ONE_PLACE = Decimal("0.1")


class ReasonCode:
    SIGNED_NOT_STARTED = "signed_not_started"
    REPORTS_OVERDUE = "reports_overdue"
    PRODUCTION_LATE = "production_late"
    INVESTMENT_BEHIND = "investment_behind"
    ON_TRACK = "on_track"
    MARKED_STALLED = "marked_stalled"
    MARKED_LAGGING = "marked_lagging"


# --- Months ----------------------------------------------------------------------------------------------------------


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def period_add(period: str, months: int) -> str:
    year, month = (int(part) for part in period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def periods_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included (empty when ``first`` is later)."""
    periods = []
    period = first
    while period <= last:
        periods.append(period)
        period = period_add(period, 1)
    return periods


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months on, or the month's last day when it has no such day (31 Jan + 1 = 28 Feb)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last_day))


def whole_months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` (0 when ``end`` is not later)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def report_due_date(period: str, *, due_day: int) -> dt.date:
    """The day by which the report of ``period`` is due: ``due_day`` of the following month."""
    year, month = (int(part) for part in period_add(period, 1).split("-"))
    return dt.date(year, month, due_day)


def last_overdue_period(today: dt.date, *, due_day: int) -> str:
    """The latest month whose report is overdue on ``today`` if it is missing (its due day has passed)."""
    this_month = period_of(today)
    return period_add(this_month, -1 if today.day > due_day else -2)


# --- Rules -----------------------------------------------------------------------------------------------------------


def warning_rules_for(program: Program) -> WarningRules:
    """The program's rules, or the default rules (unsaved) when none were set."""
    rules = WarningRules.objects.filter(program=program).first()
    return rules if rules is not None else WarningRules(program=program)


def _rules_by_program(program_ids: Iterable[int]) -> dict[int, WarningRules]:
    """Each program's rules in one query; defaults (unsaved) for the programs without."""
    ids = set(program_ids)
    rules = {r.program_id: r for r in WarningRules.objects.filter(program_id__in=ids)}
    return {pk: rules.get(pk) or WarningRules(program_id=pk) for pk in ids}


def expected_periods(project: Project, *, through: str) -> list[str]:
    """The months up to ``through`` for which ``project`` owes a monthly report (see the module docstring).

    Reads ``project.pairing.program``: select it with the project.
    """
    if project.stage not in STAGES_NEEDING_SIGNING or project.signed_date is None:
        return []
    program = project.pairing.program
    first = max(period_add(period_of(project.signed_date), 1), period_of(program.start_date))
    last = through
    if program.end_date is not None:
        last = min(last, period_of(program.end_date))
    return periods_between(first, last)


def _submitted_periods(reports: Iterable[ProgressReport]) -> set[str]:
    return {report.period for report in reports if report.first_submitted_at is not None}


def overdue_periods(
    project: Project, *, rules: WarningRules, today: dt.date, reports: Iterable[ProgressReport]
) -> list[str]:
    """The months whose report is overdue on ``today``, oldest first."""
    submitted = _submitted_periods(reports)
    through = last_overdue_period(today, due_day=rules.report_due_day)
    return [period for period in expected_periods(project, through=through) if period not in submitted]


# --- Classification --------------------------------------------------------------------------------------------------


def periods_text(periods: Sequence[str]) -> str:
    """Months for people: a run of three or more consecutive months as a range ("2025-04 to 2025-09")."""
    runs: list[list[str]] = []
    for period in periods:
        if runs and period_add(runs[-1][-1], 1) == period:
            runs[-1].append(period)
        else:
            runs.append([period])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(_("%(first)s to %(last)s") % {"first": run[0], "last": run[-1]})
        else:
            parts.extend(run)
    return ", ".join(parts)


def _pct(value: Decimal) -> str:
    return f"{value.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)}"


@dataclass(frozen=True)
class InvestmentProgress:
    actual_pct: Decimal
    expected_pct: Decimal

    @property
    def behind_pct(self) -> Decimal:
        return self.expected_pct - self.actual_pct


def investment_progress(project: Project, *, today: dt.date) -> InvestmentProgress | None:
    """Completed investment as a share of the plan, and the straight-line share expected by ``today`` between the
    planned start and production dates; None when the plan does not say (no dates, no planned investment) or the
    planned start is still ahead."""
    start, end = project.planned_start_date, project.planned_production_date
    planned = project.planned_investment
    if start is None or end is None or not planned or planned <= 0 or today <= start:
        return None
    span = (end - start).days
    elapsed = Decimal(min((today - start).days, span)) / Decimal(span) if span > 0 else Decimal(1)
    return InvestmentProgress(
        actual_pct=Decimal(project.completed_investment) * HUNDRED / Decimal(planned),
        expected_pct=elapsed * HUNDRED,
    )


def classify(
    project: Project, *, rules: WarningRules, today: dt.date, reports: Iterable[ProgressReport]
) -> tuple[str, list[dict[str, str]]]:
    """The colour of an active project on ``today`` and every reason for it, worst first.

    ``reports`` are the project's progress reports (only ``period`` and ``first_submitted_at`` are read);
    ``project.pairing.program`` must be loaded. Touches no database otherwise.
    """
    found: list[tuple[str, int, str, str]] = []  # colour, rule order, code, text

    def add(colour: str, order: int, code: str, text: str) -> None:
        found.append((colour, order, code, text))

    # 0. The provincial officers' own assessment (the project's health).
    if project.health == Health.STALLED:
        add(WarningColour.RED, 0, ReasonCode.MARKED_STALLED, _("Marked as stalled by the provincial office."))
    elif project.health == Health.LAGGING:
        add(WarningColour.YELLOW, 0, ReasonCode.MARKED_LAGGING, _("Marked as lagging by the provincial office."))

    # 1. Signed and not started.
    if project.stage == Stage.SIGNED and project.signed_date is not None:
        colour = None
        if today > add_months(project.signed_date, rules.red_signed_not_started_months):
            colour = WarningColour.RED
        elif today > add_months(project.signed_date, rules.yellow_signed_not_started_months):
            colour = WarningColour.YELLOW
        if colour is not None:
            months = whole_months_between(project.signed_date, today)
            text = ngettext(
                "Signed %(months)d month ago (%(date)s) and not yet under construction.",
                "Signed %(months)d months ago (%(date)s) and not yet under construction.",
                months,
            ) % {"months": months, "date": project.signed_date.isoformat()}
            add(colour, 1, ReasonCode.SIGNED_NOT_STARTED, text)

    # 2. Monthly reports overdue.
    overdue = overdue_periods(project, rules=rules, today=today, reports=reports)
    colour = None
    if len(overdue) >= rules.red_overdue_reports:
        colour = WarningColour.RED
    elif overdue and len(overdue) >= rules.yellow_overdue_reports:
        colour = WarningColour.YELLOW
    if colour is not None:
        text = ngettext(
            "%(count)d monthly report overdue: %(periods)s.",
            "%(count)d monthly reports overdue: %(periods)s.",
            len(overdue),
        ) % {"count": len(overdue), "periods": periods_text(overdue)}
        add(colour, 2, ReasonCode.REPORTS_OVERDUE, text)

    # 3. Production late.
    planned_production = project.planned_production_date
    if (
        project.stage in BEFORE_PRODUCTION
        and planned_production is not None
        and today > add_months(planned_production, rules.red_production_late_months)
    ):
        months = whole_months_between(planned_production, today)
        text = ngettext(
            "Planned production date %(date)s passed %(months)d month ago and not yet in production.",
            "Planned production date %(date)s passed %(months)d months ago and not yet in production.",
            months,
        ) % {"date": planned_production.isoformat(), "months": months}
        add(WarningColour.RED, 3, ReasonCode.PRODUCTION_LATE, text)

    # 4. Investment behind plan.
    if project.stage in BEFORE_PRODUCTION:
        progress = investment_progress(project, today=today)
        if progress is not None and progress.behind_pct > rules.yellow_investment_behind_pct:
            text = _(
                "Completed investment is %(actual)s%% of plan against %(expected)s%% expected by now "
                "(%(behind)s points behind)."
            ) % {
                "actual": _pct(progress.actual_pct),
                "expected": _pct(progress.expected_pct),
                "behind": _pct(progress.behind_pct),
            }
            add(WarningColour.YELLOW, 4, ReasonCode.INVESTMENT_BEHIND, text)

    if not found:
        return WarningColour.BLUE, [{"code": ReasonCode.ON_TRACK, "text": _("On track.")}]
    found.sort(key=lambda item: (SEVERITY[item[0]], item[1]))
    return found[0][0], [{"code": code, "text": text} for _colour, _order, code, text in found]


# --- Refresh ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RefreshResult:
    checked: int  # active projects classified
    created: int  # first warnings
    updated: int  # rows rewritten (colour, reasons or the day checked)
    unchanged: int  # rows already up to date (a second run on the same day)
    removed: int  # warnings of terminated projects deleted
    colour_changes: int  # WarningChange rows recorded (first classifications included)
    by_colour: dict[str, int] = field(default_factory=dict)


# Projects classified per batch: their submitted months and warning rows are read for the batch alone, so memory
# stays flat whatever the number of projects, and each write statement stays small (a ``bulk_update`` of every row
# at once is one UPDATE with a CASE of that many branches per column, which PostgreSQL plans for minutes).
REFRESH_BATCH = 2000
WRITE_BATCH = 500


class _ReportDates(NamedTuple):
    """What ``classify`` reads of a progress report."""

    period: str
    first_submitted_at: dt.datetime | None


def _projects_for_warnings(program: Program | None, project_id: int | None = None) -> QuerySet[Project]:
    projects = Project.objects.live().select_related("pairing__program").order_by("pk")
    if program is not None:
        projects = projects.filter(pairing__program=program)
    if project_id is not None:
        projects = projects.filter(pk=project_id)
    return projects


def submitted_reports(reports: QuerySet[ProgressReport]) -> dict[int, list[_ReportDates]]:
    """The submitted months of each project among ``reports``, read as tuples (no model instances: a million reports
    nationally), as ``classify`` and ``overdue_periods`` read them."""
    found: dict[int, list[_ReportDates]] = defaultdict(list)
    submitted = reports.filter(first_submitted_at__isnull=False).order_by()
    for project_id, period, first_submitted_at in submitted.values_list("project_id", "period", "first_submitted_at"):
        found[project_id].append(_ReportDates(period, first_submitted_at))
    return found


def _rewrite_warnings(rows: Sequence[ProjectWarning]) -> None:
    """Store the new colour, reasons, since and day of ``rows``, ``WRITE_BATCH`` at a time. On PostgreSQL one
    ``UPDATE … FROM (VALUES …)`` per batch: ``bulk_update`` builds a CASE per column with a branch per row, and
    building and planning it took most of a refresh's time."""
    fields = ["colour", "reasons", "since", "checked_on"]
    if connection.vendor != "postgresql":
        ProjectWarning.objects.bulk_update(rows, fields, batch_size=WRITE_BATCH)
        return
    table = ProjectWarning._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            values = ", ".join(["(%s::bigint, %s, %s::jsonb, %s::date, %s::date)"] * len(batch))
            params = [
                value
                for row in batch
                for value in (row.pk, row.colour, json.dumps(row.reasons), row.since, row.checked_on)
            ]
            cursor.execute(
                f"UPDATE {table} AS w SET colour = v.colour, reasons = v.reasons, since = v.since, "
                f"checked_on = v.checked_on FROM (VALUES {values}) AS v(id, colour, reasons, since, checked_on) "
                "WHERE w.id = v.id",
                params,
            )


@transaction.atomic
def warnings_refresh(
    *, today: dt.date | None = None, program: Program | None = None, project_id: int | None = None
) -> RefreshResult:
    """Classify every active project (of ``program``, or of every program) as on ``today`` and store the result.

    A row is written only when its colour, reasons or day checked differ; a change of colour (the first
    classification included, from "") is recorded in ``WarningChange``. Run twice on the same day, the second run
    writes nothing. A row already checked on a later day than ``today`` is left alone, so a delayed run cannot
    overwrite a newer result. Runs in one transaction under an advisory lock on PostgreSQL, so two runs at once take
    turns. Projects are read in batches of ``REFRESH_BATCH`` in key order: a constant number of queries per batch,
    and rows whose colour and reasons are unchanged get their new day in one ``UPDATE`` per batch. ``project_id``
    narrows the run to that one project (``project_warning_refresh``).
    """
    today = today or timezone.localdate()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WARNINGS_LOCK_KEY])

    projects = _projects_for_warnings(program, project_id)
    rules: dict[int, WarningRules] = {}
    checked = created = updated = unchanged = colour_changes = 0
    by_colour: dict[str, int] = defaultdict(int)
    last_pk = 0
    while True:
        batch = list(projects.filter(pk__gt=last_pk)[:REFRESH_BATCH])
        if not batch:
            break
        last_pk = batch[-1].pk
        ids = [project.pk for project in batch]
        missing = {project.pairing.program_id for project in batch} - rules.keys()
        if missing:
            rules.update(_rules_by_program(missing))
        reports = submitted_reports(ProgressReport.objects.filter(project_id__in=ids))
        existing = {row.project_id: row for row in ProjectWarning.objects.filter(project_id__in=ids)}

        to_create: list[ProjectWarning] = []
        to_update: list[ProjectWarning] = []
        checked_again: list[int] = []  # same colour and reasons, a new day
        changes: list[WarningChange] = []
        # Stored in the site's language whoever runs the refresh (see the module docstring).
        with translation.override(settings.LANGUAGE_CODE):
            for project in batch:
                colour, reasons = classify(
                    project, rules=rules[project.pairing.program_id], today=today, reports=reports.get(project.pk, ())
                )
                row = existing.get(project.pk)
                if row is not None and row.checked_on > today:
                    by_colour[row.colour] += 1
                    unchanged += 1
                    continue
                by_colour[colour] += 1
                previous = row.colour if row is not None else ""
                if previous != colour:
                    changes.append(
                        WarningChange(
                            project=project, from_colour=previous, to_colour=colour, reasons=reasons, changed_on=today
                        )
                    )
                if row is None:
                    to_create.append(
                        ProjectWarning(project=project, colour=colour, reasons=reasons, since=today, checked_on=today)
                    )
                elif (row.colour, row.reasons) == (colour, reasons):
                    if row.checked_on == today:
                        unchanged += 1
                    else:
                        checked_again.append(row.pk)
                else:
                    if previous != colour:
                        row.since = today
                    row.colour, row.reasons, row.checked_on = colour, reasons, today
                    to_update.append(row)

        if to_create:
            ProjectWarning.objects.bulk_create(to_create, batch_size=WRITE_BATCH)
        if to_update:
            _rewrite_warnings(to_update)
        if checked_again:
            ProjectWarning.objects.filter(pk__in=checked_again).update(checked_on=today)
        if changes:
            WarningChange.objects.bulk_create(changes, batch_size=WRITE_BATCH)
        checked += len(batch)
        created += len(to_create)
        updated += len(to_update) + len(checked_again)
        colour_changes += len(changes)

    terminated = ProjectWarning.objects.filter(project__health=Health.TERMINATED)
    if program is not None:
        terminated = terminated.filter(project__pairing__program=program)
    if project_id is not None:
        terminated = terminated.filter(project_id=project_id)
    removed, _per_model = terminated.delete()

    return RefreshResult(
        checked=checked,
        created=created,
        updated=updated,
        unchanged=unchanged,
        removed=removed,
        colour_changes=colour_changes,
        by_colour={colour: by_colour.get(colour, 0) for colour in WarningColour.values},
    )


def project_warning_refresh(*, project_id: int, today: dt.date | None = None) -> RefreshResult:
    """Classify one project now, after an officer changed what its colour depends on (its health); a second call
    on the same day writes nothing."""
    return warnings_refresh(today=today, project_id=project_id)


# --- Reminders -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reminder:
    project: Project
    period: str
    kind: str
    due: dt.date


def _reminders_due(projects: Sequence[Project], rules: dict[int, WarningRules], today: dt.date) -> list[_Reminder]:
    """The (project, month, kind) reminders that apply on ``today``, before checking what was already sent."""
    this_month = period_of(today)
    last_month = period_add(this_month, -1)
    found = []
    for project in projects:
        project_rules = rules[project.pairing.program_id]
        submitted = _submitted_periods(project.reports.all())
        expected = set(expected_periods(project, through=this_month))
        for period in (last_month, this_month):
            if period not in expected or period in submitted:
                continue
            due = report_due_date(period, due_day=project_rules.report_due_day)
            if today > due:
                kind = ReminderKind.OVERDUE
            elif (due - today).days <= project_rules.reminder_days_before_due:
                kind = ReminderKind.DUE
            else:
                continue
            found.append(_Reminder(project=project, period=period, kind=kind, due=due))
    return found


def _reminder_email(user, reminders: list[_Reminder]) -> tuple[str, str]:
    """Subject and body of one liaison's email, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        count = len({r.project.pk for r in reminders})
        subject = ngettext(
            "Monthly progress report reminder: %(count)d project",
            "Monthly progress report reminders: %(count)d projects",
            count,
        ) % {"count": count}
        lines = [
            _("Hello %(name)s,") % {"name": user.get_full_name() or user.get_username()},
            "",
            _("These monthly progress reports need your attention:"),
            "",
        ]
        for reminder in reminders:
            values = {
                "code": reminder.project.code,
                "name": reminder.project.name,
                "period": reminder.period,
                "due": reminder.due.isoformat(),
            }
            if reminder.kind == ReminderKind.OVERDUE:
                lines.append(
                    _("- %(code)s %(name)s: the report for %(period)s was due by %(due)s and has not been submitted.")
                    % values
                )
            else:
                lines.append(_("- %(code)s %(name)s: the report for %(period)s is due by %(due)s.") % values)
        lines += [
            "",
            _("Please fill in and submit the reports on the liaison pages of the tracker."),
            "",
            _("Strong-county / weak-county industrial assistance tracker (sent automatically, do not reply)"),
        ]
        return subject, "\n".join(lines)


def reminders_send(*, today: dt.date | None = None) -> int:
    """Email each liaison about the reports of their county's projects that are due soon or overdue; one email per
    liaison. Returns the number of emails sent. Each reminder is sent once: run twice, the second run sends nothing.

    A liaison's reminders are recorded and the email handed over in one transaction: if the mail server refuses,
    nothing is recorded and the next run tries again. A liaison without an email address is skipped (and reminded
    once they have one).
    """
    today = today or timezone.localdate()
    this_month = period_of(today)
    periods = [period_add(this_month, -1), this_month]
    reports = ProgressReport.objects.filter(period__in=periods).only("id", "project_id", "period", "first_submitted_at")
    projects = list(
        Project.objects.live()
        .filter(stage__in=STAGES_NEEDING_SIGNING)
        .select_related("pairing__program")
        .prefetch_related(Prefetch("reports", queryset=reports))
        .order_by("code")
    )
    rules = _rules_by_program(p.pairing.program_id for p in projects)
    pending = _reminders_due(projects, rules, today)
    if not pending:
        return 0

    liaisons: dict[str, list] = defaultdict(list)
    memberships = (
        Membership.objects.filter(
            role=Role.LIAISON, county_id__in={r.project.county_id for r in pending}, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__username")
    )
    for membership in memberships:
        liaisons[membership.county_id].append(membership.user)
    already_sent = set(
        ReportReminder.objects.filter(project_id__in={r.project.pk for r in pending}, period__in=periods).values_list(
            "project_id", "period", "kind", "recipient_id"
        )
    )

    by_user: dict[int, tuple[Any, list[_Reminder]]] = {}
    for reminder in pending:
        for user in liaisons.get(reminder.project.county_id, []):
            if (reminder.project.pk, reminder.period, reminder.kind, user.pk) in already_sent:
                continue
            by_user.setdefault(user.pk, (user, []))[1].append(reminder)

    sent = 0
    for user, reminders in by_user.values():
        reminders.sort(key=lambda r: (r.kind != ReminderKind.OVERDUE, r.project.code, r.period))
        subject, body = _reminder_email(user, reminders)
        try:
            with transaction.atomic():
                ReportReminder.objects.bulk_create(
                    [ReportReminder(project=r.project, period=r.period, kind=r.kind, recipient=user) for r in reminders]
                )
                send_mail(subject, body, None, [user.email])
        except IntegrityError:
            # Another run recorded (and sends) these reminders at the same moment.
            continue
        except (SMTPException, OSError):
            logger.exception("Reminder email to %s failed; it is tried again on the next run.", user.email)
            continue
        sent += 1
    return sent


# --- Reporting rates -------------------------------------------------------------------------------------------------


def rate_pct(part: int, whole: int) -> Decimal | None:
    """``part`` as a percentage of ``whole`` at full precision; None when nothing was expected."""
    if not whole:
        return None
    return Decimal(part) * HUNDRED / Decimal(whole)


@dataclass(frozen=True, kw_only=True)
class ReportingFigures:
    expected: int  # reports owed for the month
    submitted: int  # of those, submitted at least once (at any time)
    on_time: int  # of those, first submitted by the due day

    @property
    def late(self) -> int:
        return self.submitted - self.on_time

    @property
    def missing(self) -> int:
        return self.expected - self.submitted

    @property
    def timeliness_pct(self) -> Decimal | None:
        return rate_pct(self.on_time, self.expected)

    @property
    def completeness_pct(self) -> Decimal | None:
        return rate_pct(self.submitted, self.expected)


@dataclass(frozen=True, kw_only=True)
class CountyReportingRate(ReportingFigures):
    county: Region
    period: str
    due_date: dt.date


def reporting_rates(*, program: Program, period: str) -> list[CountyReportingRate]:
    """Timeliness and completeness of ``period``'s monthly reports, one row per location county with active
    projects in ``program`` (by adcode; rates are None where no report was expected). Three queries."""
    due_day = warning_rules_for(program).report_due_day
    due = report_due_date(period, due_day=due_day)
    reports = ProgressReport.objects.filter(period=period).only("id", "project_id", "period", "first_submitted_at")
    projects = (
        Project.objects.live()
        .filter(pairing__program=program)
        .select_related("county", "pairing__program")
        .prefetch_related(Prefetch("reports", queryset=reports))
        .order_by("county_id", "pk")
    )
    counties: dict[str, Region] = {}
    counts: dict[str, list[int]] = {}
    for project in projects:
        counties.setdefault(project.county_id, project.county)
        tally = counts.setdefault(project.county_id, [0, 0, 0])
        if period not in expected_periods(project, through=period):
            continue
        tally[0] += 1
        report = next(iter(project.reports.all()), None)
        if report is None or report.first_submitted_at is None:
            continue
        tally[1] += 1
        if timezone.localtime(report.first_submitted_at).date() <= due:
            tally[2] += 1
    return [
        CountyReportingRate(
            county=counties[adcode],
            period=period,
            due_date=due,
            expected=expected,
            submitted=submitted,
            on_time=on_time,
        )
        for adcode, (expected, submitted, on_time) in sorted(counts.items())
    ]


def reporting_rates_total(rows: Iterable[ReportingFigures]) -> ReportingFigures:
    """The sum of some rows of ``reporting_rates``."""
    rows = list(rows)
    return ReportingFigures(
        expected=sum(r.expected for r in rows),
        submitted=sum(r.submitted for r in rows),
        on_time=sum(r.on_time for r in rows),
    )
