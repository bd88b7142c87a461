"""Tables written as CSV or Excel files: the API's list exports and the admin's changelist exports.

Both build a ``Table`` — columns with a stable name and a label in the reader's language, rows of plain values (text,
whole numbers, booleans, ``Decimal``) — and leave the file format to this module:

- CSV is UTF-8 with a byte-order mark, so Excel opens Chinese text correctly, and has one header row of column
  names.
- Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return, and not a plain number) is prefixed with an apostrophe, in CSV and in every workbook the tracker writes
  (``spreadsheet_text``: the one rule, also used by ``funds.exports`` and ``projects.bulletins``).
- XLSX has the column names in row 1, their labels in row 2 and the data from row 3, with the panes frozen below
  the labels. Text stays text (cell type string, number format ``@``), so adcodes and other codes keep every digit;
  money is numeric: yuan as ``#,##0.00``, 万元 with up to six decimals, exact to the fen.

Money columns hold yuan and are followed by a ``<name>_wan`` column in 万元 (``money_columns``, ``wan``).

``response`` sends a table as a download without holding it in memory: a CSV streams (``StreamingHttpResponse``,
written as its rows are read), a workbook is written row by row by openpyxl's write-only mode into a temporary file,
then sent from it. A table's rows may therefore be a generator reading the database in chunks.

Report workbooks (the monthly bulletin, the funds' workbooks) share one look: ``report_sheet`` adds a sheet with a
bold, tinted, frozen header row and widths that fit the headers; ``report_row`` appends a row of escaped values, numbers
in their column's format, a total row bold and grey.
"""

from __future__ import annotations

