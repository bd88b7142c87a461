"""The month's workbook of a county liaison: one row per project owing a report, prefilled, filled in offline and
uploaded back.

Layout (one sheet, always in Chinese, whatever the page's language: it is passed on to people who fill it in)::

    row 1   填报月份 | 2025-10 | 县（市、区） | 台儿庄区
    row 2   how to fill it in
    row 3   the column headers (``COLUMNS``): the form's own labels, with their units
    row 4…  one project a row

The project's code, name, last report and the row's check code are locked (the sheet is protected, without a
password: protection is a guide, not the safeguard). The safeguard is the check code: an HMAC of the project, its
code, the month and the version of the month's report when the workbook was made, so a row moved to another project,
copied from another county's workbook or into another month's, or made stale by a change on the website since, is
refused by name.

Reading goes through ``stats.reading`` (the file's type and size are checked before it is read, the workbook's
unzipped size before it is opened, rows and columns as they are streamed); a second, bounded pass over the same
rows refuses formula cells, which that reader would see only as their cached values. Every cell is then checked by
``liaison.forms.ReportForm`` — exactly the form's rules — and saved by ``liaison.services.month_workbook_import``.
"""

from __future__ import annotations

import datetime as dt
import hmac
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import override

from common.exports import MEDIA_TYPES, TEXT_FORMAT, XLSX, spreadsheet_text
from common.periods import is_month
from projects.models import ProblemCategory, Project, Stage
from stats.reading import FileRejected, Limits, check_file, read_lines

from .forms import ReportForm, wan_text
from .selectors import WorkbookLine, month_initial

# openpyxl is imported by the functions that write or read a workbook, not with this module, which the liaison pages
# load in every web process: it adds some 20 MB to a process (common.exports).

SALT = "liaison.workbooks.row"
LANGUAGE = "zh-hans"
HEADER_ROW = 3
FIRST_ROW = HEADER_ROW + 1
# A county reports on tens of projects; a workbook of more rows than this is not one the tracker made. An upload is
# checked and saved within its request (about 50 ms a row on SQLite), so this also bounds how long it holds a worker.
MAX_ROWS = 300
MAX_BYTES = 5_000_000
MEDIA_TYPE = MEDIA_TYPES[XLSX]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what common.exports.spreadsheet_text defuses


@dataclass(frozen=True)
class Column:
    key: str  # a field of ``ReportForm``, or one of the workbook's own columns
    width: int
    editable: bool = True
    wan: bool = False  # an amount in 万元, written as a number


# The form's fields in the form's order, between the columns that say which project a row is about.
COLUMNS = [
    Column("code", 14, editable=False),
    Column("name", 30, editable=False),
    Column("last", 16, editable=False),
    Column("last_cumulative", 16, editable=False, wan=True),
    Column("stage", 12),
    Column("stage_back_reason", 20),
    Column("actual_start_date", 14),
    Column("actual_production_date", 14),
    Column("cumulative_investment", 18, wan=True),
    Column("month_investment", 18, wan=True),
    Column("jobs_created", 12),
    Column("output_value", 14, wan=True),
    Column("tax_paid", 14, wan=True),
    Column("problem_category", 20),
    Column("problems", 30),
    Column("check", 26, editable=False),
]
KEYS = [column.key for column in COLUMNS]
FORM_FIELDS = [key for key in KEYS if key in ReportForm.base_fields]


def _own_labels() -> dict[str, str]:
    return {
        "code": _("Project code"),
        "name": _("Project name"),
        "last": _("Last report"),
        "last_cumulative": _("Last reported cumulative investment (万元)"),
        "check": _("Check code (do not change)"),
    }


def column_labels() -> list[str]:
    """The header row in the active language: the form's labels for the form's fields."""
    own = _own_labels()
    return [own[key] if key in own else str(ReportForm.base_fields[key].label) for key in KEYS]


def _headers() -> list[str]:
    with override(LANGUAGE):
        return column_labels()


