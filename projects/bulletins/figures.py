"""What a monthly bulletin says: the figures of one program for one month, read at once and stored as JSON (see the
package's docstring), and what a page shows beside them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from common.periods import MONTH_RE, month_before, month_of
from pairing.models import Pairing, PairingStatus, Program, Region
from validation.selectors import warning_count

from ..models import (
    Health,
    ProgressReport,
    Project,
    ProjectWarning,
    Stage,
    WarningColour,
)
from ..selectors import CLASSIFIED_FIELDS, submitted_months, warning_rules_for
from ..warnings import (
    ReportingFigures,
    add_months,
    overdue_periods,
    report_due_date,
    reporting_rates,
    reporting_rates_total,
    whole_months_between,
)

RATE_PLACES = Decimal("0.000001")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
FIGURES_VERSION = 1
# What the figures read of a project (with its pairing and county, looked up): its row, its tally and its warnings.
PROJECT_FIELDS = ("code", "name", "pairing", "county", "is_sample", *CLASSIFIED_FIELDS)

# The document is Chinese whatever the reader's language, like the other workbooks of the tracker.
STAGE_TITLES = {
    Stage.PIPELINE: "储备",
    Stage.SIGNED: "签约",
    Stage.STARTED: "开工",
    Stage.PRODUCING: "投产",
    Stage.AT_CAPACITY: "达效",
}
COLOUR_TITLES = {WarningColour.RED: "红牌", WarningColour.YELLOW: "黄牌", WarningColour.BLUE: "蓝牌"}
PAIRING_STATUS_TITLES = {PairingStatus.ACTIVE: "在帮扶", PairingStatus.SUSPENDED: "暂停", PairingStatus.ENDED: "已结束"}


# --- Periods ---------------------------------------------------------------------------------------------------------


def period_title(period: str) -> str:
    """'2025-09' → '2025年9月'."""
    year, month = period.split("-")
    return f"{year}年{int(month)}月"


def bulletin_period_check(*, program: Program, period: str, today: dt.date) -> None:
    """A bulletin is made for a well-formed month of the program's life that has begun."""
    if not MONTH_RE.match(period or ""):
        raise ValidationError({"period": _("Enter the month as YYYY-MM, e.g. 2025-09.")})
    if period > month_of(today):
        raise ValidationError({"period": _("The month %(period)s has not begun yet.") % {"period": period}})
    if period < month_of(program.start_date):
        raise ValidationError(
            {
                "period": _("The program starts in %(start)s; there is nothing to report for %(period)s.")
                % {"start": month_of(program.start_date), "period": period}
            }
        )


def bulletin_filename(*, program: Program, period: str) -> str:
    return f"bulletin-{program.code}-{period}.xlsx"


# --- Figures (the selector) ------------------------------------------------------------------------------------------


def _money(amount: Decimal) -> str:
    return str(Decimal(amount).quantize(Decimal("0.01")))


def _rate(part: Decimal | int, whole: Decimal | int) -> str | None:
    """``part`` as a percentage of ``whole`` (six places), None when the whole is nothing."""
    if not whole:
        return None
    return str((Decimal(part) * HUNDRED / Decimal(whole)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP))


def _pct(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(RATE_PLACES, rounding=ROUND_HALF_UP))


@dataclass
class _Tally:
    """Projects and investment of a pairing or of the program."""

    projects: int = 0
    stages: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Stage.values, 0))
    stalled: int = 0
    terminated: int = 0
    planned: Decimal = ZERO
    completed: Decimal = ZERO

    def add(self, project: Project) -> None:
        if project.health == Health.TERMINATED:
            self.terminated += 1
            return
        self.projects += 1
        self.stages[project.stage] += 1
        if project.health == Health.STALLED:
            self.stalled += 1
        self.planned += project.planned_investment
        self.completed += project.completed_investment

    def as_dict(self) -> dict[str, Any]:
        return {
            "projects": self.projects,
            "stages": dict(self.stages),
            "stalled": self.stalled,
            "terminated": self.terminated,
            "planned_investment": _money(self.planned),
            "completed_investment": _money(self.completed),
            "completion_rate_pct": _rate(self.completed, self.planned),
        }


def _pairing_label(pairing: Pairing) -> str:
    return f"{pairing.strong_county.name} → {pairing.weak_county.name}"


def _project_row(project: Project) -> dict[str, Any]:
    return {
        "code": project.code,
        "name": project.name,
        "county": project.county.name,
        "county_adcode": project.county_id,
        "pairing": _pairing_label(project.pairing),
        "is_sample": project.is_sample,
    }


