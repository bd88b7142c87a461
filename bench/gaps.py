"""Benchmark of the growth-gap recomputation (``stats.services.gaps_recompute``) at national scale.

Builds synthetic statistics for every county-level unit in the registry (3,048 units in 34 provinces, plus the
provinces' own rows), 10 annual periods (2016–2025) and all 9 indicators, then:

1. times ``gaps_recompute()`` — the first run (writes every result) and the best of N repeats (write nothing);
2. counts its SQL statements;
3. computes the same numbers with an independent in-memory reference written here from docs/domain.md §3 (plain
   dicts and lists, no ORM, nothing shared with ``stats``), times it, and checks the two agree on every (region,
   indicator, period): growth, derived flag, province growth, gap, rank, rank change and bottom-ten flags.

Run it against a database of its own, never one with real data (it refuses):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/gaps.py --create-db

creates ``bench_gaps`` on that server, migrates it, runs and drops it (``--keep-db`` keeps it). See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import random
import sys
import time
from collections import defaultdict
from decimal import Decimal, localcontext
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_SOURCE = "bench:gaps synthetic data"
DEFAULT_DB_NAME = "bench_gaps"
YEARS = list(range(2016, 2026))
# Typical county scale per indicator, yuan (income: yuan per person).
SCALES = {
    "gdp": 30e9,
    "fai": 20e9,
    "gpbr": 2e9,
    "tax": 1.5e9,
    "main_tax": 1e9,
    "industry_va": 10e9,
    "retail": 12e9,
    "income_pc": 30e3,
    "trade": 5e9,
}
REPORTED_GROWTH = {"gdp", "fai"}  # GDP at comparable prices; FAI often a rate only
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
HUNDRED = Decimal(100)
TOLERANCE = Decimal("1e-9")
BOTTOM = 10


# --- database ------------------------------------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin_connection(url: str):
    import psycopg

    return psycopg.connect(_with_database(url, "postgres"), autocommit=True)


def create_database(url: str, name: str) -> str:
    """CREATE DATABASE ``name`` on the server of ``url``; an existing one is never touched."""
    from psycopg import sql

    with _admin_connection(url) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise SystemExit(
                f"Database {name!r} already exists. Drop it, or run without --create-db with DATABASE_URL pointing "
                "at it (the script then checks that it holds nothing but benchmark data)."
            )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _with_database(url, name)


def drop_database(url: str, name: str) -> None:
    from psycopg import sql

    with _admin_connection(url) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def foreign_data() -> list[str]:
    """Tables holding anything but the registry and this benchmark's own rows (checked before migrating, on
    whatever tables already exist)."""
    from django.apps import apps
    from django.db import connection

    existing = set(connection.introspection.table_names())
    found = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            meta = model._meta
            if meta.app_label in {"contenttypes", "sessions"} or meta.label in {"auth.Permission", "pairing.Region"}:
                continue
            if meta.db_table not in existing or meta.label == "stats.GapResult":
                continue  # results are derived from the values checked here
            if meta.label == "stats.StatValue":
                cursor.execute(f"SELECT 1 FROM {meta.db_table} WHERE source <> %s LIMIT 1", [BENCH_SOURCE])
            else:
                cursor.execute(f"SELECT 1 FROM {meta.db_table} LIMIT 1")
            if cursor.fetchone():
                found.append(meta.db_table)
    return found


# --- synthetic data -------------------------------------------------------------------------------------------------

Row = tuple  # (region, indicator, period, release, as_of, value, growth) in insertion (= id) order


def build_rows(units: dict[str, str], seed: int) -> list[Row]:
    """Levels for every unit, indicator and year; reported growth for GDP and FAI; one county in five publishes FAI
    as a rate only; 10% of 2024 GDP and 2023 budget-revenue figures get a revised release; the provinces' own rows
    are not the sum of their counties."""
    rng = random.Random(seed)
    counties = sorted(code for code, level in units.items() if level == "county")
    provinces = sorted(code for code, level in units.items() if level == "province")
    rows: list[Row] = []
    sums: dict[tuple[str, str, int], Decimal] = defaultdict(Decimal)
    preliminary_as_of = {year: dt.date(year + 1, 1, 20) for year in YEARS}
    for code in counties:
        rate_only_fai = rng.random() < 0.2
        for indicator, scale in SCALES.items():
            level = Decimal(scale * rng.lognormvariate(0, 0.8)).quantize(CENT)
            for year in YEARS:
                nominal = rng.gauss(6, 5) if year > YEARS[0] else 0.0
                if year > YEARS[0]:
                    level = (level * Decimal(1 + max(nominal, -40) / 100)).quantize(CENT)
                sums[(code[:2], indicator, year)] += level
                growth = None
                if indicator == "gdp":
                    growth = Decimal(nominal - rng.uniform(0, 3)).quantize(TENTH)
                elif indicator == "fai":
                    growth = Decimal(nominal + rng.uniform(-0.5, 0.5)).quantize(TENTH)
                value = None if (indicator == "fai" and rate_only_fai) else level
                rows.append((code, indicator, str(year), "preliminary", preliminary_as_of[year], value, growth))
                revise = (indicator, year) in {("gdp", 2024), ("gpbr", 2023)} and rng.random() < 0.1
                if revise:
                    revised = (level * Decimal(1 + rng.uniform(-0.03, 0.03))).quantize(CENT)
                    rows.append((code, indicator, str(year), "revised", dt.date(year + 1, 9, 30), revised, growth))
    for code in provinces:
        for indicator in SCALES:
            for year in YEARS:
                total = sums.get((code[:2], indicator, year), Decimal(0))
                own = (total * Decimal(rng.uniform(1.02, 1.10))).quantize(CENT) if total else None
                growth = Decimal(rng.gauss(5, 2)).quantize(TENTH) if indicator in REPORTED_GROWTH else None
                if own is None and growth is None:
                    own = Decimal(10**12)
                rows.append((code, indicator, str(year), "preliminary", preliminary_as_of[year], own, growth))
    return rows


def load_rows(rows: list[Row]) -> None:
    from django.db import connection, transaction

    from stats.models import GapResult, StatValue

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {GapResult._meta.db_table}, {StatValue._meta.db_table} RESTART IDENTITY")
        columns = "region_id, indicator, period, release, as_of, value, growth_pct, source"
        with cursor.cursor.copy(f"COPY {StatValue._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row, BENCH_SOURCE))
        cursor.execute(f"ANALYZE {StatValue._meta.db_table}")


# --- the independent reference --------------------------------------------------------------------------------------


def reference(rows: list[Row], units: dict[str, str]) -> dict[tuple[str, str, str], dict]:
    """docs/domain.md §3 from scratch: latest release per figure (revised, then latest as_of, then last loaded);
    growth = reported, else current/previous − 1; gap to the province's own growth; RANK among the province's
    county-level units by level; bottom ten = the last ten ranks."""
    chosen: dict[tuple[str, str, str], tuple] = {}
    for position, row in enumerate(rows):
        region, indicator, period, release, as_of = row[:5]
        if units.get(region) not in ("county", "province"):
            continue
        priority = (release == "revised", as_of is not None, as_of or dt.date.min, position)
        key = (region, indicator, period)
        held = chosen.get(key)
        if held is None or priority > held[0]:
            chosen[key] = (priority, row)
    figures = {key: (held[1][5], held[1][6], held[1][3], held[1][4]) for key, held in chosen.items()}

    groups: dict[tuple[str, str, str], list[tuple[Decimal, tuple[str, str, str]]]] = defaultdict(list)
    for figure_key, (value, _growth, _release, _as_of) in figures.items():
        region, indicator, period = figure_key
        if units[region] == "county" and value is not None:
            groups[(region[:2], indicator, period)].append((value, figure_key))
    ranks: dict[tuple[str, str, str], tuple[int, int]] = {}
    for members in groups.values():
        members.sort(key=lambda item: item[0], reverse=True)
        count = len(members)
        rank, last = 0, None
        for position, (value, figure_key) in enumerate(members, start=1):
            if value != last:
                rank, last = position, value
            ranks[figure_key] = (rank, count)

    def growth_of(key, previous_key):
        value, reported, _release, _as_of = figures[key]
        if reported is not None:
            return reported, False
        before = figures.get(previous_key)
        if value is None or before is None or before[0] is None or before[0] == 0:
            return None, False
        return (value / before[0] - 1) * HUNDRED, True

    def bottom(rank_count):
        return rank_count is not None and rank_count[0] > rank_count[1] - BOTTOM

    out = {}
    with localcontext() as context:
        context.prec = 50
        for key, (value, _reported, release, as_of) in figures.items():
            region, indicator, period = key
            if units[region] != "county":
                continue
            previous_key = (region, indicator, str(int(period[:4]) - 1) + period[4:])
            growth, derived = growth_of(key, previous_key)
            province_key = (region[:2] + "0000", indicator, period)
            province_growth = None
            if province_key in figures:
                province_growth, _ = growth_of(province_key, (province_key[0], indicator, previous_key[2]))
            gap = growth - province_growth if growth is not None and province_growth is not None else None
            now, before = ranks.get(key), ranks.get(previous_key)
            out[key] = {
                "level": value,
                "growth_pct": growth,
                "growth_derived": derived,
                "province_growth_pct": province_growth,
                "gap_pp": gap,
                "rank": now[0] if now else None,
                "previous_rank": before[0] if before else None,
                "rank_change": before[0] - now[0] if now and before else None,
                "ranked_count": now[1] if now else 0,
                "in_bottom_ten": bottom(now),
                "was_in_bottom_ten": bottom(before),
                "release": release,
                "release_as_of": as_of,
            }
    return out


def compare(expected: dict[tuple[str, str, str], dict]) -> list[str]:
    """Differences between the stored results and the reference (empty when they agree everywhere)."""
    from stats.models import GapResult

    fields = list(next(iter(expected.values())).keys())
    stored = {
        (row[0], row[1], row[2]): dict(zip(fields, row[3:], strict=True))
        for row in GapResult.objects.values_list("region_id", "indicator", "period", *fields).iterator(chunk_size=20000)
    }
    problems = []
    for key in sorted(stored.keys() ^ expected.keys())[:10]:
        problems.append(f"{key}: only in {'the database' if key in stored else 'the reference'}")
    for key in stored.keys() & expected.keys():
        for name in fields:
            got, want = stored[key][name], expected[key][name]
            if isinstance(want, Decimal) and got is not None:
                if abs(Decimal(got) - want) > TOLERANCE:
                    problems.append(f"{key} {name}: {got} != {want}")
            elif got != want:
                problems.append(f"{key} {name}: {got!r} != {want!r}")
            if len(problems) > 20:
                return problems
    return problems


# --- measuring -------------------------------------------------------------------------------------------------------


def timed_recompute(**kwargs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from stats.services import gaps_recompute

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = gaps_recompute(**kwargs)
        elapsed = time.perf_counter() - started
    if os.environ.get("BENCH_SHOW_SQL"):
        for query in captured.captured_queries:
            print(f"  {query['time']:>7} s  {' '.join(query['sql'].split())[:110]}")
    return result, elapsed, len(captured.captured_queries)


def machine() -> str:
    """What the figures were measured on: they mean little without it (the host is often shared)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW work_mem")
        work_mem = cursor.fetchone()[0]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"machine: {os.cpu_count()} CPUs, load average {load}; PostgreSQL {version}, work_mem {work_mem}"