def row_check(*, project_id: int, code: str, period: str, version: int) -> str:
    """The check code of a project's row: ``<project>.<version>.<hmac>``."""
    digest = salted_hmac(SALT, f"{project_id}|{code}|{period}|{version}", algorithm="sha256").hexdigest()[:20]
    return f"{project_id}.{version}.{digest}"


def parse_check(text: str, *, code: str, period: str) -> tuple[int, int] | None:
    """The project and report version a check code vouches for, if it is one the tracker made for ``code`` and
    ``period``; None otherwise."""
    parts = text.strip().split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    project_id, version = int(parts[0]), int(parts[1])
    expected = row_check(project_id=project_id, code=code, period=period, version=version)
    return (project_id, version) if hmac.compare_digest(expected, text.strip()) else None


# --- Writing ------------------------------------------------------------------------------------------------------


def _date_text(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else ""


def _stage_text(value) -> str:
    return str(Stage(value).label) if value in Stage.values else ""


def _category_text(value) -> str:
    return str(ProblemCategory(value).label) if value in ProblemCategory.values else ""


def _values(line: WorkbookLine, period: str) -> dict[str, object]:
    """A row's cells: the month's report as it stands, or a new one prefilled from the last (``month_initial``)."""
    project, report, last = line.project, line.report, line.last
    if report is not None:
        source = {key: getattr(report, key) for key in FORM_FIELDS}
        version = report.version
    else:
        source = month_initial(project, period, last)
        version = 0
    values: dict[str, object] = {
        "code": project.code,
        "name": project.name,
        "last": f"{last.period} {last.get_status_display()}" if last is not None else "",
        "last_cumulative": last.cumulative_investment if last is not None else None,
        "check": row_check(project_id=project.pk, code=project.code, period=period, version=version),
    }
    for key in FORM_FIELDS:
        values[key] = source.get(key)
    values["stage"] = _stage_text(values["stage"])
    values["problem_category"] = _category_text(values["problem_category"])
    for key in ("actual_start_date", "actual_production_date"):
        values[key] = _date_text(values[key])
    return values


def _cell_value(column: Column, value):
    if column.wan:
        # The figure a person types, exactly (wan_text keeps the fen), as a number Excel can add up.
        return float(wan_text(value)) if value is not None and len(wan_text(value)) <= 15 else wan_text(value)
    if value is None:
        return None
    if isinstance(value, int):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # Characters XML cannot hold (control characters) are dropped: openpyxl would refuse the whole file.
    return spreadsheet_text(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def build_workbook(*, lines: list[WorkbookLine], period: str, county_name: str) -> bytes:
    """The month's workbook for ``lines`` (``liaison.selectors.workbook_lines``)."""
    with override(LANGUAGE):
        return _build(lines, period, county_name)


def _build(lines: list[WorkbookLine], period: str, county_name: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, PatternFill, Protection
    from openpyxl.utils import get_column_letter

    from common.exports import HEADER_FILL, HEADER_FONT

    locked_fill = PatternFill("solid", fgColor="EEEEEE")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = period
    locked = Protection(locked=True)
    unlocked = Protection(locked=False)

    sheet.append([_("Month reported"), period, _("County"), _cell_value(COLUMNS[0], county_name)])
    for cell in sheet[1]:
        cell.font = HEADER_FONT
        cell.number_format = TEXT_FORMAT
    sheet.append(
        [
            _(
                "How to fill it in: amounts in 万元 (up to six decimals); dates as YYYY-MM-DD; type figures, not "
                "formulas; do not change the grey cells. A project whose row is left as it was downloaded, with "
                "this month's investment empty, is not reported now. Upload the workbook on the liaison pages: "
                "nothing is saved unless every row is correct, and the reports are saved as drafts to check and "
                "submit."
            )
        ]
    )
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(COLUMNS))
    sheet.row_dimensions[2].height = 48
    sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.append(_headers())
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=index)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL if column.editable else locked_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.row_dimensions[HEADER_ROW].height = 36

    for line in lines:
        values = _values(line, period)
        sheet.append([_cell_value(column, values[column.key]) for column in COLUMNS])
        row = sheet.max_row
        for index, column in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=row, column=index)
            cell.protection = unlocked if column.editable else locked
            if not column.editable:
                cell.fill = locked_fill
            if column.wan:
                cell.number_format = "0.00####"
            elif isinstance(cell.value, str) or cell.value is None:
                cell.number_format = TEXT_FORMAT  # text stays text: dates, codes
    last_row = max(sheet.max_row, FIRST_ROW)
    _choices(sheet, "stage", [str(label) for label in Stage.labels], last_row)
    _choices(sheet, "problem_category", ["", *(str(label) for label in ProblemCategory.labels)], last_row)
    sheet.freeze_panes = sheet.cell(row=FIRST_ROW, column=KEYS.index("stage") + 1)
    sheet.protection.sheet = True
    sheet.protection.formatRows = False
    sheet.protection.deleteRows = False
    sheet.protection.formatColumns = False
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _choices(sheet, key: str, labels: list[str], last_row: int) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    names = ",".join(label for label in labels if label)
    validation = DataValidation(type="list", formula1=f'"{names}"', allow_blank=True)
    validation.error = _("Choose from the list.")
    validation.showErrorMessage = True
    letter = get_column_letter(KEYS.index(key) + 1)
    validation.add(f"{letter}{FIRST_ROW}:{letter}{last_row}")
    sheet.add_data_validation(validation)


