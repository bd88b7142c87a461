"""The bulletin's Excel workbook, drawn from its stored figures alone, in the report workbooks' look of
``common.exports`` (``report_sheet``, ``report_row``).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from common.exports import HEADER_FONT, SheetColumn, report_row, report_sheet, spreadsheet_text
from common.money import WAN
from common.xlsx import save_workbook

from ..models import (
    Stage,
    WarningColour,
)
from .figures import COLOUR_TITLES, HUNDRED, PAIRING_STATUS_TITLES, STAGE_TITLES, ZERO, period_title

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

COLOUR_FILLS = {
    WarningColour.RED: PatternFill("solid", fgColor="F4CCCC"),
    WarningColour.YELLOW: PatternFill("solid", fgColor="FFF2CC"),
}


Column = SheetColumn


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


def _add_sheet(workbook: Workbook, title: str, columns: Sequence[Column]) -> Worksheet:
    return report_sheet(workbook, title, columns)


def _add_row(
    sheet: Worksheet,
    columns: Sequence[Column],
    values: Sequence[Any],
    *,
    total: bool = False,
    fill: PatternFill | None = None,
    wrap: bool = False,
) -> None:
    """A row of the bulletin: a warning's colour marks its first cell."""
    report_row(sheet, columns, values, total=total, marker=fill, wrap=wrap)


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
    save_workbook(bulletin_workbook(figures), buffer)
    return buffer.getvalue()
