"""Validating the rows of statistics and pairing files (read by ``stats.reading``) into typed rows.

A file is checked whole before anything is written: every bad row is reported with its line number (the header is
line 1) and reason, and a file with any bad row imports nothing. Every value is checked against what its column can
hold (digits and places of a decimal, length of a text), so the database never refuses a row half-way through an
import.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.db import models
from django.utils.translation import gettext as _

from common.periods import is_stat_period
from pairing.models import Program, Region, RegionLevel, Source

from .models import Indicator, ReleaseKind, StatValue
from .reading import FileRejected, Problem, Table, read_table

__all__ = [
    "FileRejected",
    "IndicatorRow",
    "PairingRow",
    "Problem",
    "Table",
    "parse_indicator_rows",
    "parse_pairing_rows",
    "read_table",
]

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


def _check_header(table: Table, required: list[str], optional: list[str]) -> None:
    if table.header[: len(required)] != required or any(name not in optional for name in table.header[len(required) :]):
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


# A number as people type it: digits (full-width ones too, after NFKC), thousands grouped by commas in threes
# (31,500,000,000), a decimal point, an exponent (1.93e10). Not NaN, infinities, underscores (1_000, which Python's
# Decimal reads) nor commas anywhere else (1,2,3).
_NUMBER = re.compile(r"[+-]?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_ADCODE = re.compile(r"[0-9]{6}")
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def _decimal(text: str) -> Decimal:
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(text)
    try:
        return Decimal(cleaned.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only what Decimal reads
        raise ValueError(text) from exc


# A level is below 10^16 yuan (一亿亿元, a hundred times the country's GDP): well within the column's 18 whole digits,
# and a figure SQLite (which keeps decimals as doubles) still reads back exactly to the fen.
LEVEL_WHOLE_DIGITS = 16


def _whole_digits(field: models.DecimalField) -> int:
    digits = field.max_digits - field.decimal_places
    return min(digits, LEVEL_WHOLE_DIGITS) if field.name == "value" else digits


def _stored(number: Decimal, field: models.DecimalField) -> Decimal | None:
    """``number`` rounded to the places of ``field`` (ties to even) if it then has at most the whole digits allowed
    (``_whole_digits``), else None. Negative zero becomes zero."""
    whole_digits = _whole_digits(field)
    # Checked before rounding too: quantize() of 1e999999999 would fail rather than answer.
    if number.adjusted() >= whole_digits:
        return None
    rounded = number.quantize(Decimal(1).scaleb(-field.decimal_places), rounding=ROUND_HALF_EVEN)
    if rounded.adjusted() >= whole_digits:
        return None
    return rounded + 0


def _upper_bound(field: models.DecimalField) -> str:
    return f"1{'0' * _whole_digits(field)}"


def _text_problem(text: str, field: models.CharField, label: str) -> str | None:
    """Why ``text`` cannot be stored in ``field``, in words, or None."""
    if any(unicodedata.category(char) == "Cc" for char in text):
        return _("the %(label)s contains a control character") % {"label": label}
    if len(text) > field.max_length:
        return _("the %(label)s is %(n)d characters long; it may be at most %(limit)d characters") % {
            "label": label,
            "n": len(text),
            "limit": field.max_length,
        }
    return None


def parse_indicator_rows(table: Table) -> list[IndicatorRow]:
    _check_header(table, INDICATOR_COLUMNS, INDICATOR_OPTIONAL)
    # Only what can be an adcode reaches the query (PostgreSQL refuses a NUL in a parameter).
    codes = {row["region"] for _, row in table.rows if _ADCODE.fullmatch(row["region"])}
    known = set(Region.objects.filter(adcode__in=codes).values_list("adcode", flat=True))
    value_field = StatValue._meta.get_field("value")
    growth_field = StatValue._meta.get_field("growth_pct")
    source_field = StatValue._meta.get_field("source")
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
        if not is_stat_period(period):
            reasons.append(_("period %(period)r is neither a year (2025) nor a month (2025-09)") % {"period": period})
        value = growth = None
        if row["value"]:
            try:
                number = _decimal(row["value"])
            except ValueError:
                reasons.append(_("value %(text)r is not a number") % {"text": row["value"]})
            else:
                value = _stored(number, value_field)
                if number < 0 and value != 0:
                    reasons.append(_("the value cannot be negative"))
                elif value is None:
                    reasons.append(
                        _("value %(text)r is too large: a level must be below %(limit)s yuan (10^%(digits)d)")
                        % {
                            "text": row["value"][:40],
                            "limit": _upper_bound(value_field),
                            "digits": _whole_digits(value_field),
                        }
                    )
        if row["growth_pct"]:
            try:
                number = _decimal(row["growth_pct"].removesuffix("%").removesuffix("％"))
            except ValueError:
                reasons.append(_("growth %(text)r is not a number") % {"text": row["growth_pct"]})
            else:
                growth = _stored(number, growth_field)
                if number <= -100 or (growth is not None and growth <= -100):
                    reasons.append(_("a growth rate must be above -100%"))
                elif growth is None:
                    reasons.append(
                        _("growth %(text)r is out of range: a growth rate must be below %(limit)s%%")
                        % {"text": row["growth_pct"][:40], "limit": _upper_bound(growth_field)}
                    )
        if problem := _text_problem(row["source"], source_field, _("source")):
            reasons.append(problem)
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
    codes = {row[name] for _, row in table.rows for name in ("strong", "weak") if _ADCODE.fullmatch(row[name])}
    code_field = Program._meta.get_field("code")
    title_field = Source._meta.get_field("title")
    counties = set(Region.objects.filter(adcode__in=codes, level=RegionLevel.COUNTY).values_list("adcode", flat=True))
    problems: list[Problem] = []
    parsed: list[PairingRow] = []
    for line, row in table.rows:
        reasons = []
        if not row["program"]:
            reasons.append(_("the program code is missing"))
        elif len(row["program"]) > code_field.max_length:
            reasons.append(
                _("the program code is %(n)d characters long; it may be at most %(limit)d characters")
                % {"n": len(row["program"]), "limit": code_field.max_length}
            )
        elif not _SLUG.fullmatch(row["program"]):
            reasons.append(
                _("the program code %(code)r may hold only letters, digits, hyphens and underscores")
                % {"code": row["program"]}
            )
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
        elif problem := _text_problem(row["source"], title_field, _("source")):
            reasons.append(problem)
        if reasons:
            problems.append(Problem(line, "; ".join(reasons)))
            continue
        parsed.append(PairingRow(line, row["program"], row["strong"], row["weak"], start, row["source"]))
    if problems:
        raise FileRejected(problems)
    return parsed
