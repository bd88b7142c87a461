"""Writes for statistics: file imports and the growth-gap recomputation."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.periods import ONE_PLACE, same_period_year_before
from pairing.models import Pairing, Region
from pairing.services import pairing_create, program_get_or_create, source_get_or_create
from validation.engine import check_statistic
from validation.models import RuleKind
from validation.selectors import rules_for_province
from validation.services import StatisticFinding, rule_outcomes_record_statistics

from . import rules
from .importers import (
    FileRejected,
    IndicatorRow,
    PairingRow,
    Problem,
    Table,
    parse_pairing_rows,
    read_table,
)
from .models import GapResult, ImportBatch, StatValue
from .reading import Progress
from .selectors import EffectiveValue, effective_values, effective_values_query
from .wide import read_indicator_file

# Every recomputation holds this transaction-level lock on PostgreSQL, so two never interleave their writes.
RECOMPUTE_LOCK_KEY = 7_370_000


@dataclass(frozen=True)
class RecomputeResult:
    rows: int
    written: int
    deleted: int


_FIELDS = [
    "province_id",
    "region_id",
    "indicator",
    "period",
    "level",
    "previous_level",
    "growth_pct",
    "growth_derived",
    "province_growth_pct",
    "gap_pp",
    "rank",
    "previous_rank",
    "rank_change",
    "ranked_count",
    "in_bottom_ten",
    "was_in_bottom_ten",
    "release",
    "release_as_of",
]
_KEY = ["region_id", "indicator", "period"]


@transaction.atomic
def gaps_recompute(*, periods: Sequence[str] | None = None, provinces: Sequence[str] | None = None) -> RecomputeResult:
    """Recompute growth, gaps and ranks of every county-level unit from the latest releases.

    ``periods`` limits the periods written (the previous year's figures are read for growth and rank change);
    ``provinces`` (adcodes) limits the provinces. Runs in one transaction: readers see the old table or the new
    one, never a half-written one. A second run with the same data writes nothing.

    PostgreSQL computes every row in SQL (``_GAPS_SQL``) and no row travels to Python; elsewhere (SQLite, in
    development) the rules of ``stats.rules`` run in Python. Both give the same results.
    """
    periods = list(periods) if periods else None
    provinces = list(provinces) if provinces else None
    if connection.vendor == "postgresql":
        _recompute_lock(provinces)
        return _recompute_postgresql(periods, provinces)
    return _recompute_portable(periods, provinces)


def _recompute_lock(provinces: list[str] | None) -> None:
    """A recompute of every province holds the lock alone; one of some provinces shares it and holds those
    provinces' locks alone (in adcode order). So the nightly job's one recompute per province runs side by side on
    several workers, and no two runs ever write the same province at once."""
    with connection.cursor() as cursor:
        if not provinces:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RECOMPUTE_LOCK_KEY])
            return
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [RECOMPUTE_LOCK_KEY])
        for province in sorted({code[:2] for code in provinces}):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [RECOMPUTE_LOCK_KEY, int(province)])


def _read_periods(periods: list[str] | None) -> list[str] | None:
    """The periods to read for ``periods``: they and the year before each (growth and rank change need it)."""
    if periods is None:
        return None
    return sorted(set(periods) | {same_period_year_before(p) for p in periods})


def _scope_filter(periods: Sequence[str] | None, provinces: Sequence[str] | None, alias: str) -> tuple[str, list]:
    where, params = ["1 = 1"], []
    if periods:
        where.append(f"{alias}.period IN ({', '.join(['%s'] * len(periods))})")
        params.extend(periods)
    if provinces:
        where.append(f"{alias}.province_id IN ({', '.join(['%s'] * len(provinces))})")
        params.extend(provinces)
    return " AND ".join(where), params


# --- PostgreSQL: the rules in SQL -----------------------------------------------------------------------------------

# The GapResult rows of a recomputation, one per county-level unit, indicator and period in scope: what _compute
# does in Python, with the rules of stats/rules.py named where they apply. The worked examples of tests/stats/ run
# on both paths, and bench/gaps.py checks this statement against an independent reference at national scale.
#
# Window functions only, no joins: the previous period and the province's own row are found by partitioning, so
# the plan does not hang on row estimates, which are poor for window-function output (an earlier form, with a
# self-join on the previous period and a join on the province planned on an estimate of a few rows, ran as a nested
# loop for twenty minutes at national scale). See docs/benchmarks.md.
#
# Precision: a derived growth is divided out to 40 decimal places (rules.PRECISION keeps 40 significant digits),
# far finer than the 12 places stored, and each stored figure is rounded once, at the end, ties to even as
# rules.stored does; PostgreSQL's round() takes ties away from zero, hence the CASE.
#
# Placeholders: {effective} the read of selectors.effective_values_query, {period_filter} the periods to write,
# {places}, {bottom_n} and {growth_limit} the constants of stats.rules. No percent sign but the parameters' (psycopg
# would read one as a parameter).
_GAPS_SQL = """
CREATE TEMPORARY TABLE gap_incoming ON COMMIT DROP AS
WITH effective AS (
    -- The figure in force for every unit (county or province), indicator and period: the latest release, ranked
    -- among the province's county-level units. selectors.effective_values_query.
    {effective}
),
with_previous AS (
    -- The same span exactly a year earlier, if there is a figure for it (common.periods.same_period_year_before:
    -- 2025 -> 2024, 2025-09 -> 2024-09).
    SELECT *,
           first_value(value) OVER year_before AS previous_level,
           first_value(rank) OVER year_before AS previous_rank,
           first_value(ranked_count) OVER year_before AS previous_ranked_count
      FROM effective
    WINDOW year_before AS (
           PARTITION BY region_id, indicator, substr(period, 5) ORDER BY left(period, 4)::int
           RANGE BETWEEN 1 PRECEDING AND 1 PRECEDING
    )
),
with_growth AS (
    -- rules.growth_pct: a reported rate (growth_pct) always wins, GDP's being at comparable prices; only without one
    -- is growth derived from the two levels, and then flagged; never from a missing level or a previous level of 0,
    -- nor when it is {growth_limit} percent or more either way (rules.within_limit).
    SELECT *,
           CASE WHEN growth_pct IS NOT NULL THEN growth_pct ELSE derivable END AS growth,
           CASE WHEN growth_pct IS NULL AND derivable IS NOT NULL THEN true ELSE false END AS derived
      FROM (
           SELECT *,
                  CASE WHEN previous_level <> 0
                        AND abs((value::numeric(60, 40) / previous_level - 1) * 100) < {growth_limit}
                       THEN (value::numeric(60, 40) / previous_level - 1) * 100
                  END AS derivable
             FROM with_previous
           ) AS levels
),
with_province AS (
    -- The growth of the province's own row (one at most per partition), never recomputed from its counties.
    SELECT *,
           max(growth) FILTER (WHERE region_id = substr(region_id, 1, 2) || '0000')
               OVER (PARTITION BY substr(region_id, 1, 2), indicator, period) AS province_growth
      FROM with_growth
),
exact AS (
    -- rules.gap_pp, from the unrounded growths.
    SELECT *, growth - province_growth AS gap
      FROM with_province
     WHERE level = 'county'{period_filter}
)
SELECT substr(region_id, 1, 2) || '0000' AS province_id,
       region_id,
       indicator,
       period,
       value AS level,
       previous_level,
       -- rules.stored: {places} places, ties to even.
       CASE WHEN abs(mod(growth * 1e{places}, 1)) = 0.5 AND mod(trunc(growth * 1e{places}), 2) = 0
            THEN trunc(growth, {places}) ELSE round(growth, {places}) END AS growth_pct,
       derived AS growth_derived,
       CASE WHEN abs(mod(province_growth * 1e{places}, 1)) = 0.5 AND mod(trunc(province_growth * 1e{places}), 2) = 0
            THEN trunc(province_growth, {places}) ELSE round(province_growth, {places}) END AS province_growth_pct,
       CASE WHEN abs(mod(gap * 1e{places}, 1)) = 0.5 AND mod(trunc(gap * 1e{places}), 2) = 0
            THEN trunc(gap, {places}) ELSE round(gap, {places}) END AS gap_pp,
       rank,
       previous_rank,
       -- Positive = moved up; only when ranked in both periods.
       previous_rank - rank AS rank_change,
       ranked_count,
       -- rules.in_bottom: among the last {bottom_n} ranks; never when unranked (or without a previous figure).
       COALESCE(rank > ranked_count - {bottom_n}, false) AS in_bottom_ten,
       COALESCE(previous_rank > previous_ranked_count - {bottom_n}, false) AS was_in_bottom_ten,
       release,
       as_of AS release_as_of
  FROM exact
"""


def _recompute_postgresql(periods: list[str] | None, provinces: list[str] | None) -> RecomputeResult:
    """Compute the results into a temporary table (``_GAPS_SQL``), upsert the rows that differ, then delete rows
    no longer computed if there can be any: a fixed number of statements whatever the number of counties, and no
    row travels to Python. The first run of every province into an empty table loads it instead (``_load_empty``).
    """
    table = GapResult._meta.db_table
    columns = [GapResult._meta.get_field(name.removesuffix("_id")).column for name in _FIELDS]
    effective, params = effective_values_query(periods=_read_periods(periods), provinces=provinces)
    period_filter = ""
    if periods:
        period_filter = f" AND period IN ({', '.join(['%s'] * len(periods))})"
        params = [*params, *periods]
    compute = _GAPS_SQL.format(
        effective=effective.strip(),
        period_filter=period_filter,
        places=-rules.STORED_PLACES.as_tuple().exponent,
        bottom_n=rules.BOTTOM_N,
        growth_limit=rules.DERIVED_GROWTH_LIMIT,
    )
    incoming = ", ".join(f"i.{c}" for c in columns)
    stored = ", ".join(f"t.{c}" for c in columns)
    changed = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in _KEY)
    differs = " OR ".join(f"{table}.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in columns)
    scope, scope_params = _scope_filter(periods, provinces, alias="t")
    with connection.cursor() as cursor:
        # Dropped at commit; dropped here too, since a caller's outer transaction may recompute twice before it.
        cursor.execute("DROP TABLE IF EXISTS gap_incoming")
        cursor.execute(compute, params)
        rows = cursor.rowcount
        # A run of some provinces shares the table with the other provinces' runs, so only a run of all may load it.
        if not provinces and _load_empty(
            cursor, f"INSERT INTO {table} ({', '.join(columns)}) SELECT {incoming} FROM gap_incoming i"
        ):
            return RecomputeResult(rows=rows, written=rows, deleted=0)
        # Only new or changed rows reach the upsert: the join finds them in one pass, where ON CONFLICT alone would
        # lock (and so write) every existing row before its WHERE could skip it.
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {incoming} FROM gap_incoming i "
            f"LEFT JOIN {table} t ON t.region_id = i.region_id AND t.indicator = i.indicator AND t.period = i.period "
            f"WHERE t.id IS NULL OR ({incoming}) IS DISTINCT FROM ({stored}) "
            f"ON CONFLICT (region_id, indicator, period) DO UPDATE SET {changed} WHERE {differs}"
        )
        written = cursor.rowcount
        # Every computed row is now in the table, so anything more in the scope is a result no longer computed (its
        # figures were withdrawn). Counting is cheap; the anti-join of the delete is not, so it runs only then.
        cursor.execute(f"SELECT count(*) FROM {table} t WHERE {scope}", scope_params)
        deleted = 0
        if cursor.fetchone()[0] > rows:
            cursor.execute(
                f"DELETE FROM {table} t WHERE {scope} "
                "AND NOT EXISTS (SELECT 1 FROM gap_incoming i WHERE i.region_id = t.region_id "
                "AND i.indicator = t.indicator AND i.period = t.period)",
                scope_params,
            )
            deleted = cursor.rowcount
    return RecomputeResult(rows=rows, written=written, deleted=deleted)


def _load_empty(cursor, insert: str) -> bool:
    """Run ``insert`` (every computed result) into the results table as a bulk load if the table is empty; False,
    having changed nothing, if it is not (or this database user does not own it, or the transaction has checks of
    the region table still pending, which forbid changing its foreign keys).

    The first recompute of a national deployment writes ~274k rows. Inserted into a table with its indexes and
    foreign keys, most of its time went on updating the indexes row by row and on the two foreign-key checks queued
    for every row until the commit (548k lookups of the region table). So, as PostgreSQL's manual advises for
    populating a table ("Populating a Database"), the secondary indexes and the unique and foreign-key constraints
    are dropped, the rows inserted, and each put back from the definition the database itself gave
    (``pg_get_indexdef``, ``pg_get_constraintdef``): an index is then built from the sorted rows in one pass, and a
    foreign key checked by one query over the table. All of it is in the recompute's transaction: a failure leaves
    the table as it was, and a constraint put back checks every row before the commit, so the invariants hold.

    The price: from the drop to the commit (about 2 s at national volume; the results were computed before) the
    results table and the region table are locked (``ACCESS EXCLUSIVE``; a foreign key's triggers live on the
    table it refers to), so requests reading either wait. That happens once, on the first run of an installation.
    """
    table = GapResult._meta.db_table
    quote = connection.ops.quote_name
    # The unique and foreign-key constraints, then the indexes that back no constraint (the primary key stays); none
    # unless the table is empty and ours.
    cursor.execute(
        "SELECT * FROM ("
        "  SELECT c.conname, pg_get_constraintdef(c.oid), NULL FROM pg_constraint c "
        "   WHERE c.conrelid = %s::regclass AND c.contype IN ('u', 'f') "
        "  UNION ALL "
        "  SELECT NULL, pg_get_indexdef(i.indexrelid), i.indexrelid::regclass::text FROM pg_index i "
        "   WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
        "     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        ") AS definitions "
        "WHERE (SELECT pg_has_role(c.relowner, 'USAGE') FROM pg_class c WHERE c.oid = %s::regclass) "
        f"AND NOT EXISTS (SELECT 1 FROM {quote(table)})",
        [table, table, table],
    )
    definitions = cursor.fetchall()
    if not definitions:
        return False
    constraints = [(quote(name), definition) for name, definition, _index in definitions if name is not None]
    indexes = [(index, definition) for name, definition, index in definitions if name is None]
    try:
        with transaction.atomic():
            if constraints:
                cursor.execute(
                    f"ALTER TABLE {quote(table)} " + ", ".join(f"DROP CONSTRAINT {name}" for name, _ in constraints)
                )
    except OperationalError:
        # Most likely checks of the region table deferred to the commit by the caller's own transaction (rows it
        # wrote there): PostgreSQL refuses to drop a foreign key's triggers then. The savepoint undid the drop.
        return False
    if indexes:
        cursor.execute("DROP INDEX " + ", ".join(index for index, _ in indexes))
    cursor.execute(insert)
    for _index, definition in indexes:
        cursor.execute(definition)
    if constraints:
        cursor.execute(
            f"ALTER TABLE {quote(table)} "
            + ", ".join(f"ADD CONSTRAINT {name} {definition}" for name, definition in constraints)
        )
    return True


# --- Elsewhere (SQLite): the rules in Python ------------------------------------------------------------------------


def _recompute_portable(periods: list[str] | None, provinces: list[str] | None) -> RecomputeResult:
    values = effective_values(periods=_read_periods(periods), provinces=provinces)
    results = _compute(values, set(periods) if periods else None)
    written, deleted = _write_portable(results, periods, provinces)
    return RecomputeResult(rows=len(results), written=written, deleted=deleted)


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _compute(values: list[EffectiveValue], periods: set[str] | None) -> list[GapResult]:
    by_key = {(v.region, v.indicator, v.period): v for v in values}
    results: list[GapResult] = []
    for value in values:
        if value.level != "county" or (periods is not None and value.period not in periods):
            continue
        before = same_period_year_before(value.period)
        previous = by_key.get((value.region, value.indicator, before))
        province_code = value.region[:2] + "0000"
        province = by_key.get((province_code, value.indicator, value.period))
        province_before = by_key.get((province_code, value.indicator, before))
        growth, derived = rules.within_limit(
            *rules.growth_pct(
                reported=value.growth_pct,
                level=value.value,
                previous_level=previous.value if previous else None,
            )
        )
        province_growth = None
        if province is not None:
            province_growth, _ = rules.within_limit(
                *rules.growth_pct(
                    reported=province.growth_pct,
                    level=province.value,
                    previous_level=province_before.value if province_before else None,
                )
            )
        previous_rank = previous.rank if previous else None
        results.append(
            GapResult(
                province_id=province_code,
                region_id=value.region,
                indicator=value.indicator,
                period=value.period,
                level=value.value,
                previous_level=previous.value if previous else None,
                growth_pct=rules.stored(growth),
                growth_derived=derived,
                province_growth_pct=rules.stored(province_growth),
                gap_pp=rules.stored(rules.gap_pp(growth, province_growth)),
                rank=value.rank,
                previous_rank=previous_rank,
                rank_change=(previous_rank - value.rank) if previous_rank and value.rank else None,
                ranked_count=value.ranked_count,
                in_bottom_ten=rules.in_bottom(value.rank, value.ranked_count),
                was_in_bottom_ten=rules.in_bottom(previous_rank, previous.ranked_count) if previous else False,
                release=value.release,
                release_as_of=_as_date(value.as_of),
            )
        )
    return results


def _write_portable(results: list[GapResult], periods, provinces) -> tuple[int, int]:
    existing = {
        (row["region_id"], row["indicator"], row["period"]): row
        for row in GapResult.objects.filter(
            **({"period__in": periods} if periods else {}), **({"province_id__in": provinces} if provinces else {})
        ).values("id", *_FIELDS)
    }
    changed = []
    for result in results:
        key = (result.region_id, result.indicator, result.period)
        old = existing.pop(key, None)
        if old is None or any(_differs(old[name], getattr(result, name)) for name in _FIELDS):
            changed.append(result)
    GapResult.objects.bulk_create(
        changed,
        update_conflicts=True,
        unique_fields=["region", "indicator", "period"],
        update_fields=[name.removesuffix("_id") for name in _FIELDS if name not in _KEY],
        batch_size=500,
    )
    GapResult.objects.filter(pk__in=[row["id"] for row in existing.values()]).delete()
    return len(changed), len(existing)


def _differs(old, new) -> bool:
    if old is None or new is None:
        return old is not new
    if isinstance(new, dt.date) or isinstance(old, dt.date):
        return _as_date(old) != _as_date(new)
    return old != new


# --- Imports ------------------------------------------------------------------------------------------------------

# A reported growth rate that differs from the one implied by the levels by more than this is worth a look.
GROWTH_WARNING_PP = Decimal(5)
# Warnings kept in full (on the import, in the admin's messages); beyond them, only their number.
MAX_WARNINGS = 100


@dataclass
class ImportReport:
    rows: int
    created: int
    updated: int
    unchanged: int
    warnings: list[str]
    batch_id: int | None
    # Rows of a wide table left out on request (``skip_unknown``), as "line N: …".
    skipped: list[str] = field(default_factory=list)


def _implied_growths(rows: list[IndicatorRow]) -> list[Decimal | None]:
    """For each row that reports a growth, the growth implied by its level and the previous period's (this file's
    value, else the stored one); None where either level or the reported growth is missing."""
    in_file = {(r.region, r.indicator, r.period): r.value for r in rows if r.value is not None}
    wanted = {
        (r.region, r.indicator, same_period_year_before(r.period))
        for r in rows
        if r.value is not None and r.growth_pct is not None
    }
    missing = wanted - in_file.keys()
    stored: dict[tuple, Decimal] = {}
    if missing:
        for value in effective_values(
            periods=sorted({key[2] for key in missing}), provinces=sorted({key[0][:2] for key in missing})
        ):
            if value.value is not None:
                stored[(value.region, value.indicator, value.period)] = value.value
    implied = []
    for row in rows:
        if row.growth_pct is None:
            implied.append(None)
            continue
        key = (row.region, row.indicator, same_period_year_before(row.period))
        previous = in_file.get(key, stored.get(key))
        growth, _derived = rules.growth_pct(reported=None, level=row.value, previous_level=previous)
        implied.append(growth)
    return implied


@dataclass
class _Checked:
    """What the checks found on a file's rows: the import's warnings in words, the validation rules' warnings to
    record, and the rules' errors, which refuse the file."""

    warnings: list[str]
    findings: list[StatisticFinding]
    problems: list[Problem]


