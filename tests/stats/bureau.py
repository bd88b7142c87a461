"""The statistics bureau's wide table with every quirk, built as the bureau sends it (shared by the tests)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from pairing.factories import CityFactory, CountyFactory, ProvinceFactory

TITLE = "2025年全省各县（市、区）主要经济指标"
HEADER_TOP = ["县（市、区）", "地区生产总值", "", "一般公共预算收入", "", "税收收入", "", "固定资产投资"]
HEADER_BELOW = ["", "总量（亿元）", "增长（%）", "总量（万元）", "增长（%）", "总量（万元）", "增长（%）", "增长（%）"]
ROWS = [
    ["全省", "98765.4", "5.5", "48000000", "3.5", "36000000", "2.1", "3.2"],
    ["济南市", "13000.5", "6.1", "11000000", "4.0", "8800000", "3.0", "4.1"],
    ["  历下区", "2500.25", "6.3", "1800000", "5.1", "1500000", "4.4", "-2.5"],
    ["  市中区", "1600", "5.9", "900000.5", "4.2", "700000", "—", "1.5"],
    ["  济南高新区", "1200", "7.0", "800000", "6.0", "600000", "5.0", "8.0"],
    ["枣庄市", "2200", "5.0", "1700000", "3.0", "1300000", "2.0", "2.2"],
    ["  市中", "400", "4.8", "200000", "2.0", "150000", "1.0", "0.5"],
    ["  台儿庄", "250.5", "5.2", "120000", "2.5", "90000", "1.5", "6.0"],
]


def regions() -> None:
    ProvinceFactory()
    CityFactory(adcode="370100", name="济南市")
    CountyFactory(adcode="370102", name="历下区", parent__adcode="370100", parent__name="济南市")
    CountyFactory(adcode="370103", name="市中区", parent__adcode="370100", parent__name="济南市")
    CityFactory(adcode="370400", name="枣庄市")
    CountyFactory(adcode="370402", name="市中区")
    CountyFactory(adcode="370405", name="台儿庄区")


def xlsx_bytes(rows=ROWS, *, title: str = TITLE) -> bytes:
    """Two title rows, a two-row header whose indicator and name cells are merged, then the rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER_TOP))
    sheet.append(["", "", "", "", "", "", "", "数据来源：省统计局"])
    sheet.append(HEADER_TOP)
    sheet.append(HEADER_BELOW)
    sheet.merge_cells("A3:A4")
    sheet.merge_cells("B3:C3")
    sheet.merge_cells("D3:E3")
    sheet.merge_cells("F3:G3")
    sheet.merge_cells("H3:H4")
    sheet["H3"] = "固定资产投资增长（%）"
    for row in rows:
        sheet.append([_typed(cell) for cell in row])
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def csv_bytes(rows=ROWS, *, title: str = TITLE, encoding: str = "utf-8-sig") -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow([title])
    top = list(HEADER_TOP)
    top[7] = "固定资产投资增长（%）"
    writer.writerow(top)
    writer.writerow([*HEADER_BELOW[:7], ""])
    writer.writerows(rows)
    return stream.getvalue().encode(encoding)


def _typed(cell: str):
    """Numbers as Excel holds them (the bureau's cells are numbers, not text)."""
    try:
        return float(cell) if "." in cell else int(cell)
    except ValueError:
        return cell