import copy
import csv
import functools
import io
import re
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import PatternFill
    from openpyxl.worksheet.worksheet import Worksheet

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
MEDIA_TYPES = {CSV: "text/csv", XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

# Column kinds: money in yuan, the same in 万元, and everything else (written as the value's own type).
VALUE = "value"
MONEY = "money"
WAN = "wan"

WAN_SUFFIX = "_wan"
YUAN_FORMAT = "#,##0.00"
WAN_FORMAT = "#,##0.00####"  # six places keep the fen: ¥0.01 is 0.000001 万元
TEXT_FORMAT = "@"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_SHEET_TITLE_UNSAFE = re.compile(r"[\[\]:*?/\\]")


# The cell styles of the workbooks: ``HEADER_FONT``, ``HEADER_FILL``, ``LABEL_FONT``, ``TOTAL_FONT``, ``TOTAL_FILL``
# and ``WRAP_TOP``, importable from this module like its other names. They are openpyxl objects, made when first
# asked for (``__getattr__``): openpyxl, with the lxml, Pillow and numpy it loads, adds some 20 MB and 0.4 s to every
# process that imports it, and most processes that import this module (the web and Celery workers load it with the
# admin) never write a workbook. The code that writes
# one imports openpyxl in the function that needs it. Each style is one object for the life of the process: a report
# row's look is cached by its fill's identity (``report_row``).
STYLE_NAMES = frozenset({"HEADER_FONT", "HEADER_FILL", "LABEL_FONT", "TOTAL_FONT", "TOTAL_FILL", "WRAP_TOP"})


@functools.cache
def _styles() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Font, PatternFill

    return {
        "HEADER_FONT": Font(bold=True),
        "HEADER_FILL": PatternFill("solid", fgColor="DDEBF7"),
        "LABEL_FONT": Font(italic=True, color="555555"),
        "TOTAL_FONT": Font(bold=True),
        "TOTAL_FILL": PatternFill("solid", fgColor="F2F2F2"),
        "WRAP_TOP": Alignment(vertical="top", wrap_text=True),
    }


def __getattr__(name: str) -> Any:
    if name in STYLE_NAMES:
        return _styles()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def max_rows(file_format: str, *, streamed: bool = True, background: bool = False) -> int:
    """The most rows one export may hold; beyond it the caller is asked to narrow the list.

    A streamed CSV (``streamed``: its rows read from the database in chunks as they are sent) holds at most
    ``EXPORT_MAX_STREAMED_ROWS``: its memory stays flat whatever its length, so the limit bounds how long one download
    keeps a worker and a database connection busy. A CSV whose rows must all be read before its first line (an API
    list whose columns may differ from row to row) holds at most ``EXPORT_MAX_ROWS``, and a workbook at most
    ``EXPORT_MAX_XLSX_ROWS``: it is complete only when its last row is written, within one request, and must be done
    before the server gives up on it.

    A workbook written by a worker (``background``: an export job, ``common.export_jobs``) is bounded by time alone
    when its rows are read in chunks (``EXPORT_JOB_MAX_ROWS``), and by ``EXPORT_MAX_ROWS`` when they are all read
    first. A CSV is never a job: its limit is the same either way."""
    if file_format == XLSX:
        if background:
            return settings.EXPORT_JOB_MAX_ROWS if streamed else settings.EXPORT_MAX_ROWS
        return min(settings.EXPORT_MAX_ROWS, settings.EXPORT_MAX_XLSX_ROWS)
    return settings.EXPORT_MAX_STREAMED_ROWS if streamed else settings.EXPORT_MAX_ROWS


# Told the number of rows written so far, every ``EXPORT_JOB_PROGRESS_EVERY`` rows and once at the end.
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Column:
    name: str  # stable, for machines: a field name, `parent.child`, or `<name>_wan`
    label: str  # for people, in the reader's language
    kind: str = VALUE


@dataclass
class Table:
    columns: list[Column]
    rows: Iterable[Sequence[Any]]  # one value per column


def money_columns(name: str, label: str) -> list[Column]:
    """An amount in yuan and, beside it, the same in 万元."""
    return [
        Column(name, gettext("%(label)s (yuan)") % {"label": label}, MONEY),
        Column(f"{name}{WAN_SUFFIX}", gettext("%(label)s (10,000 yuan)") % {"label": label}, WAN),
    ]


def wan(amount: Decimal | str | None) -> Decimal | None:
    """Yuan to 万元, exactly: a shift of the decimal point (¥1,234.56 → 0.123456)."""
    if amount is None or amount == "":
        return None
    return Decimal(amount).scaleb(-4)


def filename(stem: str, file_format: str) -> str:
    return f"{stem}-{timezone.localdate():%Y-%m-%d}.{file_format}"


def attachment(stem: str, file_format: str) -> str:
    """The ``Content-Disposition`` header of a download named ``<stem>-<today>.<format>``."""
    return content_disposition_header(as_attachment=True, filename=filename(stem, file_format))


def write(table: Table, file_format: str, *, title: str = "", progress: Progress | None = None) -> bytes:
    return write_xlsx(table, title=title, progress=progress) if file_format == XLSX else write_csv(table)


def spreadsheet_text(value: Any) -> Any:
    """``value`` as a spreadsheet cell may hold it: text a spreadsheet would run as a formula (``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return first, and not a plain number such as ``-1.5``) gets a leading apostrophe;
    anything else, text or not, is returned as it is.

    Every CSV and workbook cell written from text goes through here (formula injection: a name such as
    ``=HYPERLINK(…)`` typed by one user must not run in another's Excel). In a workbook the apostrophe also keeps
    openpyxl from storing the text as a formula, and the cell stays text when someone edits it.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return f"'{value}"
    return value


# --- CSV ---------------------------------------------------------------------------------------------------------


def csv_text(value: Any) -> str:
    """A value as the text of a CSV cell: empty for none, ``true``/``false``, decimals in plain notation."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return spreadsheet_text(value)
    return str(value)


def csv_chunks(table: Table) -> Iterator[str]:
    """The file line by line, the byte-order mark first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values: Iterable[str]) -> str:
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff"
    yield line(column.name for column in table.columns)
    for row in table.rows:
        yield line(csv_text(value) for value in row)


def write_csv(table: Table) -> bytes:
    return "".join(csv_chunks(table)).encode("utf-8")


def csv_blocks(table: Table, *, block_size: int = 64 * 1024) -> Iterator[bytes]:
    """The bytes of ``write_csv`` in blocks of about ``block_size``: the header at once (the first byte goes out
    before the rows are read), then the rows in blocks rather than a write to the client per line."""
    lines = csv_chunks(table)
    yield (next(lines) + next(lines)).encode("utf-8")  # the byte-order mark and the header
    block: list[str] = []
    size = 0
    for line in lines:
        block.append(line)
        size += len(line)
        if size >= block_size:
            yield "".join(block).encode("utf-8")
            block, size = [], 0
    if block:
        yield "".join(block).encode("utf-8")


# --- XLSX --------------------------------------------------------------------------------------------------------


def _sheet_title(title: str) -> str:
    return (_SHEET_TITLE_UNSAFE.sub("-", title) or "export")[:31]


class _SheetCells:
    """Makes the cells of one write-only sheet. openpyxl's cell class and its pattern of the characters XML cannot
    hold are looked up once per sheet: importing them in every call would add a fifth to each cell's time."""

    def __init__(self, sheet: Worksheet) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        self.sheet = sheet
        self._cell = WriteOnlyCell
        self._illegal = ILLEGAL_CHARACTERS_RE

    def text(self, text: str, **style) -> WriteOnlyCell:
        # Characters XML cannot hold (control characters) are dropped; openpyxl would refuse the whole file.
        cell = self._cell(self.sheet, value=spreadsheet_text(self._illegal.sub("", text)))
        # openpyxl would read "=…" as a formula and "#N/A" as an error: text is text.
        cell.data_type = "s"
        cell.number_format = TEXT_FORMAT
        for name, value in style.items():
            setattr(cell, name, value)
        return cell

    def number(self, amount: Decimal | str | None, number_format: str) -> WriteOnlyCell | None:
        if amount is None or amount == "":
            return None
        cell = self._cell(self.sheet, value=Decimal(amount))
        cell.number_format = number_format
        return cell

    def value(self, column: Column, value: Any) -> Any:
        if column.kind == MONEY:
            return self.number(value, YUAN_FORMAT)
        if column.kind == WAN:
            return self.number(value, WAN_FORMAT)
        if isinstance(value, str):
            return self.text(value)
        return value  # None, bool, int, float and Decimal as they are


def write_xlsx(table: Table, *, title: str = "", progress: Progress | None = None) -> bytes:
    buffer = io.BytesIO()
    _write_xlsx_into(buffer, table, title=title, progress=progress)
    return buffer.getvalue()


def _write_xlsx_into(file, table: Table, *, title: str = "", progress: Progress | None = None) -> None:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    styles = _styles()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    for index, column in enumerate(table.columns, start=1):
        width = max(len(column.name), len(column.label) * 2 if not column.label.isascii() else len(column.label))
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 10), 40)
    sheet.freeze_panes = "A3"
    cells = _SheetCells(sheet)
    header = {"font": styles["HEADER_FONT"], "fill": styles["HEADER_FILL"]}
    sheet.append([cells.text(column.name, **header) for column in table.columns])
    sheet.append([cells.text(column.label, font=styles["LABEL_FONT"]) for column in table.columns])
    every = settings.EXPORT_JOB_PROGRESS_EVERY if progress is not None else 0
    written = 0
    for row in table.rows:
        sheet.append([cells.value(column, value) for column, value in zip(table.columns, row, strict=True)])
        written += 1
        if every and written % every == 0:
            progress(written)
    workbook.save(file)
    if progress is not None:
        progress(written)