def _check_rows(rows: list[IndicatorRow]) -> _Checked:
    """The program's validation rules (``validation``: a growth that disagrees with the levels, a level or growth
    out of range) on every row, with the rules of the programs of the row's province. A row no growth-mismatch
    rule covers still gets the built-in warning beyond ``GROWTH_WARNING_PP``."""
    implied = _implied_growths(rows)
    rules_by_province: dict[str, list] = {}
    checked = _Checked([], [], [])
    shown = more = 0

    def warn(text: str) -> None:
        nonlocal shown, more
        if shown >= MAX_WARNINGS:
            more += 1
            return
        shown += 1
        checked.warnings.append(text)

    for row, implied_growth in zip(rows, implied, strict=True):
        province = row.region[:2] + "0000"
        if province not in rules_by_province:
            rules_by_province[province] = rules_for_province(province)
        province_rules = rules_by_province[province]
        for finding in check_statistic(
            province_rules, value=row.value, growth_pct=row.growth_pct, implied_growth_pct=implied_growth
        ):
            if finding.is_error:
                checked.problems.append(Problem(row.line, finding.message))
                continue
            warn(str(Problem(row.line, finding.message)))
            checked.findings.append(
                StatisticFinding(
                    region_id=row.region,
                    period=row.period,
                    label=f"{row.indicator} {row.release}".strip(),
                    finding=finding,
                )
            )
        covered = any(rule.kind == RuleKind.GROWTH_MISMATCH for rule in province_rules)
        if (
            not covered
            and row.growth_pct is not None
            and implied_growth is not None
            and abs(implied_growth - row.growth_pct) > GROWTH_WARNING_PP
        ):
            warn(
                str(
                    Problem(
                        row.line,
                        _("reported growth %(reported)s%% differs from the %(implied)s%% implied by the levels")
                        % {
                            "reported": f"{row.growth_pct.normalize():f}",
                            "implied": implied_growth.quantize(ONE_PLACE),
                        },
                    )
                )
            )
    if more:
        checked.warnings.append(
            ngettext("… and %(n)d more row like these", "… and %(n)d more rows like these", more) % {"n": more}
        )
    return checked


