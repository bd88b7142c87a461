"""Reading statistics and pairing files (.csv or .xlsx) into validated rows.

A file is checked whole before anything is written: every bad row is reported with its line number (the header is
line 1) and reason, and a file with any bad row imports nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import BinaryIO

from django.utils.translation import gettext as _

from pairing.models import Region, RegionLevel

from .models import Indicator, ReleaseKind
from .periods import is_period

INDICATOR_COLUMNS = ["region", "indicator", "period", "value", "growth_pct", "source"]
INDICATOR_OPTIONAL = ["release", "as_of"]
PAIRING_COLUMNS = ["program", "strong", "weak", "start_date", "source"]
RELEASE_ALIASES = {
    "": ReleaseKind.PRELIMINARY,
    "preliminary": ReleaseKind.PRELIMINARY,
    "初步核算": ReleaseKind.PRELIMINARY,
    "revised": ReleaseKind.REVISED,
    "修订": ReleaseKind.REVISED,
}


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return _("line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


class FileRejected(Exception):
    """The file has problems; nothing was imported."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class IndicatorRow:
    line: int
    region: str
    indicator: str
    period: str
    value: Decimal | None
    growth_pct: Decimal | None
    source: str
    release: str
    as_of: dt.date | None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.region, self.indicator, self.period, self.release)


@dataclass(frozen=True)
class PairingRow:
    line: int
    program: str
    strong: str
    weak: str
    start_date: dt.date
    source: str


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _cell_text(value) -> str:
    """An .xlsx cell as text. Adcodes typed as numbers (370405 or 370405.0) come back as '370405'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def read_table(stream: BinaryIO, filename: str) -> Table:
    """Rows of a .csv (UTF-8, with or without BOM, or GB18030 as Excel saves it in China) or the first sheet of an
    .xlsx, as dictionaries keyed by the lower-cased header."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(stream, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several types for a damaged file
            raise FileRejected([Problem(1, _("not a readable .xlsx file (%(error)s)") % {"error": exc})]) from exc
        sheet = workbook.worksheets[0]
        lines = [[_cell_text(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
    elif suffix == ".csv":
        raw = stream.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise FileRejected([Problem(1, _("the file is neither UTF-8 nor GB18030 text"))])
        lines = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise FileRejected([Problem(1, _("only .csv and .xlsx files can be imported"))])
    if not lines:
        raise FileRejected([Problem(1, _("the file is empty"))])
    header = [name.strip().lower() for name in lines[0]]
    while header and not header[-1]:
        header.pop()
    table = Table(header=header)
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cells):
            continue
        table.rows.append((number, {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}))
    return table


def _check_header(table: Table, required: list[str], optional: list[str]) -> None:
    if table.header[: len(required)] != required or any(name not in optional for name in table.header[len(required):]):
        expected = ",".join(required)
        raise FileRejected(
            [
                Problem(
                    1,
                    _("the header must be %(expected)s (optionally followed by %(optional)s), not %(found)s")
                    % {"expected": expected, "optional": ",".join(optional) or "—", "found": ",".join(table.header)},
                )
            ]
        )


def _decimal(text: str) -> Decimal:
    cleaned = text.replace(",", "").replace("，", "").strip()
    try:
        number = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not number.is_finite():
        raise ValueError(text)
    return number


def parse_indicator_rows(table: Table) -> list[IndicatorRow]:
    _check_header(table, INDICATOR_COLUMNS, INDICATOR_OPTIONAL)
    codes = {row["region"] for _, row in table.rows}
    known = set(Region.objects.filter(adcode__in=codes).values_list("adcode", flat=True))
    indicators = set(Indicator.values)
    problems: list[Problem] = []
    parsed: list[IndicatorRow] = []
    seen: dict[tuple, int] = {}
    for line, row in table.rows:
        reasons: list[str] = []
        region = row["region"]
        if region not in known:
            reasons.append(_("unknown region adcode %(code)r") % {"code": region})
        indicator = row["indicator"].lower()
        if indicator not in indicators:
            reasons.append(
                _("unknown indicator %(code)r (use one of %(codes)s)")
                % {"code": row["indicator"], "codes": ", ".join(Indicator.values)}
            )
        period = row["period"]
        if not is_period(period):
            reasons.append(_("period %(period)r is neither a year (2025) nor a month (2025-09)") % {"period": period})
        value = growth = None
        if row["value"]:
            try:
                value = _decimal(row["value"])
                if value < 0:
                    reasons.append(_("the value cannot be negative"))
            except ValueError:
                reasons.append(_("value %(text)r is not a number") % {"text": row["value"]})
        if row["growth_pct"]:
            try:
                growth = _decimal(row["growth_pct"].rstrip("%"))
                if growth <= -100:
                    reasons.append(_("a growth rate must be above -100%"))
            except ValueError:
                reasons.append(_("growth %(text)r is not a number") % {"text": row["growth_pct"]})
        if not row["value"] and not row["growth_pct"]:
            reasons.append(_("neither a value nor a growth rate is given"))
        release = RELEASE_ALIASES.get(row.get("release", "").lower())
        if release is None:
            reasons.append(_("release %(text)r must be preliminary or revised") % {"text": row["release"]})
        as_of = None
        if row.get("as_of"):
            try:
                as_of = dt.date.fromisoformat(row["as_of"])
            except ValueError:
                reasons.append(_("as_of %(text)r is not a date (YYYY-MM-DD)") % {"text": row["as_of"]})
        if reasons:
            problems.append(Problem(line, "; ".join(reasons)))
            continue
        parsed_row = IndicatorRow(line, region, indicator, period, value, growth, row["source"], release, as_of)
        if parsed_row.key in seen:
            problems.append(Problem(line, _("repeats line %(line)s") % {"line": seen[parsed_row.key]}))
            continue
        seen[parsed_row.key] = line
        parsed.append(parsed_row)
    if problems:
        raise FileRejected(problems)
    return parsed


def parse_pairing_rows(table: Table) -> list[PairingRow]:
    _check_header(table, PAIRING_COLUMNS, [])
    codes = {row[name] for _, row in table.rows for name in ("strong", "weak")}
    counties = set(
        Region.objects.filter(adcode__in=codes, level=RegionLevel.COUNTY).values_list("adcode", flat=True)
    )
    problems: list[Problem] = []
    parsed: list[PairingRow] = []
    for line, row in table.rows:
        reasons = []
        if not row["program"]:
            reasons.append(_("the program code is missing"))
        for name in ("strong", "weak"):
            if row[name] not in counties:
                reasons.append(
                    _("%(column)s %(code)r is not a county-level adcode") % {"column": name, "code": row[name]}
                )
        start = None
        try:
            start = dt.date.fromisoformat(row["start_date"])
        except ValueError:
            reasons.append(_("start_date %(text)r is not a date (YYYY-MM-DD)") % {"text": row["start_date"]})
        if not row["source"]:
            reasons.append(_("the source document is missing"))
        if reasons:
            problems.append(Problem(line, "; ".join(reasons)))
            continue
        parsed.append(PairingRow(line, row["program"], row["strong"], row["weak"], start, row["source"]))
    if problems:
        raise FileRejected(problems)
    return parsed
