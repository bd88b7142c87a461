"""Red / yellow / blue: which monthly reports a project owes, which are overdue, and the colour and reasons of a
project on a day (the rules are in the package's docstring).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.periods import ONE_PLACE, month_add, month_of, months_between

from ..models import (
    STAGES_NEEDING_SIGNING,
    Health,
    ProgressReport,
    Project,
    Stage,
    WarningColour,
    WarningRules,
)

SEVERITY = {WarningColour.RED: 0, WarningColour.YELLOW: 1, WarningColour.BLUE: 2}
# Stages in which the plan's construction dates are still ahead of the project.
BEFORE_PRODUCTION = (Stage.SIGNED, Stage.STARTED)
HUNDRED = Decimal(100)


class ReasonCode:
    SIGNED_NOT_STARTED = "signed_not_started"
    REPORTS_OVERDUE = "reports_overdue"
    PRODUCTION_LATE = "production_late"
    INVESTMENT_BEHIND = "investment_behind"
    ON_TRACK = "on_track"
    MARKED_STALLED = "marked_stalled"
    MARKED_LAGGING = "marked_lagging"


# --- Months ----------------------------------------------------------------------------------------------------------


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
    year, month = (int(part) for part in month_add(period, 1).split("-"))
    return dt.date(year, month, due_day)


def last_overdue_period(today: dt.date, *, due_day: int) -> str:
    """The latest month whose report is overdue on ``today`` if it is missing (its due day has passed)."""
    this_month = month_of(today)
    return month_add(this_month, -1 if today.day > due_day else -2)


# --- Rules -----------------------------------------------------------------------------------------------------------


def expected_periods(project: Project, *, through: str) -> list[str]:
    """The months up to ``through`` for which ``project`` owes a monthly report (see the module docstring).

    Reads ``project.pairing.program``: select it with the project.
    """
    if project.stage not in STAGES_NEEDING_SIGNING or project.signed_date is None:
        return []
    program = project.pairing.program
    first = _first_expected_period(project.signed_date, program.start_date)
    last = through
    if program.end_date is not None:
        last = min(last, month_of(program.end_date))
    return months_between(first, last)


def _first_expected_period(signed_date: dt.date, program_start: dt.date) -> str:
    return max(month_add(month_of(signed_date), 1), month_of(program_start))


def owes_report(
    *, stage: str, signed_date: dt.date | None, program_start: dt.date, program_end: dt.date | None, period: str
) -> bool:
    """Whether a project (its stage and signing date, its program's dates) owes the report of month ``period``:
    ``period in expected_periods(project, through=period)``, from the values alone and without listing the months
    (the reporting rates ask it of every project of a program)."""
    if stage not in STAGES_NEEDING_SIGNING or signed_date is None:
        return False
    if program_end is not None and period > month_of(program_end):
        return False
    return _first_expected_period(signed_date, program_start) <= period


def _submitted_periods(reports: Iterable[ProgressReport]) -> set[str]:
    return {report.period for report in reports if report.first_submitted_at is not None}


def overdue_periods(
    project: Project,
    *,
    rules: WarningRules,
    today: dt.date,
    reports: Iterable[ProgressReport] = (),
    submitted: AbstractSet[str] | None = None,
) -> list[str]:
    """The months whose report is overdue on ``today``, oldest first. What was submitted is read from the project's
    ``reports``, or given as the set of ``submitted`` months (``projects.selectors.submitted_months``)."""
    if submitted is None:
        submitted = _submitted_periods(reports)
    through = last_overdue_period(today, due_day=rules.report_due_day)
    return [period for period in expected_periods(project, through=through) if period not in submitted]


# --- Classification --------------------------------------------------------------------------------------------------


def periods_text(periods: Sequence[str]) -> str:
    """Months for people: a run of three or more consecutive months as a range ("2025-04 to 2025-09")."""
    runs: list[list[str]] = []
    for period in periods:
        if runs and month_add(runs[-1][-1], 1) == period:
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
    project: Project,
    *,
    rules: WarningRules,
    today: dt.date,
    reports: Iterable[ProgressReport] = (),
    submitted: AbstractSet[str] | None = None,
) -> tuple[str, list[dict[str, str]]]:
    """The colour of an active project on ``today`` and every reason for it, worst first.

    ``reports`` are the project's progress reports (only ``period`` and ``first_submitted_at`` are read), or
    ``submitted`` the months it has submitted; ``project.pairing.program`` must be loaded. Touches no database
    otherwise.
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
    overdue = overdue_periods(project, rules=rules, today=today, reports=reports, submitted=submitted)
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