def _sha256(stream: BinaryIO) -> str:
    """The digest of the rest of ``stream``, read a chunk at a time; the stream is put back where it was."""
    start = stream.tell()
    digest = hashlib.sha256()
    while chunk := stream.read(1 << 16):
        digest.update(chunk)
    stream.seek(start)
    return digest.hexdigest()


def _read(stream: BinaryIO, filename: str, progress: Progress | None) -> tuple[Table, str]:
    """The file's lines (bounded by ``stats.reading.Limits``) and its digest. The size is checked first, so a file
    over the limit is refused before a byte of it is read."""
    start = stream.tell()
    table = read_table(stream, filename, progress=progress)
    stream.seek(start)
    return table, _sha256(stream)


def indicators_import(
    *,
    stream: BinaryIO,
    filename: str,
    by: AbstractBaseUser | None = None,
    progress: Progress | None = None,
    period: str | None = None,
    skip_unknown: bool = False,
) -> ImportReport:
    """Import a statistics file: the long format, or a statistics bureau's wide table (``stats.wide``; ``period``
    is its period when the title does not say, ``skip_unknown`` leaves out the rows naming no region and lists
    them on the report). All or nothing: a file with any bad row raises ``FileRejected`` listing every one.

    Existing figures (same region, indicator, period and release) are updated in place; re-importing the same file
    changes nothing and enqueues nothing. After a change, the gaps of the affected periods are recomputed once the
    transaction has committed. The file is read and checked outside the transaction (``progress`` is called with
    the share read), and the rows written in one.
    """
    start = stream.tell()
    understood = read_indicator_file(stream, filename, period=period, skip_unknown=skip_unknown, progress=progress)
    rows = understood.checked_rows()
    stream.seek(start)
    report = _indicators_write(rows=rows, filename=filename, sha256=_sha256(stream), by=by)
    report.skipped = [str(problem) for problem in understood.skipped]
    return report


