"""Workbooks to fill in and import back: the templates of both statistics layouts, and the officers' statistics
workbook of a program for a period (a row per county, last period's figures beside the cells to fill).

Every workbook here is read back by the same import (``stats.wide`` / ``stats.importers``): the tests round-trip
them. Every text cell goes through ``common.exports.spreadsheet_text``.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING

from common.exports import spreadsheet_text
from common.periods import STAT_PERIOD_RE, same_period_year_before
from pairing.models import Program, Region, RegionLevel

from .models import Indicator
from .selectors import effective_values, program_counties

# openpyxl is imported by the functions that write a workbook, not with this module, which the statistics admin loads
# in every process: it adds some 20 MB to a process (common.exports).
if TYPE_CHECKING:
    from openpyxl import Workbook

# The bureau's name of each indicator, in the order of its tables, and the unit its levels are typed in.
WIDE_INDICATORS: list[tuple[str, str, str]] = [
    (Indicator.GDP, "地区生产总值", "亿元"),
    (Indicator.INDUSTRY_VA, "规模以上工业增加值", "亿元"),
    (Indicator.FAI, "固定资产投资", "亿元"),
    (Indicator.RETAIL, "社会消费品零售总额", "亿元"),
    (Indicator.GPBR, "一般公共预算收入", "万元"),
    (Indicator.TAX, "税收收入", "万元"),
    (Indicator.MAIN_TAX, "主体税收", "万元"),
    (Indicator.TRADE, "进出口总额", "万元"),
    (Indicator.INCOME_PC, "居民人均可支配收入", "元"),
]
UNIT_YUAN = {"亿元": Decimal(100_000_000), "万元": Decimal(10_000), "元": Decimal(1)}
WORKBOOK_UNIT = "万元"  # what officers type money in; income per person stays in 元


@functools.cache
def _styles() -> SimpleNamespace:
    from openpyxl.styles import Alignment, Font, PatternFill

    return SimpleNamespace(
        bold=Font(bold=True),
        head=PatternFill("solid", fgColor="DDEBF7"),
        reference=PatternFill("solid", fgColor="F2F2F2"),
        centre=Alignment(horizontal="center", vertical="center", wrap_text=True),
    )


def period_title(period: str) -> str:
    """2025 → 2025年; 2025-09 → 2025年1-9月 (as the bureau titles a year-to-date table)."""
    match = STAT_PERIOD_RE.match(period)
    if match is None:
        raise ValueError(f"Not a period: {period!r}")
    return f"{match['year']}年" + (f"1-{int(match['month'])}月" if match["month"] else "")


def _save(workbook: Workbook) -> bytes:
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def _notes(workbook: Workbook, lines: Sequence[str]) -> None:
    sheet = workbook.create_sheet("填表说明")
    sheet.column_dimensions["A"].width = 110
    for line in lines:
        sheet.append([spreadsheet_text(line)])


def _header(sheet, row: int, first: list[str], groups: list[tuple[str, list[str]]]) -> None:
    """A two-row header: ``first`` columns merged down, then each indicator merged across its sub-columns."""
    from openpyxl.utils import get_column_letter

    styles = _styles()
    column = 1
    for text in first:
        sheet.cell(row, column, spreadsheet_text(text))
        sheet.merge_cells(start_row=row, start_column=column, end_row=row + 1, end_column=column)
        column += 1
    for name, subs in groups:
        sheet.cell(row, column, spreadsheet_text(name))
        if len(subs) > 1:
            sheet.merge_cells(start_row=row, start_column=column, end_row=row, end_column=column + len(subs) - 1)
        for offset, sub in enumerate(subs):
            sheet.cell(row + 1, column + offset, spreadsheet_text(sub))
        column += len(subs)
    for cells in sheet.iter_rows(min_row=row, max_row=row + 1, max_col=column - 1):
        for cell in cells:
            cell.font, cell.fill, cell.alignment = styles.bold, styles.head, styles.centre
    for index in range(1, column):
        sheet.column_dimensions[get_column_letter(index)].width = 14
    sheet.freeze_panes = f"{get_column_letter(len(first) + 1)}{row + 2}"  # a cell() here would create a row


def _title(sheet, text: str, width: int) -> None:
    from openpyxl.styles import Font

    sheet.cell(1, 1, spreadsheet_text(text)).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)


# --- Templates ------------------------------------------------------------------------------------------------------


def long_template() -> bytes:
    """The long format: a row per region, indicator and period, the columns by their codes (the import's header),
    explained in Chinese on the second sheet."""
    from openpyxl import Workbook

    styles = _styles()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "统计数据"
    sheet.append(["region", "indicator", "period", "value", "growth_pct", "source", "release", "as_of"])
    sheet.append(["370000", "gdp", "2025", 9876540000000, 5.5, spreadsheet_text("2025年山东省统计公报"), "", ""])
    sheet.append(["370405", "fai", "2025-09", "", -2.5, spreadsheet_text("省统计局月报"), "revised", "2025-10-20"])
    for cell in sheet[1]:
        cell.font, cell.fill = styles.bold, styles.head
    indicators = "；".join(f"{code} = {name}" for code, name, _unit in WIDE_INDICATORS)
    _notes(
        workbook,
        [
            "统计数据导入模板（长表）：每行一个地区、一个指标、一个期别。第一行的列名不可改动。",
            "region：6位行政区划代码（省、市、县（市、区）均可，如 370000 山东省、370405 台儿庄区）。",
            f"indicator：指标代码。{indicators}。",
            "period：期别，全年填 2025，1-9月累计填 2025-09。",
            "value：总量，单位为元（人均可支配收入为元/人），不填单位、不用千分位以外的符号。",
            "growth_pct：增长率（%），如 5.5 表示增长5.5%，可为负数；总量与增长至少填一项。",
            "source：数据来源（统计公报、月报名称）。",
            "release：可不填（初步核算）；修订数据填 revised 或 修订。as_of：数据发布日期，如 2025-10-20，可不填。",
            "同一文件中任何一行有错，整个文件都不导入，并逐行列出需要改正之处。",
        ],
    )
    return _save(workbook)


def _wide_groups(reference: bool, unit: str | None = None) -> list[tuple[str, list[str]]]:
    groups = []
    for _code, name, own_unit in WIDE_INDICATORS:
        shown = "元" if own_unit == "元" else (unit or own_unit)
        subs = [f"总量（{shown}）", "增长（%）"]
        if reference:
            subs.insert(0, f"上年同期（{shown}）")
        groups.append((name, subs))
    return groups


def wide_template(*, province: Region, period: str) -> bytes:
    """The statistics bureau's layout: title, a two-row merged header, the province's row, then each city's
    subtotal row followed by its county-level units."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "主要经济指标"
    groups = _wide_groups(reference=False)
    width = 1 + sum(len(subs) for _name, subs in groups)
    _title(sheet, f"{period_title(period)}{province.name}各县（市、区）主要经济指标", width)
    _header(sheet, 2, ["县（市、区）"], groups)
    regions = list(Region.objects.within(province).only("adcode", "name", "level", "parent_id").order_by("adcode"))
    sheet.append([spreadsheet_text("全省")])
    for city in [r for r in regions if r.level == RegionLevel.CITY]:
        sheet.append([spreadsheet_text(city.name)])
        for county in [r for r in regions if r.level == RegionLevel.COUNTY and r.parent_id == city.adcode]:
            sheet.append([spreadsheet_text(f"  {county.name}")])
    sheet.column_dimensions["A"].width = 18
    _notes(
        workbook,
        [
            "统计局宽表模板：标题中的年份（如“2025年”或“2025年1-9月”）即数据期别，导入时也可另行指定期别。",
            "“全省”行为全省数据，各市行为该市合计，其下各县（市、区）按所属市解析（济南、枣庄的市中区各归其市）。",
            "县（市、区）名称可带或不带“县、区、市”，也可用统计局常用简称。开发区、高新区等功能区不是县级单位：",
            "导入时会列出这些行并拒绝整个文件，勾选“跳过无法识别的行”则导入其余各行并列出跳过的行。",
            "总量的单位以表头为准（亿元、万元、元），增长填百分数（如 5.5），未公布的留空或填“—”。",
        ],
    )
    return _save(workbook)


# --- The officers' statistics workbook ------------------------------------------------------------------------------


def statistics_workbook(*, program: Program, period: str) -> bytes:
    """A row per county-level unit of ``program`` for ``period``: its adcode and name, and for each indicator last
    period's level (grey, for reference: not imported), the level and the growth to fill in."""
    from openpyxl import Workbook

    styles = _styles()
    counties = list(program_counties(program).only("adcode", "name").order_by("adcode"))
    before = same_period_year_before(period)
    previous = {
        (value.region, value.indicator): value.value
        for value in effective_values(periods=[before], provinces=sorted({c.adcode[:2] + "0000" for c in counties}))
        if value.value is not None
    }
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "统计数据填报"
    groups = _wide_groups(reference=True, unit=WORKBOOK_UNIT)
    width = 2 + sum(len(subs) for _name, subs in groups)
    _title(sheet, f"{period_title(period)}{program.name}各县（市、区）统计数据填报表", width)
    _header(sheet, 2, ["区划代码", "县（市、区）"], groups)
    for county in counties:
        row = [county.adcode, spreadsheet_text(county.name)]
        for code, _name, own_unit in WIDE_INDICATORS:
            unit = "元" if own_unit == "元" else WORKBOOK_UNIT
            level = previous.get((county.adcode, code))
            row += [float(level / UNIT_YUAN[unit]) if level is not None else None, None, None]
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=4, max_row=3 + len(counties), min_col=3):
        for cell in cells[::3]:
            cell.fill = styles.reference
    sheet.column_dimensions["B"].width = 16
    _notes(
        workbook,
        [
            f"{program.name} {period_title(period)}统计数据填报表：每行一个县（市、区），"
            "请勿改动区划代码、标题和表头。",
            f"灰色的“上年同期”列为 {period_title(before)} 已入库的数据，仅供参考，导入时不读取。",
            "“总量”填本期数（货币单位为万元，人均可支配收入为元），“增长”填百分数（如 5.5）；未公布的留空。",
            "上传后系统逐格检查：任何一格有错则整个表格都不导入，并列出每个出错的单元格（如 D7）。",
        ],
    )
    return _save(workbook)
