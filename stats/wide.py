"""Reading the statistics bureau's wide tables into the same ``IndicatorRow`` objects as the long format.

A bureau table looks like this (one or two header rows, merged cells, title rows above)::

    2025年全省各县（市、区）主要经济指标
    县（市、区） | 地区生产总值         | 一般公共预算收入     | 固定资产投资
                 | 总量（亿元）| 增长（%）| 总量（万元）| 增长（%）| 增长（%）
    全省         | 98765.4     | 5.5      | …
    济南市       | …                                   (a city's subtotal: stored for the city)
    历下区       | …                                   (a county, resolved within the city above)
    济南高新区   | …                                   (no county-level unit: a problem, or skipped on request)

``read_indicator_file`` tells the layouts apart by the first line (the long format's header starts with
``region``), understands every column and row, and returns it all (``Understood``): the admin's preview shows it,
the import writes its rows through ``stats.services`` when nothing is wrong. Nothing here writes.

Problems name the cell (``D7``) as well as the line, so a workbook typed by hand can be corrected cell by cell.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from django.utils.translation import gettext as _

from common.periods import is_stat_period

from .importers import IndicatorRow, Table, _decimal, _stored, _upper_bound, _whole_digits, parse_indicator_rows
from .models import Indicator, ReleaseKind, StatValue
from .reading import FileRejected, Limits, Problem, Progress, read_lines
from .region_names import RegionNames

# The bureau's names of each indicator, most specific first (主体税收 before 税收收入, which it contains).
INDICATOR_NAMES: list[tuple[str, tuple[str, ...]]] = [
    (Indicator.MAIN_TAX, ("主体税收",)),
    (Indicator.GPBR, ("一般公共预算收入", "一般预算收入", "地方财政收入")),
    (Indicator.TAX, ("税收收入", "税收")),
    (Indicator.GDP, ("地区生产总值", "生产总值", "GDP")),
    (Indicator.FAI, ("固定资产投资", "固投")),
    (Indicator.INDUSTRY_VA, ("规模以上工业增加值", "规上工业增加值")),
    (Indicator.RETAIL, ("社会消费品零售总额", "社零额", "社会消费品零售额")),
    (Indicator.INCOME_PC, ("居民人均可支配收入", "人均可支配收入")),
    (Indicator.TRADE, ("进出口总额", "外贸进出口", "进出口")),
]
# The unit of a level column, read from its header, and what one of it is in yuan.
UNITS: list[tuple[str, Decimal]] = [("亿元", Decimal(100_000_000)), ("万元", Decimal(10_000)), ("元", Decimal(1))]
GROWTH_WORDS = ("增长", "增速", "增幅", "同比", "%")
REFERENCE_WORDS = ("上年", "上期", "去年")
# Columns of ranks and row numbers: shown in the preview, never imported (the tracker ranks the counties itself).
RANK_WORDS = ("位次", "排名", "排序", "名次", "序号")
ADCODE_HEADERS = ("区划代码", "行政区划代码", "代码", "ADCODE")
EMPTY_CELLS = {"", "-", "--", "—", "——", "…", "...", "/", "－"}

# The header is looked for in the first lines only: a file without one is refused before the rest is read.
HEADER_WITHIN = 50
# Lines read for the preview of a file imported in the background: its columns and first rows; the job checks
# the rest.
PREVIEW_LINES = 300

_CJK = re.compile(r"[\u3400-\u9fff]")
_PERIOD_IN_TITLE = re.compile(r"([12][0-9]{3})\s*年(?:\s*(?:1\s*[-—~～至]\s*)?([0-9]{1,2})\s*月)?")


@dataclass(frozen=True)
class Column:
    """How one column was understood. ``kind`` is name, adcode, level, growth, reference (last period's figure,
    not imported) or ignored."""

    letter: str
    header: str
    kind: str
    indicator: str = ""
    unit: str = ""
    factor: Decimal = Decimal(1)

    @property
    def indicator_label(self) -> str:
        return str(Indicator(self.indicator).label) if self.indicator else ""


@dataclass(frozen=True)
class UnderstoodRow:
    line: int
    name: str
    adcode: str
    region: str
    level: str
    figures: int


@dataclass
class Understood:
    """What a file was understood to hold. ``rows`` are the rows to import; ``problems`` make the file fail;
    ``skipped`` are the rows left out on request (``skip_unknown``)."""

    layout: str  # "long" or "wide"
    period: str = ""
    title: str = ""
    columns: list[Column] = field(default_factory=list)
    regions: list[UnderstoodRow] = field(default_factory=list)
    rows: list[IndicatorRow] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False

    def checked_rows(self) -> list[IndicatorRow]:
        """The rows to import, or ``FileRejected`` naming every problem."""
        if self.problems:
            raise FileRejected(sorted(self.problems, key=lambda problem: problem.line))
        return self.rows


def read_indicator_file(
    stream: BinaryIO,
    filename: str,
    *,
    period: str | None = None,
    skip_unknown: bool = False,
    progress: Progress | None = None,
    limits: Limits | None = None,
    max_lines: int | None = None,
) -> Understood:
    """Read a statistics file of either layout (bounded by ``limits``). ``period`` (2025, 2025-09) is the wide
    table's period, else it is read from the title; the long format carries its own. ``max_lines`` stops reading
    early (for a preview). ``FileRejected`` only for what stops the reading itself (size, limits, encoding)."""
    source = read_lines(stream, filename, limits=limits, progress=progress)
    # Closed however the reading ends (a file refused before its end leaves its lines unread).
    with closing(source):
        lines = list(_first(source, max_lines)) if max_lines is not None else source
        truncated = max_lines is not None and len(lines) >= max_lines
        iterator = iter(lines)
        first = next(iterator, None)
        if first is None:
            raise FileRejected([Problem(1, _("the file is empty"))])
        if _looks_long(first[1]):
            understood = _read_long(first, iterator)
        else:
            reader = _WideReader(
                period=period,
                skip_unknown=skip_unknown,
                filename=filename,
                max_figures=(limits or Limits.from_settings()).max_rows,
            )
            understood = reader.read(first, iterator)
    understood.truncated = truncated
    return understood


def _looks_long(cells: list[str]) -> bool:
    """The long format's header: column codes (region,indicator,…), never Chinese. A bureau table's first line is
    its title or a header naming the counties in Chinese."""
    filled = [cell for cell in cells if cell.strip()]
    if filled and filled[0].strip().lower() == "region":
        return True
    return len(filled) >= 2 and not any(_CJK.search(cell) for cell in filled)


def _first(lines: Iterator[tuple[int, list[str]]], count: int) -> Iterator[tuple[int, list[str]]]:
    for number, cells in lines:
        yield number, cells
        if number >= count:
            return


# --- The long format --------------------------------------------------------------------------------------------------


def _read_long(first: tuple[int, list[str]], lines) -> Understood:
    # openpyxl (some 20 MB) is imported where a file is read, not with this module (stats.reading).
    from openpyxl.utils import get_column_letter

    header = [name.strip().lower() for name in first[1]]
    table = Table(header=header)
    for number, cells in lines:
        if any(cells):
            table.rows.append((number, dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=False))))
    understood = Understood(
        layout="long",
        columns=[Column(get_column_letter(i + 1), name, "long") for i, name in enumerate(header)],
    )
    try:
        understood.rows = parse_indicator_rows(table)
    except FileRejected as exc:
        understood.problems = exc.problems
    return understood


# --- The wide tables --------------------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Full-width forms folded (（亿元） → (亿元), ％ → %) and every space removed: the bureau indents names."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def _indicator_in(text: str) -> str:
    upper = text.upper()
    for code, names in INDICATOR_NAMES:
        if any(name.upper() in upper for name in names):
            return code
    return ""


def _unit_in(text: str) -> tuple[str, Decimal] | None:
    for unit, factor in UNITS:
        if unit in text:
            return unit, factor
    return None


def _is_growth(text: str) -> bool:
    return any(word in text for word in GROWTH_WORDS)


class _WideReader:
    def __init__(self, *, period: str | None, skip_unknown: bool, filename: str, max_figures: int):
        # A wide row holds up to nine figures: the figures are bounded as the long format's rows are.
        self.max_figures = max_figures
        self.period_option = (period or "").strip()
        self.skip_unknown = skip_unknown
        self.filename = filename
        self.problems: list[Problem] = []
        self.skipped: list[Problem] = []
        self.default_unit: tuple[str, Decimal] | None = None

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(line, message))

    # The header ---------------------------------------------------------------------------------------------------

    def read(self, first: tuple[int, list[str]], lines) -> Understood:
        titles: list[str] = []
        header: tuple[int, list[str]] | None = None
        pending = [first]
        # Title rows come first; the header row is the first naming an indicator. (itertools.chain, not a
        # generator: leaving a generator's loop would close the file's lines with it.)
        for number, cells in itertools.chain(pending, lines):
            cleaned = [_clean(cell) for cell in cells]
            # A title may name an indicator too, but stands alone on its line (merged across the table).
            if sum(1 for cell in cleaned if cell) >= 2 and any(_indicator_in(cell) for cell in cleaned):
                header = (number, cleaned)
                break
            if any(cleaned):
                titles.append("".join(cell for cell in cleaned if cell))
            if number >= HEADER_WITHIN:
                break
        if header is None:
            raise FileRejected(
                [
                    Problem(
                        1,
                        _(
                            "no header row names an indicator (地区生产总值, 一般公共预算收入, …) and the first line "
                            "is not the long format's header (region,indicator,period,value,growth_pct,source)"
                        ),
                    )
                ]
            )
        title = " ".join(titles)
        # "单位：万元" under the title: the unit of level columns whose header names none.
        self.default_unit = next((_unit_in(text) for text in titles if "单位" in text and _unit_in(text)), None)
        understood = Understood(layout="wide", title=title[:255])
        understood.period = self._period(title, header[0])
        body = list(lines)
        second = None
        if body and self._is_sub_header(header[1], [_clean(cell) for cell in body[0][1]]):
            second = (body[0][0], [_clean(cell) for cell in body[0][1]])
            body = body[1:]
        # Empty lines after the last row (Excel keeps formatted rows) end the table; one inside it is a problem.
        while body and not any(cell.strip() for cell in body[-1][1]):
            body.pop()
        understood.columns = self._columns(header, second)
        if not any(column.kind in ("level", "growth") for column in understood.columns):
            self.problem(header[0], _("no column holds a level or a growth rate"))
        source = title or self.filename
        self._rows(understood, body, source[:255])
        understood.problems = self.problems
        understood.skipped = self.skipped
        return understood

    def _period(self, title: str, line: int) -> str:
        if self.period_option:
            if not is_stat_period(self.period_option):
                self.problem(
                    1,
                    _("period %(period)r is neither a year (2025) nor a month (2025-09)")
                    % {"period": self.period_option},
                )
            return self.period_option
        match = _PERIOD_IN_TITLE.search(title)
        if match:
            month = int(match[2]) if match[2] else 0
            period = match[1] + (f"-{month:02d}" if month else "")
            if is_stat_period(period):
                return period
        self.problem(1, _("the title names no period (2025年, 2025年1-9月): give the period (--period 2025)"))
        return ""

    def _is_sub_header(self, header: list[str], cells: list[str]) -> bool:
        """The line under the header is its second row when it names no indicator, no region, and says what the
        columns under a merged indicator hold (总量（亿元）, 增长（%）)."""
        if any(_indicator_in(cell) for cell in cells) or not any(cells):
            return False
        return all(
            not cell or _is_growth(cell) or _unit_in(cell) or _is_reference(cell) or _is_level(cell) or _is_rank(cell)
            for cell in cells
        )

    def _columns(self, header: tuple[int, list[str]], second: tuple[int, list[str]] | None) -> list[Column]:
        from openpyxl.utils import get_column_letter

        top = header[1]
        below = second[1] if second else []
        width = max(len(top), len(below))
        columns: list[Column] = []
        group = ""
        name_seen = False
        seen: dict[tuple[str, str], str] = {}
        for index in range(width):
            letter = get_column_letter(index + 1)
            own = top[index] if index < len(top) else ""
            sub = below[index] if index < len(below) else ""
            if own:
                group = own
            # A merged indicator spans the empty cells to its right, in the first row only.
            above = own or (group if sub else "")
            text = above + (f" / {sub}" if sub else "")
            indicator = _indicator_in(above)
            previous = columns[-1].indicator if columns else ""
            if not indicator and previous and own and not sub and (_is_growth(own) or _is_rank(own)):
                # One header row: 地区生产总值（亿元） | 增长（%） — the growth of the indicator to its left.
                indicator = previous
                text = f"{columns[-1].header.split(' / ')[0]} / {own}"
            if not indicator:
                if not above and not sub:
                    columns.append(Column(letter, "", "ignored"))
                elif any(word in above.upper() for word in ADCODE_HEADERS):
                    columns.append(Column(letter, text, "adcode"))
                elif _is_rank(above):
                    columns.append(Column(letter, text, "ignored"))
                elif not name_seen and not sub:
                    name_seen = True
                    columns.append(Column(letter, text, "name"))
                else:
                    columns.append(Column(letter, text, "ignored"))
                group = group if indicator else ""
                continue
            words = sub or own
            if _is_rank(words):
                columns.append(Column(letter, text, "ignored", indicator))
                continue
            if _is_growth(words):
                column = Column(letter, text, "growth", indicator, "%")
            elif _is_reference(words):
                column = Column(letter, text, "reference", indicator)
            else:
                unit = _unit_in(sub) or _unit_in(above) or self.default_unit
                if unit is None and indicator == Indicator.INCOME_PC:
                    unit = ("元", Decimal(1))
                if unit is None:
                    self.problem(
                        header[0],
                        _("%(cell)s: the header %(text)s names no unit (亿元, 万元 or 元)")
                        % {"cell": f"{letter}{header[0]}", "text": text},
                    )
                    columns.append(Column(letter, text, "ignored", indicator))
                    continue
                column = Column(letter, text, "level", indicator, unit[0], unit[1])
            if column.kind in ("level", "growth"):
                key = (indicator, column.kind)
                if key in seen:
                    self.problem(
                        header[0],
                        _("columns %(first)s and %(second)s both hold %(what)s")
                        % {"first": seen[key], "second": letter, "what": text},
                    )
                seen[key] = letter
            columns.append(column)
        if not name_seen:
            self.problem(header[0], _("no column names the counties (县（市、区）)"))
        return columns

    # The rows -----------------------------------------------------------------------------------------------------

    def _rows(self, understood: Understood, body: list[tuple[int, list[str]]], source: str) -> None:
        columns = understood.columns
        name_index = next((i for i, c in enumerate(columns) if c.kind == "name"), None)
        code_index = next((i for i, c in enumerate(columns) if c.kind == "adcode"), None)
        if name_index is None:
            return
        resolver = RegionNames(
            names=[_clean(cells[name_index]) if name_index < len(cells) else "" for _n, cells in body],
            title=understood.title,
        )
        if resolver.province is None:
            self.problem(
                1, _("the table names no province, and its cities do not say which (title it 山东省… or add 全省)")
            )
            return
        value_field = StatValue._meta.get_field("value")
        growth_field = StatValue._meta.get_field("growth_pct")
        seen: dict[str, int] = {}
        for line, cells in body:
            cells = cells + [""] * (len(columns) - len(cells))
            written = _clean(cells[name_index])
            shown = cells[name_index].strip()  # as written, for people: the cleaned form folds punctuation
            code = _clean(cells[code_index]) if code_index is not None else ""
            region, why = resolver.resolve(written, code)
            if region is None:
                label = shown or _("(a blank line)")
                message = _("%(cell)s: %(name)s — %(why)s") % {
                    "cell": f"{columns[name_index].letter}{line}",
                    "name": label,
                    "why": why,
                }
                (self.skipped if self.skip_unknown else self.problems).append(Problem(line, message))
                continue
            if region.adcode in seen:
                self.problem(
                    line,
                    _("%(name)s (%(code)s) repeats line %(line)s")
                    % {"name": region.name, "code": region.adcode, "line": seen[region.adcode]},
                )
                continue
            seen[region.adcode] = line
            figures = self._figures(line, cells, columns, value_field, growth_field)
            if len(understood.rows) + len(figures) > self.max_figures:
                self.problem(
                    line,
                    _("an import may hold at most %(limit)d figures; split the table") % {"limit": self.max_figures},
                )
                break
            for indicator, (value, growth) in figures.items():
                understood.rows.append(
                    IndicatorRow(
                        line=line,
                        region=region.adcode,
                        indicator=indicator,
                        period=understood.period,
                        value=value,
                        growth_pct=growth,
                        source=source,
                        release=ReleaseKind.PRELIMINARY,
                        as_of=None,
                    )
                )
            understood.regions.append(
                UnderstoodRow(line, shown, region.adcode, resolver.full_name(region), region.level, len(figures))
            )

    def _figures(self, line, cells, columns, value_field, growth_field) -> dict[str, tuple]:
        figures: dict[str, list] = {}
        for column, text in zip(columns, cells, strict=False):
            if column.kind not in ("level", "growth"):
                continue
            cleaned = _clean(text)
            if cleaned in EMPTY_CELLS:
                continue
            cell = f"{column.letter}{line}"
            try:
                number = _decimal(cleaned.removesuffix("%"))
            except ValueError:
                self.problem(line, _("%(cell)s: %(text)r is not a number") % {"cell": cell, "text": text[:40]})
                continue
            pair = figures.setdefault(column.indicator, [None, None])
            if column.kind == "level":
                value = _stored(number * column.factor, value_field)
                if number < 0 and value != 0:
                    self.problem(line, _("%(cell)s: a level cannot be negative") % {"cell": cell})
                elif value is None:
                    self.problem(
                        line,
                        _("%(cell)s: %(text)s %(unit)s is too large: a level must be below 10^%(digits)d yuan")
                        % {"cell": cell, "text": text[:40], "unit": column.unit, "digits": _whole_digits(value_field)},
                    )
                pair[0] = value
            else:
                growth = _stored(number, growth_field)
                if number <= -100 or (growth is not None and growth <= -100):
                    self.problem(line, _("%(cell)s: a growth rate must be above -100%%") % {"cell": cell})
                elif growth is None:
                    self.problem(
                        line,
                        _("%(cell)s: growth %(text)s is out of range: a growth rate must be below %(limit)s%%")
                        % {"cell": cell, "text": text[:40], "limit": _upper_bound(growth_field)},
                    )
                pair[1] = growth
        return {
            code: (value, growth)
            for code, (value, growth) in figures.items()
            if value is not None or growth is not None
        }


def _is_rank(text: str) -> bool:
    return any(word in text for word in RANK_WORDS)


def _is_reference(text: str) -> bool:
    return any(word in text for word in REFERENCE_WORDS) and not _is_growth(text)


def _is_level(text: str) -> bool:
    return any(word in text for word in ("总量", "绝对值", "绝对额", "金额", "数值", "累计", "本期", "本年"))