# --- Report workbooks ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetColumn:
    """A column of a report workbook: its header, its least width and the number format of its numbers."""

    header: str
    width: int
    number_format: str | None = None


def display_width(text: str) -> int:
    """Columns ``text`` takes in Excel's default fonts: CJK characters take two."""
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def report_sheet(workbook: Workbook, title: str, columns: Sequence[SheetColumn]) -> Worksheet:
    """A sheet with a bold, tinted header row that stays in view when scrolling, and widths that fit the headers."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    styles = _styles()
    sheet = workbook.create_sheet(title)
    sheet.append([column.header for column in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = styles["HEADER_FONT"]
        cell.fill = styles["HEADER_FILL"]
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = max(column.width, display_width(column.header) + 2)
    sheet.freeze_panes = "A2"
    return sheet


# The look of a report row's cells, per workbook, by what decides it. Setting a cell's font, fill, alignment or
# number format through openpyxl hashes the style and looks it up in the workbook's tables: for a bulletin of
# thousands of rows that was most of the time spent writing it. A cell that looks like one styled before takes that
# cell's style ids instead (openpyxl's own copy of a worksheet does the same). The fills are kept in the value, so
# the ``id`` in a key is never reused while the key is cached.
_ROW_LOOKS: weakref.WeakKeyDictionary[Workbook, dict[tuple, tuple[Any, ...]]] = weakref.WeakKeyDictionary()


def report_row(
    sheet: Worksheet,
    columns: Sequence[SheetColumn],
    values: Sequence[Any],
    *,
    total: bool = False,
    fill: PatternFill | None = None,
    marker: PatternFill | None = None,
    wrap: bool = False,
) -> None:
    """Append a row: text escaped (``spreadsheet_text``: names are typed by people), numbers in their column's
    format; a total row bold and grey, else ``fill`` on every cell or ``marker`` on the first (a row's colour).

    The cells are made and styled before they are appended: finding the new row again with ``sheet.max_row`` reads
    every cell of the sheet, which made writing a sheet quadratic in its rows."""
    from openpyxl.cell import Cell

    styles = _styles()
    looks = _ROW_LOOKS.setdefault(sheet.parent, {})
    cells = [Cell(sheet, value=spreadsheet_text(value)) for value in values]
    cells.extend(Cell(sheet) for _ in range(len(cells), len(columns)))
    for index, (column, cell) in enumerate(zip(columns, cells, strict=False), start=1):
        number_format = (
            column.number_format
            if column.number_format and cell.value is not None and not isinstance(cell.value, str)
            else None
        )
        cell_fill = None if total else fill if fill is not None else marker if index == 1 else None
        key = (number_format, total, id(cell_fill), wrap)
        look = looks.get(key)
        if look is not None:
            cell._style = copy.copy(look[0])
            continue
        if number_format:
            cell.number_format = number_format
        if total:
            cell.font = styles["TOTAL_FONT"]
            cell.fill = styles["TOTAL_FILL"]
        elif cell_fill is not None:
            cell.fill = cell_fill
        if wrap:
            cell.alignment = styles["WRAP_TOP"]
        looks[key] = (copy.copy(cell._style), cell_fill)
    sheet.append(cells)


# --- Responses ---------------------------------------------------------------------------------------------------


def response(
    table: Table, file_format: str, *, stem: str, progress: Progress | None = None
) -> StreamingHttpResponse | FileResponse:
    """``table`` as a download named ``<stem>-<today>.<format>``, never whole in memory: a CSV streams as its rows
    are read; a workbook is written into a temporary file (openpyxl's write-only mode keeps rows out of memory) and
    sent from it, telling ``progress`` how far it got (an export job's)."""
    if file_format == XLSX:
        file = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it once sent
        _write_xlsx_into(file, table, title=stem, progress=progress)
        file.seek(0)
        answer = FileResponse(file, content_type=MEDIA_TYPES[XLSX])
    else:
        answer = StreamingHttpResponse(csv_blocks(table), content_type=f"{MEDIA_TYPES[CSV]}; charset=utf-8")
    answer["Content-Disposition"] = attachment(stem, file_format)
    return answer