@transaction.atomic
def _indicators_write(
    *, rows: list[IndicatorRow], filename: str, sha256: str, by: AbstractBaseUser | None
) -> ImportReport:
    checked = _check_rows(rows)
    if checked.problems:
        raise FileRejected(checked.problems)
    warnings = checked.warnings
    existing = {
        (v.region_id, v.indicator, v.period, v.release): v
        for v in StatValue.objects.filter(
            region__in={r.region for r in rows},
            indicator__in={r.indicator for r in rows},
            period__in={r.period for r in rows},
        )
    }
    fields = ("value", "growth_pct", "source", "as_of")
    to_create, to_update = [], []
    for row in rows:
        current = existing.get(row.key)
        if current is None:
            to_create.append(
                StatValue(
                    region_id=row.region,
                    indicator=row.indicator,
                    period=row.period,
                    release=row.release,
                    value=row.value,
                    growth_pct=row.growth_pct,
                    source=row.source,
                    as_of=row.as_of,
                )
            )
        elif any(_differs(getattr(current, name), getattr(row, name)) for name in fields):
            for name in fields:
                setattr(current, name, getattr(row, name))
            to_update.append(current)
    report = ImportReport(
        len(rows), len(to_create), len(to_update), len(rows) - len(to_create) - len(to_update), warnings, None
    )
    if not to_create and not to_update:
        return report
    batch = ImportBatch.objects.create(
        kind=ImportBatch.Kind.INDICATORS,
        filename=filename[:255],
        sha256=sha256,
        imported_by=by,
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        warnings=warnings,
    )
    for value in [*to_create, *to_update]:
        value.batch = batch
    StatValue.objects.bulk_create(to_create, batch_size=1000)
    StatValue.objects.bulk_update(to_update, [*fields, "batch"], batch_size=1000)
    report.batch_id = batch.pk
    rule_outcomes_record_statistics(findings=checked.findings, by=by)
    changed = [*to_create, *to_update]
    periods = sorted({v.period for v in changed} | {_next_period(v.period) for v in changed})
    provinces = sorted({v.region_id[:2] + "0000" for v in changed})
    transaction.on_commit(lambda: _enqueue_recompute(periods, provinces))
    return report