def bulletin_figures(*, program: Program, period: str, today: dt.date | None = None) -> dict[str, Any]:
    """The figures of ``program``'s bulletin for month ``period`` as of ``today`` (see the module docstring), ready
    to be stored as JSON. Reads only; ten queries whatever the number of pairings, projects and reports."""
    today = today or timezone.localdate()
    rules = warning_rules_for(program)
    report_period = month_before(period)
    due_date = report_due_date(report_period, due_day=rules.report_due_day)

    # Each project's pairing and county are looked up here rather than joined: a national program has thousands of
    # projects and few pairings and counties, and a model instance per joined row cost most of the figures' time.
    pairings = list(program.pairings.select_related("strong_county", "weak_county").order_by("weak_county_id", "pk"))
    pairing_by_pk = {pairing.pk: pairing for pairing in pairings}
    projects = list(Project.objects.filter(pairing__program=program).only(*PROJECT_FIELDS).order_by("code"))
    counties = Region.objects.in_bulk({project.county_id for project in projects})
    for project in projects:
        project.pairing = pairing_by_pk[project.pairing_id]
        project.county = counties[project.county_id]
    submitted = submitted_months(
        ProgressReport.objects.filter(project__pairing__program=program, period__lte=report_period)
    )
    by_pk = {project.pk: project for project in projects}

    tallies = {pairing.pk: _Tally() for pairing in pairings}
    total = _Tally()
    signed_not_started: list[dict[str, Any]] = []
    overdue: list[dict[str, Any]] = []
    threshold = rules.red_signed_not_started_months
    for project in projects:
        tallies[project.pairing_id].add(project)
        total.add(project)
        if project.health == Health.TERMINATED:
            continue
        if (
            project.stage == Stage.SIGNED
            and project.signed_date is not None
            and today > add_months(project.signed_date, threshold)
        ):
            signed_not_started.append(
                {
                    **_project_row(project),
                    "signed_date": project.signed_date.isoformat(),
                    "months": whole_months_between(project.signed_date, today),
                    "planned_investment": _money(project.planned_investment),
                }
            )
        # Reports due after month P are left to the next bulletin, even when this one is generated late.
        missing = [
            month
            for month in overdue_periods(
                project, rules=rules, today=today, submitted=submitted.get(project.pk, frozenset())
            )
            if month <= report_period
        ]
        if missing:
            overdue.append({**_project_row(project), "months": len(missing), "periods": missing})
    signed_not_started.sort(key=lambda row: (-row["months"], row["code"]))
    overdue.sort(key=lambda row: (-row["months"], row["code"]))

    warned: dict[str, list[dict[str, Any]]] = {WarningColour.RED: [], WarningColour.YELLOW: []}
    colour_counts = dict.fromkeys(WarningColour.values, 0)
    classified: set[int] = set()
    for project_id, colour, reasons, since, checked_on in (
        ProjectWarning.objects.filter(project__pairing__program=program)
        .order_by("project__code")
        .values_list("project_id", "colour", "reasons", "since", "checked_on")
    ):
        colour_counts[colour] += 1
        classified.add(project_id)
        if colour in warned:
            warned[colour].append(
                {
                    **_project_row(by_pk[project_id]),
                    "reasons": [
                        {"code": str(reason.get("code", "")), "text": str(reason.get("text", ""))}
                        for reason in reasons or []
                    ],
                    "since": since.isoformat(),
                    "checked_on": checked_on.isoformat(),
                }
            )
    unclassified = sum(
        1 for project in projects if project.health != Health.TERMINATED and project.pk not in classified
    )

    rates = reporting_rates(program=program, period=report_period)
    rates_total = reporting_rates_total(rates)

    return {
        "version": FIGURES_VERSION,
        "program": {"id": program.pk, "code": program.code, "name": program.name},
        "period": period,
        "as_of": today.isoformat(),
        "report_period": report_period,
        "report_due_date": due_date.isoformat(),
        "rules": {"signed_not_started_months": threshold, "report_due_day": rules.report_due_day},
        "stages": list(Stage.values),
        "pairings": [
            {
                "id": pairing.pk,
                "strong_county": pairing.strong_county.name,
                "strong_adcode": pairing.strong_county_id,
                "weak_county": pairing.weak_county.name,
                "weak_adcode": pairing.weak_county_id,
                "status": pairing.status,
                "is_sample": pairing.is_sample,
                **tallies[pairing.pk].as_dict(),
            }
            for pairing in pairings
        ],
        "totals": {
            "pairings": len(pairings),
            **total.as_dict(),
            "warnings": {**colour_counts, "unclassified": unclassified},
            "signed_not_started": len(signed_not_started),
            "overdue_projects": len(overdue),
            "overdue_reports": sum(row["months"] for row in overdue),
            "reporting": _reporting_row(rates_total),
            # The validation rules' warnings on the month's reports (validation.RuleOutcome).
            "rule_warnings": warning_count(program_id=program.pk, period=report_period),
        },
        "signed_not_started": signed_not_started,
        "red": warned[WarningColour.RED],
        "yellow": warned[WarningColour.YELLOW],
        "overdue": overdue,
        "reporting": [
            {"county": rate.county.name, "adcode": rate.county.adcode, **_reporting_row(rate)} for rate in rates
        ],
    }


def _reporting_row(figures: ReportingFigures) -> dict[str, Any]:
    return {
        "expected": figures.expected,
        "submitted": figures.submitted,
        "on_time": figures.on_time,
        "late": figures.late,
        "missing": figures.missing,
        "timeliness_pct": _pct(figures.timeliness_pct),
        "completeness_pct": _pct(figures.completeness_pct),
    }


def bulletin_display(figures: dict[str, Any]) -> dict[str, Any]:
    """The stored figures with what a page needs beside them: Chinese titles and the stage columns in order."""
    stages = [(stage, STAGE_TITLES.get(stage, stage)) for stage in figures.get("stages", [])]
    return {
        **figures,
        "title": f"{figures['program']['name']} {period_title(figures['period'])}通报",
        "period_title": period_title(figures["period"]),
        "report_period_title": period_title(figures["report_period"]),
        "stage_titles": stages,
        "pairing_rows": [
            {
                **row,
                "label": f"{row['strong_county']} → {row['weak_county']}",
                "status_title": PAIRING_STATUS_TITLES.get(row["status"], row["status"]),
                "stage_counts": [row["stages"][stage] for stage, _title in stages],
            }
            for row in figures["pairings"]
        ],
        "total_stage_counts": [figures["totals"]["stages"][stage] for stage, _title in stages],
        "warning_rows": [
            {**row, "colour": colour, "colour_title": COLOUR_TITLES[colour]}
            for colour in (WarningColour.RED, WarningColour.YELLOW)
            for row in figures[colour]
        ],
    }
