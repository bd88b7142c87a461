"""The monthly bulletin (月通报): the figures of one program for one month, the Excel workbook built from them, and
the stored ``Bulletin`` that keeps both.

What a bulletin of month P says (DOMAIN §5):

- per pairing (strong → weak county): the projects by stage, the investment completed against the plan and the
  completion rate; program totals. Terminated projects (health ``terminated``) are counted apart and left out of
  the stage counts and the investment, as on the admin's overview;
- the projects signed more than ``red_signed_not_started_months`` [6] months ago and still not under construction;
- the red and yellow projects with their reasons, as ``ProjectWarning`` holds them;
- the monthly reports overdue, per project;
- the timeliness and completeness of the reports per location county.

The figures describe the program as it stands on the day the bulletin is generated (``as_of``): stages, investment
and warnings are current values, not a reconstruction of the past. The reporting figures cover the reports that
fell due during month P: the reports **of month P−1** (due by day ``report_due_day`` of P) for the rates, and the
reports of months up to P−1 for the overdue list. The reports of P itself are not due yet when the bulletin is made
on the 1st of P+1, so counting them would always show a program behind. Which reports are owed, and when one is
overdue, is decided by ``projects.warnings`` (the same rules as the yellow and red warnings).

Amounts in the figures are yuan as decimal strings; rates are percentages as decimal strings (six places), ``None``
where nothing was expected or planned. The workbook and the printable page are both drawn from the stored figures,
so they always agree.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from common.exports import spreadsheet_text
from common.money import WAN
from pairing.models import Pairing, PairingStatus, Program
from validation.selectors import warning_count

from .models import (
    Bulletin,
    Health,
    ProgressReport,
    Project,
    ProjectWarning,
    Stage,
    WarningColour,
)
from .warnings import (
    ReportingFigures,
    add_months,
    overdue_periods,
    period_add,
    period_of,
    report_due_date,
    reporting_rates,
    reporting_rates_total,
    submitted_reports,
    warning_rules_for,
    warnings_refresh,
    whole_months_between,
)

PERIOD_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
RATE_PLACES = Decimal("0.000001")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
FIGURES_VERSION = 1

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
    if not PERIOD_RE.match(period or ""):
        raise ValidationError({"period": _("Enter the month as YYYY-MM, e.g. 2025-09.")})
    if period > period_of(today):
        raise ValidationError({"period": _("The month %(period)s has not begun yet.") % {"period": period}})
    if period < period_of(program.start_date):
        raise ValidationError(
            {
                "period": _("The program starts in %(start)s; there is nothing to report for %(period)s.")
                % {"start": period_of(program.start_date), "period": period}
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
    to be stored as JSON. Reads only; nine queries whatever the number of pairings, projects and reports."""
    today = today or timezone.localdate()
    rules = warning_rules_for(program)
    report_period = period_add(period, -1)
    due_date = report_due_date(report_period, due_day=rules.report_due_day)

    pairings = list(
        Pairing.objects.filter(program=program)
        .select_related("strong_county", "weak_county")
        .order_by("weak_county_id", "pk")
    )
    projects = list(
        Project.objects.filter(pairing__program=program)
        .select_related("county", "pairing__program", "pairing__strong_county", "pairing__weak_county")
        .order_by("code")
    )
    submitted = submitted_reports(
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
            for month in overdue_periods(project, rules=rules, today=today, reports=submitted.get(project.pk, ()))
            if month <= report_period
        ]
        if missing:
            overdue.append({**_project_row(project), "months": len(missing), "periods": missing})
    signed_not_started.sort(key=lambda row: (-row["months"], row["code"]))
    overdue.sort(key=lambda row: (-row["months"], row["code"]))

    warned: dict[str, list[dict[str, Any]]] = {WarningColour.RED: [], WarningColour.YELLOW: []}
    colour_counts = dict.fromkeys(WarningColour.values, 0)
    classified: set[int] = set()
    for warning in (
        ProjectWarning.objects.filter(project__pairing__program=program)
        .only("project_id", "colour", "reasons", "since", "checked_on")
        .order_by("project__code")
    ):
        colour_counts[warning.colour] += 1
        classified.add(warning.project_id)
        if warning.colour in warned:
            warned[warning.colour].append(
                {
                    **_project_row(by_pk[warning.project_id]),
                    "reasons": [
                        {"code": str(reason.get("code", "")), "text": str(reason.get("text", ""))}
                        for reason in warning.reasons or []
                    ],
                    "since": warning.since.isoformat(),
                    "checked_on": warning.checked_on.isoformat(),
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


# --- Workbook --------------------------------------------------------------------------------------------------------

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YUAN_FORMAT = "#,##0.00"
WAN_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"
COUNT_FORMAT = "0"
DATE_FORMAT = "yyyy-mm-dd"
TOTAL_LABEL = "合计"
SAMPLE_NOTE = "示例数据"

SHEET_SUMMARY = "概览"
SHEET_PAIRINGS = "分结对进度"
SHEET_SIGNED = "签约未开工"
SHEET_WARNINGS = "红黄牌"
SHEET_OVERDUE = "逾期未报"
SHEET_REPORTING = "报送及时率"
SHEETS = (SHEET_SUMMARY, SHEET_PAIRINGS, SHEET_SIGNED, SHEET_WARNINGS, SHEET_OVERDUE, SHEET_REPORTING)

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FONT = Font(bold=True)
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
COLOUR_FILLS = {
    WarningColour.RED: PatternFill("solid", fgColor="F4CCCC"),
    WarningColour.YELLOW: PatternFill("solid", fgColor="FFF2CC"),
}


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    number_format: str | None = None


def _money_columns(header: str) -> list[Column]:
    """An amount in yuan and the same amount in 万元 beside it."""
    return [Column(f"{header}(元)", 18, YUAN_FORMAT), Column(f"{header}(万元)", 14, WAN_FORMAT)]


def _yuan(text: str) -> Decimal:
    return Decimal(text)


def _wan(text: str) -> Decimal:
    return Decimal(text) / WAN


def _fraction(pct: str | None) -> Decimal | None:
    """A stored percentage as the fraction Excel's percent format expects."""
    return None if pct is None else Decimal(pct) / HUNDRED


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _display_width(text: str) -> int:
    # CJK characters take two columns in Excel's default fonts.
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _add_sheet(workbook: Workbook, title: str, columns: Sequence[Column]) -> Worksheet:
    """A sheet with a bold header row that stays in view when scrolling."""
    sheet = workbook.create_sheet(title)
    sheet.append([column.header for column in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = max(column.width, _display_width(column.header) + 2)
    sheet.freeze_panes = "A2"
    return sheet


def _add_row(
    sheet: Worksheet,
    columns: Sequence[Column],
    values: Sequence[Any],
    *,
    total: bool = False,
    fill: PatternFill | None = None,
    wrap: bool = False,
) -> None:
    # Project, program and county names are typed by people: text that would run as a formula is escaped. The cells
    # are made and styled before they are appended: finding the new row again with ``sheet.max_row`` scans every
    # cell of the sheet, which made writing a sheet quadratic in its rows.
    cells = [Cell(sheet, value=spreadsheet_text(value)) for value in values]
    cells.extend(Cell(sheet) for _ in range(len(cells), len(columns)))
    for index, (column, cell) in enumerate(zip(columns, cells, strict=False), start=1):
        if column.number_format and cell.value is not None and not isinstance(cell.value, str):
            cell.number_format = column.number_format
        if total:
            cell.font = TOTAL_FONT
            cell.fill = TOTAL_FILL
        elif fill is not None and index == 1:
            cell.fill = fill
        if wrap:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.append(cells)


SUMMARY_COLUMNS = [Column("指标", 34), Column("数值", 20), Column("万元", 16), Column("说明", 48)]


def _summary_sheet(workbook: Workbook, figures: dict[str, Any]) -> None:
    sheet = _add_sheet(workbook, SHEET_SUMMARY, SUMMARY_COLUMNS)
    totals = figures["totals"]
    reporting = totals["reporting"]
    months = figures["rules"]["signed_not_started_months"]
    report_month = period_title(figures["report_period"])

    def line(label: str, value: Any, number_format: str | None = None, note: str = "", money: bool = False) -> None:
        values = (spreadsheet_text(label), spreadsheet_text(value), _wan(value) if money else None, note)
        cells = [Cell(sheet, value=item) for item in values]
        if number_format:
            cells[1].number_format = number_format
        if money:
            cells[2].number_format = WAN_FORMAT
        sheet.append(cells)

    line("帮扶计划", figures["program"]["name"])
    line("通报月份", period_title(figures["period"]))
    line("数据截至", _date(figures["as_of"]), DATE_FORMAT, "项目阶段、投资和红黄牌均为截至该日的情况")
    line("结对数", totals["pairings"], COUNT_FORMAT)
    line("项目数", totals["projects"], COUNT_FORMAT, "不含已终止项目")
    for stage in figures["stages"]:
        line(f"其中:{STAGE_TITLES[stage]}", totals["stages"][stage], COUNT_FORMAT)
    line("停滞项目", totals["stalled"], COUNT_FORMAT, "已计入上述各阶段")
    line("已终止项目", totals["terminated"], COUNT_FORMAT, "不计入项目数和投资")
    line("计划总投资(元)", _yuan(totals["planned_investment"]), YUAN_FORMAT, money=True)
    line("已完成投资(元)", _yuan(totals["completed_investment"]), YUAN_FORMAT, money=True)
    line("投资完成率", _fraction(totals["completion_rate_pct"]), PERCENT_FORMAT, "已完成投资 ÷ 计划总投资")
    warnings = totals["warnings"]
    line("红牌项目", warnings[WarningColour.RED], COUNT_FORMAT)
    line("黄牌项目", warnings[WarningColour.YELLOW], COUNT_FORMAT)
    line("蓝牌项目", warnings[WarningColour.BLUE], COUNT_FORMAT)
    if warnings["unclassified"]:
        line("尚未评定", warnings["unclassified"], COUNT_FORMAT)
    line(f"签约超过{months}个月未开工项目", totals["signed_not_started"], COUNT_FORMAT)
    line("逾期未报项目", totals["overdue_projects"], COUNT_FORMAT)
    line("逾期未报月报(份)", totals["overdue_reports"], COUNT_FORMAT, f"截至{report_month}的月报")
    line("校验规则提示(条)", totals.get("rule_warnings", 0), COUNT_FORMAT, f"{report_month}月报及统计数据")
    line(
        "报表月份",
        report_month,
        note=f"本月应报送{report_month}月报,截止日期 {figures['report_due_date']}",
    )
    line("应报月报(份)", reporting["expected"], COUNT_FORMAT)
    line("已报送(份)", reporting["submitted"], COUNT_FORMAT)
    line("按时报送(份)", reporting["on_time"], COUNT_FORMAT)
    line("报送及时率", _fraction(reporting["timeliness_pct"]), PERCENT_FORMAT, "截止日前首次报送 ÷ 应报")
    line("报送完整率", _fraction(reporting["completeness_pct"]), PERCENT_FORMAT, "已报送 ÷ 应报")
    for cell in sheet["A"][1:]:
        cell.font = HEADER_FONT


def _pairing_columns() -> list[Column]:
    return [
        Column("帮扶方(强县)", 14),
        Column("受帮扶方(弱县)", 14),
        Column("结对状态", 10),
        Column("项目数", 8, COUNT_FORMAT),
        *[Column(STAGE_TITLES[stage], 8, COUNT_FORMAT) for stage in Stage.values],
        Column("其中停滞", 8, COUNT_FORMAT),
        Column("已终止(不计入)", 10, COUNT_FORMAT),
        *_money_columns("计划总投资"),
        *_money_columns("已完成投资"),
        Column("投资完成率", 10, PERCENT_FORMAT),
        Column("备注", 10),
    ]


def _pairing_values(row: dict[str, Any], stages: Sequence[str]) -> list[Any]:
    return [
        row["projects"],
        *[row["stages"][stage] for stage in stages],
        row["stalled"],
        row["terminated"],
        _yuan(row["planned_investment"]),
        _wan(row["planned_investment"]),
        _yuan(row["completed_investment"]),
        _wan(row["completed_investment"]),
        _fraction(row["completion_rate_pct"]),
    ]


def _pairings_sheet(workbook: Workbook, figures: dict[str, Any]) -> None:
    columns = _pairing_columns()
    sheet = _add_sheet(workbook, SHEET_PAIRINGS, columns)
    for row in figures["pairings"]:
        _add_row(
            sheet,
            columns,
            [
                row["strong_county"],
                row["weak_county"],
                PAIRING_STATUS_TITLES.get(row["status"], row["status"]),
                *_pairing_values(row, figures["stages"]),
                SAMPLE_NOTE if row["is_sample"] else None,
            ],
        )
    _add_row(
        sheet,
        columns,
        [TOTAL_LABEL, None, None, *_pairing_values(figures["totals"], figures["stages"]), None],
        total=True,
    )


PROJECT_COLUMNS = [Column("项目编号", 16), Column("项目名称", 36), Column("所在县", 12), Column("结对", 20)]


def _project_values(row: dict[str, Any]) -> list[Any]:
    return [row["code"], row["name"], row["county"], row["pairing"]]


def _signed_sheet(workbook: Workbook, figures: dict[str, Any]) -> None:
    months = figures["rules"]["signed_not_started_months"]
    columns = [
        *PROJECT_COLUMNS,
        Column("签约日期", 12, DATE_FORMAT),
        Column("签约至今(月)", 12, COUNT_FORMAT),
        *_money_columns("计划总投资"),
    ]
    sheet = _add_sheet(workbook, SHEET_SIGNED, columns)
    rows = figures["signed_not_started"]
    for row in rows:
        _add_row(
            sheet,
            columns,
            [
                *_project_values(row),
                _date(row["signed_date"]),
                row["months"],
                _yuan(row["planned_investment"]),
                _wan(row["planned_investment"]),
            ],
        )
    planned = sum((Decimal(row["planned_investment"]) for row in rows), ZERO)
    _add_row(
        sheet,
        columns,
        [TOTAL_LABEL, f"签约超过{months}个月未开工 {len(rows)} 个", None, None, None, None, planned, planned / WAN],
        total=True,
    )


def _warnings_sheet(workbook: Workbook, figures: dict[str, Any]) -> None:
    columns = [
        Column("预警", 8),
        *PROJECT_COLUMNS,
        Column("预警原因", 60),
        Column("预警起始日", 12, DATE_FORMAT),
        Column("核查日", 12, DATE_FORMAT),
    ]
    sheet = _add_sheet(workbook, SHEET_WARNINGS, columns)
    for colour in (WarningColour.RED, WarningColour.YELLOW):
        for row in figures[colour]:
            _add_row(
                sheet,
                columns,
                [
                    COLOUR_TITLES[colour],
                    *_project_values(row),
                    "\n".join(reason["text"] for reason in row["reasons"]),
                    _date(row["since"]),
                    _date(row["checked_on"]),
                ],
                fill=COLOUR_FILLS[colour],
                wrap=True,
            )
    red, yellow = len(figures[WarningColour.RED]), len(figures[WarningColour.YELLOW])
    _add_row(
        sheet, columns, [TOTAL_LABEL, None, f"红牌 {red} 个,黄牌 {yellow} 个", None, None, None, None, None], total=True
    )


def _overdue_sheet(workbook: Workbook, figures: dict[str, Any]) -> None:
    columns = [*PROJECT_COLUMNS, Column("逾期月数", 10, COUNT_FORMAT), Column("逾期未报月份", 40)]
    sheet = _add_sheet(workbook, SHEET_OVERDUE, columns)
    rows = figures["overdue"]
    for row in rows:
        _add_row(sheet, columns, [*_project_values(row), row["months"], "、".join(row["periods"])], wrap=True)
    _add_row(
        sheet,
        columns,
        [TOTAL_LABEL, f"逾期未报项目 {len(rows)} 个", None, None, sum(row["months"] for row in rows), None],
        total=True,
    )


def _reporting_sheet(workbook: Workbook, figures: dict[str, Any]) -> None:
    columns = [
        Column("报表月份", 10),
        Column("县(市、区)", 14),
        Column("区划代码", 10),
        Column("应报", 8, COUNT_FORMAT),
        Column("已报", 8, COUNT_FORMAT),
        Column("按时报送", 10, COUNT_FORMAT),
        Column("逾期报送", 10, COUNT_FORMAT),
        Column("未报", 8, COUNT_FORMAT),
        Column("报送及时率", 10, PERCENT_FORMAT),
        Column("报送完整率", 10, PERCENT_FORMAT),
    ]
    sheet = _add_sheet(workbook, SHEET_REPORTING, columns)

    def values(row: dict[str, Any]) -> list[Any]:
        return [
            row["expected"],
            row["submitted"],
            row["on_time"],
            row["late"],
            row["missing"],
            _fraction(row["timeliness_pct"]),
            _fraction(row["completeness_pct"]),
        ]

    month = figures["report_period"]
    for row in figures["reporting"]:
        _add_row(sheet, columns, [month, row["county"], row["adcode"], *values(row)])
    _add_row(sheet, columns, [TOTAL_LABEL, None, None, *values(figures["totals"]["reporting"])], total=True)


def bulletin_workbook(figures: dict[str, Any]) -> Workbook:
    """The bulletin's workbook, drawn from its stored figures only."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = f"{figures['program']['name']} {period_title(figures['period'])}通报"
    _summary_sheet(workbook, figures)
    _pairings_sheet(workbook, figures)
    _signed_sheet(workbook, figures)
    _warnings_sheet(workbook, figures)
    _overdue_sheet(workbook, figures)
    _reporting_sheet(workbook, figures)
    return workbook


def bulletin_workbook_bytes(figures: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    bulletin_workbook(figures).save(buffer)
    return buffer.getvalue()


# --- Services --------------------------------------------------------------------------------------------------------


def bulletin_generate(
    *, program: Program, period: str, by: AbstractBaseUser | None = None, today: dt.date | None = None
) -> Bulletin:
    """Make (or make again) ``program``'s bulletin for month ``period``: bring the warnings up to date, compute the
    figures, write the workbook and keep both on the program's one ``Bulletin`` row for that month.

    Generating again replaces the stored workbook and figures. All database writes happen in one transaction; the
    previous workbook file is removed only once it has committed, so the row never points at a missing file. The
    reporting period is not closed here: closing a month is a decision people take.
    """
    today = today or timezone.localdate()
    bulletin_period_check(program=program, period=period, today=today)
    with transaction.atomic():
        warnings_refresh(today=today, program=program)
        figures = bulletin_figures(program=program, period=period, today=today)
        content = bulletin_workbook_bytes(figures)
        now = timezone.now()
        created = Bulletin.objects.get_or_create(program=program, period=period, defaults={"generated_at": now})[0]
        bulletin = Bulletin.objects.select_for_update().select_related("program").get(pk=created.pk)
        storage = bulletin.workbook.storage
        previous = bulletin.workbook.name
        bulletin.workbook.save(bulletin_filename(program=program, period=period), ContentFile(content), save=False)
        written = bulletin.workbook.name
        bulletin.summary = figures
        bulletin.generated_at = now
        bulletin.generated_by = by
        try:
            bulletin.save(update_fields=["workbook", "summary", "generated_at", "generated_by"])
        except Exception:
            storage.delete(written)
            raise
        if previous and previous != written:
            transaction.on_commit(lambda: storage.delete(previous))
    return bulletin


def _month_span(period: str) -> tuple[dt.date, dt.date]:
    year, month = (int(part) for part in period.split("-"))
    first = dt.date(year, month, 1)
    return first, add_months(first, 1) - dt.timedelta(days=1)


def bulletins_generate_monthly(*, today: dt.date | None = None) -> list[Bulletin]:
    """Last month's bulletin of every program running in that month (what the scheduled job does on the 1st).
    Each program's bulletin is its own transaction; running it twice replaces the bulletins with equal ones."""
    today = today or timezone.localdate()
    period = period_add(period_of(today), -1)
    first, last = _month_span(period)
    programs = Program.objects.filter(start_date__lte=last).exclude(end_date__lt=first).order_by("code")
    return [bulletin_generate(program=program, period=period, today=today) for program in programs]


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