def _next_period(period: str) -> str:
    # A figure is also the base of next year's growth and rank change.
    year, _sep, month = period.partition("-")
    return f"{int(year) + 1:04d}" + (f"-{month}" if month else "")


def _enqueue_recompute(periods: list[str], provinces: list[str]) -> None:
    from .tasks import recompute_growth_gaps_task

    recompute_growth_gaps_task.delay(periods=periods, provinces=provinces)


def pairings_import(
    *, stream: BinaryIO, filename: str, by: AbstractBaseUser | None = None, progress: Progress | None = None
) -> ImportReport:
    """Import pairings (program,strong,weak,start_date,source). A program code not seen before is created, its
    province taken from the counties. Idempotent; all or nothing."""
    table, digest = _read(stream, filename, progress)
    rows = parse_pairing_rows(table)
    return _pairings_write(rows=rows, filename=filename, sha256=digest, by=by)


@transaction.atomic
def _pairings_write(*, rows: list[PairingRow], filename: str, sha256: str, by: AbstractBaseUser | None) -> ImportReport:
    created = unchanged = 0
    problems: list[Problem] = []
    for row in rows:
        strong = Region.objects.get(pk=row.strong)
        weak = Region.objects.get(pk=row.weak)
        program = program_get_or_create(code=row.program, start_date=row.start_date, counties=[strong, weak])
        if Pairing.objects.active().filter(program=program, strong_county=strong, weak_county=weak).exists():
            unchanged += 1
            continue
        source = source_get_or_create(title=row.source)
        try:
            with transaction.atomic():
                pairing_create(
                    program=program, strong_county=strong, weak_county=weak, start_date=row.start_date, source=source
                )
        except ValidationError as exc:
            problems.append(Problem(row.line, "; ".join(exc.messages)))
            continue
        created += 1
    if problems:
        raise FileRejected(problems)
    if created:
        ImportBatch.objects.create(
            kind=ImportBatch.Kind.PAIRINGS,
            filename=filename[:255],
            sha256=sha256,
            imported_by=by,
            rows=len(rows),
            created=created,
            unchanged=unchanged,
        )
    return ImportReport(len(rows), created, 0, unchanged, [], None)
