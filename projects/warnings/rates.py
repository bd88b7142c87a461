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
from ..selectors import WARNING_FIELDS, projects_for_warnings, warning_rules_for
from .classification import expected_periods, report_due_date

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
    projects in ``program`` (by adcode; rates are None where no report was expected). Three queries, reading only
    the fields the rates need (a national program has thousands of projects)."""
    due_day = warning_rules_for(program).report_due_day
    due = report_due_date(period, due_day=due_day)
    first_submitted = dict(
        ProgressReport.objects.filter(
            project__pairing__program=program, period=period, first_submitted_at__isnull=False
        ).values_list("project_id", "first_submitted_at")
    )
    projects = (
        projects_for_warnings(program)
        .select_related("county")
        .only(*WARNING_FIELDS, "county")
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
        submitted_at = first_submitted.get(project.pk)
        if submitted_at is None:
            continue
        tally[1] += 1
        if timezone.localtime(submitted_at).date() <= due:
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