# --- Reading ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    row: int
    column: str  # the header's label, or "" for the whole row
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("Row %(row)d %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}


class WorkbookRejected(Exception):
    """The workbook has errors: nothing was saved. ``errors`` names each bad cell."""

    def __init__(self, errors: list[CellError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


@dataclass
class Sheet:
    """An uploaded workbook, read: the month it is for and its project rows as text cells keyed by column."""

    period: str
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def label_of(key: str) -> str:
    """A column's header as the workbook has it, to name a cell in a message."""
    return _headers()[KEYS.index(key)]


def label_text(msgid: str) -> str:
    with override(LANGUAGE):
        return _(msgid)


def limits() -> Limits:
    base = Limits.from_settings()
    return Limits(
        max_bytes=min(base.max_bytes, MAX_BYTES),
        max_rows=min(base.max_rows, MAX_ROWS),
        max_columns=min(base.max_columns, len(COLUMNS) + 8),
        max_unzipped_bytes=min(base.max_unzipped_bytes, MAX_BYTES * 10),
    )


def read_workbook(stream: BinaryIO, filename: str) -> Sheet:
    """The rows of an uploaded month workbook, or ``WorkbookRejected`` naming what makes it unreadable: not an
    .xlsx, too large, not the tracker's layout, formula cells."""
    bounds = limits()
    try:
        if check_file(filename, _size(stream), bounds) != ".xlsx":
            raise WorkbookRejected([CellError(1, "", _("Upload the .xlsx workbook downloaded from this page."))])
        lines = list(read_lines(stream, filename, limits=bounds))
    except FileRejected as rejected:
        raise WorkbookRejected(
            [CellError(problem.line, "", problem.message) for problem in rejected.problems]
        ) from None
    stream.seek(0)
    formulas = list(_formula_cells(stream, last_line=lines[-1][0] if lines else 0))
    if formulas:
        raise WorkbookRejected(formulas)
    return _sheet(lines)


def _size(stream: BinaryIO) -> int:
    start = stream.tell()
    end = stream.seek(0, io.SEEK_END)
    stream.seek(start)
    return end - start


def _formula_cells(stream: BinaryIO, *, last_line: int) -> Iterator[CellError]:
    """Each formula cell of the first sheet. Runs after ``read_lines`` accepted the file, so the rows and columns
    are within the limits; it stops at the last line that reader saw all the same."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    workbook = load_workbook(stream, read_only=True, data_only=False)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        labels = _headers()
        for number, row in enumerate(sheet.iter_rows(max_row=last_line, max_col=len(COLUMNS) + 8), start=1):
            for index, cell in enumerate(row):
                if getattr(cell, "data_type", None) == "f":
                    column = (
                        labels[index] if number >= FIRST_ROW and index < len(labels) else get_column_letter(index + 1)
                    )
                    yield CellError(number, column, _("Type the figure itself, not a formula."))
    finally:
        workbook.close()


def _sheet(lines: list[tuple[int, list[str]]]) -> Sheet:
    from openpyxl.utils import get_column_letter

    by_number = dict(lines)
    first = by_number.get(1, [])
    period = first[1].strip() if len(first) > 1 else ""
    label = label_text("Month reported")
    if not is_month(period):
        raise WorkbookRejected([CellError(1, label, _("Enter the month as YYYY-MM, e.g. 2025-09."))])
    header = [cell.strip() for cell in by_number.get(HEADER_ROW, [])]
    if header[: len(COLUMNS)] != _headers() or any(header[len(COLUMNS) :]):
        raise WorkbookRejected(
            [CellError(HEADER_ROW, "", _("The columns are not those of the workbook downloaded from this page."))]
        )
    sheet = Sheet(period=period)
    for number, cells in lines:
        if number < FIRST_ROW or not any(cells):
            continue
        if len(cells) > len(COLUMNS):
            extra = next(i for i in range(len(COLUMNS), len(cells)) if cells[i])
            raise WorkbookRejected(
                [CellError(number, get_column_letter(extra + 1), _("Leave the cells right of the table empty."))]
            )
        cells = cells + [""] * (len(COLUMNS) - len(cells))
        sheet.rows.append((number, dict(zip(KEYS, cells, strict=True))))
    if not sheet.rows:
        raise WorkbookRejected([CellError(FIRST_ROW, "", _("The workbook has no project rows."))])
    return sheet


def _choice_values(choices) -> dict[str, str]:
    """A choice's value from its value or its label, in Chinese or in the page's language."""
    values: dict[str, str] = {}
    for value, label in choices:
        values[str(value)] = value
        values[str(label)] = value
        with override(LANGUAGE):
            values[str(label)] = value
    return values


def _unquoted(text: str) -> str:
    """Text as typed before ``spreadsheet_text`` defused it on the way out: "'=x" back to "=x" (what a person wrote
    is stored as it was; every later export defuses it again)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def form_data(cells: dict[str, str], *, period: str, version: int) -> dict[str, str]:
    """A row's cells as the data of ``ReportForm``, choices given by their labels turned into their values."""
    stages = _choice_values(Stage.choices)
    categories = _choice_values(ProblemCategory.choices)
    categories.update({"": "", _("None"): ""})
    with override(LANGUAGE):
        categories[_("None")] = ""
    data = {key: _unquoted(cells[key]) for key in FORM_FIELDS}
    data["stage"] = stages.get(cells["stage"], cells["stage"])
    data["problem_category"] = categories.get(cells["problem_category"], cells["problem_category"])
    for key in ("actual_start_date", "actual_production_date"):
        # A date cell comes back as YYYY-MM-DD; one typed with its time or as text is cut to the date.
        data[key] = cells[key][:10] if re.match(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", cells[key]) else cells[key]
    data["period"] = period
    data["version"] = str(version)
    return data


def _same(column: Column, typed: str, written) -> bool:
    if column.wan:
        try:
            return (Decimal(typed) if typed else None) == (Decimal(wan_text(written)) if written is not None else None)
        except InvalidOperation:
            return False
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return typed == ("" if written is None else str(spreadsheet_text(ILLEGAL_CHARACTERS_RE.sub("", str(written)))))


def untouched(cells: dict[str, str], line: WorkbookLine, period: str) -> bool:
    """The row is as the workbook was written for ``line`` and this month's investment is empty: the project is not
    reported on now. (A row with anything typed in it is checked, so a forgotten investment is named, not skipped.)"""
    if cells["month_investment"]:
        return False
    with override(LANGUAGE):
        written = _values(line, period)
    return all(_same(column, cells[column.key], written[column.key]) for column in COLUMNS if column.editable)


def report_form(cells: dict[str, str], *, project: Project, report, period: str, version: int) -> ReportForm:
    return ReportForm(form_data(cells, period=period, version=version), project=project, report=report, period=period)


def download_name(period: str) -> str:
    return f"progress-{period}.xlsx"