def profile(label: str, top: int) -> None:
    from stats.services import gaps_recompute

    profiler = cProfile.Profile()
    profiler.enable()
    gaps_recompute()
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime").print_stats(top)
    print(f"\n--- cProfile: {label}, by own time ---")
    print("\n".join(line for line in stream.getvalue().splitlines() if line.strip())[:6000])


def run(args) -> int:
    from django.core.management import call_command
    from django.db import connection

    from pairing.models import Region
    from pairing.registry import regions_load
    from stats.models import GapResult

    if connection.vendor != "postgresql":
        print("The benchmark measures the PostgreSQL path: point DATABASE_URL at PostgreSQL.", file=sys.stderr)
        return 2
    foreign = foreign_data()
    if foreign:
        print(
            f"Refusing: database {connection.settings_dict['NAME']!r} holds data that is not this benchmark's "
            f"(tables {', '.join(foreign)}). Use --create-db for a database of its own.",
            file=sys.stderr,
        )
        return 2
    call_command("migrate", verbosity=0)

    started = time.perf_counter()
    regions_load()
    units = dict(Region.objects.filter(level__in=["province", "county"]).values_list("adcode", "level"))
    rows = build_rows(units, seed=args.seed)
    built = time.perf_counter()
    load_rows(rows)
    loaded = time.perf_counter()
    counties = sum(1 for level in units.values() if level == "county")
    provinces = len({code[:2] for code, level in units.items() if level == "county"})
    print(
        f"data: {counties} county-level units in {provinces} provinces, {len(YEARS)} periods, {len(SCALES)} indicators;"
        f" {len(rows):,} figures built in {built - started:.1f} s, loaded (COPY) in {loaded - built:.1f} s"
    )

    print(machine())
    first, first_s, first_statements = timed_recompute()
    repeats = [timed_recompute() for _ in range(args.repeat)]
    best = min(repeats, key=lambda item: item[1])
    one_province = timed_recompute(periods=["2024", "2025"], provinces=["370000"])

    reference_runs = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        expected = reference(rows, units)
        reference_runs.append(time.perf_counter() - started)
    reference_s = min(reference_runs)
    problems = compare(expected)

    stored = GapResult.objects.count()
    print()
    print(f"{'':38} {'rows':>9} {'written':>9} {'wall s':>8} {'statements':>11} {'÷ reference':>12}")
    table = [
        ("gaps_recompute() first run", first, first_s, first_statements),
        (f"gaps_recompute() repeat, best of {args.repeat}", best[0], best[1], best[2]),
        ("one province, 2 periods (after import)", *one_province),
    ]
    for label, result, seconds, statements in table:
        print(
            f"{label:38} {result.rows:>9,} {result.written:>9,} {seconds:>8.2f} {statements:>11}"
            f" {seconds / reference_s:>11.2f}×"
        )
    print(
        f"{'in-memory reference, best of ' + str(args.repeat):38} {len(expected):>9,} {'—':>9} {reference_s:>8.2f}"
        f" {'—':>11}"
    )
    print(f"(repeats: {', '.join(f'{seconds:.2f}' for _r, seconds, _s in repeats)} s)")
    print()
    verdict = "agree" if not problems else "DISAGREE"
    print(f"check: {stored:,} stored results vs {len(expected):,} reference results — {verdict}")
    for problem in problems:
        print("  " + problem)
    print(machine())
    for label, seconds in (("first run", first_s), ("repeat", best[1])):
        within = seconds <= args.target_s and seconds <= 3 * reference_s
        print(
            f"target ≤ {args.target_s:g} s and ≤ 3× reference: {label} {seconds:.2f} s "
            f"({seconds / reference_s:.2f}×) — {'met' if within else 'MISSED'}"
        )
    if args.profile:
        GapResult.objects.all().delete()
        profile("first run", args.profile)
        profile("repeat", args.profile)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--create-db",
        action="store_true",
        help=f"create a database of its own on DATABASE_URL's server and drop it"
        f" afterwards (name: --db-name, default {DEFAULT_DB_NAME})",
    )
    parser.add_argument("--db-name", default=DEFAULT_DB_NAME)
    parser.add_argument("--keep-db", action="store_true", help="with --create-db: keep the database afterwards")
    parser.add_argument("--repeat", type=int, default=3, help="timed repeat runs (best reported); default 3")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--target-s", type=float, default=10.0)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="then print the top N functions of a profiled first run and repeat (cProfile)",
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    server = os.environ.get("DATABASE_URL", "")
    if args.create_db:
        if not server.startswith(("postgres://", "postgresql://")):
            parser.error("--create-db needs DATABASE_URL=postgres://user@host:port/anything")
        os.environ["DATABASE_URL"] = create_database(server, args.db_name)
    import django

    django.setup()
    try:
        return run(args)
    finally:
        if args.create_db and not args.keep_db:
            from django.db import connections

            connections.close_all()
            drop_database(server, args.db_name)


if __name__ == "__main__":
    sys.exit(main())
