"""Reporting rates per location county for one month: timeliness (first submitted by the due day) and completeness
(submitted at all), each against the reports expected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from common.periods import rate_pct
from pairing.models import Program, Region

from ..models import ProgressReport
from ..selectors import projects_for_warnings, warning_rules_for
from .classification import owes_report, report_due_date

# --- Reporting rates -------------------------------------------------------------------------------------------------


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
    projects in ``program`` (by adcode; rates are None where no report was expected). Four queries, reading only
    the values the rates need as tuples (a national program has thousands of projects, and a model instance per
    project, its pairing, program and county cost most of the rates' time)."""
    due_day = warning_rules_for(program).report_due_day
    due = report_due_date(period, due_day=due_day)
    first_submitted = dict(
        ProgressReport.objects.filter(
            project__pairing__program=program, period=period, first_submitted_at__isnull=False
        ).values_list("project_id", "first_submitted_at")
    )
    projects = projects_for_warnings(program).values_list(
        "pk", "county_id", "stage", "signed_date", "pairing__program__start_date", "pairing__program__end_date"
    )
    counts: dict[str, list[int]] = {}
    for project_id, county_id, stage, signed_date, program_start, program_end in projects:
        tally = counts.setdefault(county_id, [0, 0, 0])
        if not owes_report(
            stage=stage, signed_date=signed_date, program_start=program_start, program_end=program_end, period=period
        ):
            continue
        tally[0] += 1
        submitted_at = first_submitted.get(project_id)
        if submitted_at is None:
            continue
        tally[1] += 1
        if timezone.localtime(submitted_at).date() <= due:
            tally[2] += 1
    counties = Region.objects.in_bulk(list(counts))
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
