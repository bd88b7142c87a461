"""Benchmark at national volume: builds a national deployment's data in an empty PostgreSQL database and measures
the lists, the admin's changelists and the scheduled jobs against the targets of the "National volume" issue.

At ``--scale 1``: 31 provincial programs (one per mainland province, its counties paired half strong, half weak)
beside the demo program, ~1,420 pairings, ~100k projects, ~1M monthly progress reports, ~97k warnings (made by the
first ``warnings_refresh``), ~1,480 funds, ~22.7k targets, ~278k statistics and their gaps. Rows are generated
set-based in the database (``INSERT … SELECT generate_series``) and the statistics loaded with ``COPY``, all from a
fixed seed, so two builds at one scale hold the same rows.

    createdb -h 127.0.0.1 -U postgres volume
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/volume .venv/bin/python bench/volume.py --scale 0.05
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/volume .venv/bin/python bench/volume.py --keep   # measure again

Each figure is printed against its target with the load average; the last line is ``VOLUME n/m targets met`` and
the exit status is 0 only when all are met. See bench/README.md; figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import statistics
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SETTINGS = "bench.api_settings"
PROGRAM_PREFIX = "vol-"
SUPERUSER = "vol-admin"
OFFICER = "bench-officer"  # the name bench.api's helpers look for
PROJECTS_PER_PAIRING = 70
LIAISONS = 300
TODAY = dt.date(2025, 10, 20)
MAINLAND_EXCLUDED = ("71", "81", "82")  # 台湾, 香港, 澳门: no programs there


# --- the figures and their targets ----------------------------------------------------------------------------------


@dataclass
class Figure:
    name: str
    value: float | None  # None: not measured
    target: float
    unit: str
    note: str = ""
    at_most: bool = True

    @property
    def met(self) -> bool:
        if self.value is None:
            return False
        return self.value <= self.target if self.at_most else self.value >= self.target

    def line(self) -> str:
        sign = "≤" if self.at_most else "≥"
        if self.value is None:
            shown, verdict = "not measured", "NOT MET"
        else:
            shown, verdict = f"{self.value:,.1f} {self.unit}", "met" if self.met else "NOT MET"
        note = f"  ({self.note})" if self.note else ""
        return f"  {self.name:58} {shown:>16}  target {sign} {self.target:,g} {self.unit:4} {verdict:8}{note}"


FIGURES: list[Figure] = []


def record(name: str, value: float | None, target: float, unit: str, note: str = "", at_most: bool = True) -> None:
    figure = Figure(name, value, target, unit, note, at_most)
    FIGURES.append(figure)
    print(f"{figure.line()}  load {load_average()}", flush=True)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# --- building the data ----------------------------------------------------------------------------------------------


def is_empty() -> bool:
    """Nothing but what ``migrate`` itself writes: no region, no user."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from pairing.models import Region

    if "pairing_region" not in connection.introspection.table_names():
        return True
    return not Region.objects.exists() and not get_user_model().objects.exists()


def is_volume_database() -> bool:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from pairing.models import Program

    if "pairing_program" not in connection.introspection.table_names():
        return False
    return (
        get_user_model().objects.filter(username=SUPERUSER).exists()
        and Program.objects.filter(code__startswith=PROGRAM_PREFIX).exists()
    )


def sql(statement: str, params: list | None = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)  # no parameters: '%' is the modulo operator
        return cursor.rowcount


def build(*, scale: float, seed: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_reference", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    print(f"  registry and demo data: {time.perf_counter() - started:.0f} s", flush=True)
    rng = random.Random(seed)
    with transaction.atomic():
        step = time.perf_counter()
        build_programs(scale=scale, rng=rng)
        print(f"  programs, counties and pairings: {time.perf_counter() - step:.1f} s", flush=True)
        step = time.perf_counter()
        build_projects()
        print(f"  projects: {time.perf_counter() - step:.1f} s", flush=True)
        step = time.perf_counter()
        build_reports()
        print(f"  progress reports: {time.perf_counter() - step:.1f} s", flush=True)
        step = time.perf_counter()
        build_money_and_targets()
        build_users(rng=rng)
        print(f"  funds, targets and users: {time.perf_counter() - step:.1f} s", flush=True)
    step = time.perf_counter()
    build_statistics(seed=seed)
    print(f"  statistics: {time.perf_counter() - step:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have by the time anyone reads: plans need statistics
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)


def build_programs(*, scale: float, rng: random.Random) -> None:
    from pairing.models import CountyRole, Pairing, PairingStatus, Program, ProgramCounty, Region

    provinces = Region.objects.filter(level="province").exclude(adcode__regex=r"^(71|81|82)").order_by("adcode")
    for province in provinces:
        counties = list(Region.objects.counties().filter(adcode__startswith=province.adcode[:2]).order_by("adcode"))
        rng.shuffle(counties)
        pairs = max(1, round(len(counties) // 2 * scale))
        program = Program.objects.create(
            code=f"{PROGRAM_PREFIX}{province.adcode[:2]}",
            name=f"{province.name}强县产业帮扶弱县",
            province=province,
            start_date=dt.date(2024, 9, 1),
        )
        strong, weak = counties[:pairs], counties[pairs : 2 * pairs]
        ProgramCounty.objects.bulk_create(
            [ProgramCounty(program=program, county=c, role=CountyRole.STRONG, is_sample=True) for c in strong]
            + [ProgramCounty(program=program, county=c, role=CountyRole.WEAK, is_sample=True) for c in weak]
        )
        Pairing.objects.bulk_create(
            Pairing(
                program=program,
                strong_county=s,
                weak_county=w,
                start_date=dt.date(2024, 9, 1),
                status=PairingStatus.ACTIVE,
                is_sample=True,
            )
            for s, w in zip(strong, weak, strict=True)
        )


def build_projects() -> None:
    """``PROJECTS_PER_PAIRING`` projects per pairing, located in the weak county, in every stage and health; the
    stage and dates follow the project's number so that every check constraint holds."""
    sql(
        f"""
        INSERT INTO projects_project (
            code, name, pairing_id, park_id, county_id, enterprise, industry, category, planned_investment,
            completed_investment, signed_date, planned_start_date, planned_production_date, actual_start_date,
            actual_production_date, stage, health, description, is_sample, version, created_at, updated_at)
        SELECT code, name, pairing_id, NULL, county_id, enterprise, industry, category, planned, completed,
               signed, signed + 90, signed + 390,
               CASE WHEN s >= 4 THEN signed + 60 END, CASE WHEN s >= 7 THEN signed + 180 END,
               CASE WHEN s < 2 THEN 'pipeline' WHEN s < 4 THEN 'signed' WHEN s < 7 THEN 'started'
                    WHEN s < 9 THEN 'producing' ELSE 'at_capacity' END,
               CASE WHEN n % 37 = 0 THEN 'terminated' WHEN n % 11 = 0 THEN 'lagging'
                    WHEN n % 23 = 0 THEN 'stalled' ELSE 'normal' END,
               '', true, 1, now(), now()
        FROM (
            SELECT p.id AS pairing_id, p.weak_county_id AS county_id, n, (n * 7 + p.id) % 10 AS s,
                   'V' || p.id || '-' || lpad(n::text, 3, '0') AS code,
                   '项目 ' || p.id || '-' || n AS name,
                   (ARRAY['鲁南制造', '华东新材', '齐鲁食品', '黄河能源', '泰山纺织'])[1 + (n + p.id) % 5]
                       || '有限公司 ' || (p.id * 131 + n) % 997 AS enterprise,
                   (ARRAY['装备制造', '新材料', '食品加工', '新能源', '纺织'])[1 + n % 5] AS industry,
                   (ARRAY['transfer', 'joint_promotion', 'supply_chain', 'platform', 'other'])[1 + (n * 3) % 5]
                       AS category,
                   ((p.id * 7919 + n * 104729) % 300 + 20) * 1000000.00 AS planned,
                   ((p.id * 7919 + n * 104729) % 20) * 1000000.00 AS completed,
                   CASE WHEN (n * 7 + p.id) % 10 >= 2
                        THEN date '2024-10-01' + ((p.id * 31 + n * 17) % 300)::int END AS signed
            FROM pairing_pairing p
            JOIN pairing_program g ON g.id = p.program_id AND g.code LIKE '{PROGRAM_PREFIX}%'
            CROSS JOIN generate_series(1, {PROJECTS_PER_PAIRING}) AS n
        ) AS generated
        """
    )


def build_reports() -> None:
    """Each project's monthly reports for its last 5–16 months up to 2025-09: the latest a draft, the one before
    submitted for one project in four, the rest approved."""
    sql(
        f"""
        INSERT INTO projects_progressreport (
            project_id, period, stage, stage_back_reason, actual_start_date, actual_production_date,
            cumulative_investment, month_investment, jobs_created, output_value, tax_paid, problem_category,
            problems, status, submitted_by_id, submitted_at, first_submitted_at, reviewed_by_id, reviewed_at,
            review_comment, is_sample, version, created_at, updated_at)
        SELECT pr.id, to_char(date '2025-09-01' - make_interval(months => g), 'YYYY-MM'), pr.stage, '',
               pr.actual_start_date, pr.actual_production_date,
               pr.completed_investment + (20 - g) * 100000.00, 100000.00, (pr.id + g) % 50, NULL, NULL, '', '',
               CASE WHEN g = 0 THEN 'draft' WHEN g = 1 AND pr.id % 4 = 0 THEN 'submitted' ELSE 'approved' END,
               NULL,
               CASE WHEN g > 0 THEN timestamptz '2025-10-03 09:00+08'
                                    - make_interval(months => g, hours => (pr.id % 48)::int) END,
               CASE WHEN g > 0 THEN timestamptz '2025-10-03 09:00+08'
                                    - make_interval(months => g, hours => (pr.id % 48)::int) END,
               NULL,
               CASE WHEN g > 1 OR (g = 1 AND pr.id % 4 <> 0)
                    THEN timestamptz '2025-10-08 09:00+08' - make_interval(months => g) END,
               '', true, 1, now(), now()
        FROM projects_project pr
        JOIN pairing_pairing p ON p.id = pr.pairing_id
        JOIN pairing_program prog ON prog.id = p.program_id AND prog.code LIKE '{PROGRAM_PREFIX}%'
        CROSS JOIN LATERAL generate_series(0, (4 + pr.id % 12)::int) AS g
        """
    )


def build_money_and_targets() -> None:
    """A guidance fund per program for 2024 and 2025, a pair industry fund per pairing for 2025, and targets for
    every weak county in 2024 and 2025 on every metric (gap and rank on GDP)."""
    like = f"{PROGRAM_PREFIX}%"
    sql(
        f"""
        INSERT INTO funds_fund (program_id, year, kind, pairing_id, name, total, allocated, contributed, invested,
                                frozen_at, is_sample)
        SELECT g.id, y, 'guidance', NULL::bigint, g.name || ' 引导资金 ' || y, 200000000.00, 0, 0, 0,
               NULL::timestamptz, true
        FROM pairing_program g CROSS JOIN (VALUES (2024), (2025)) AS years(y) WHERE g.code LIKE '{like}'
        UNION ALL
        SELECT p.program_id, 2025, 'pair_industry', p.id, '结对产业基金 ' || p.id, 100000000.00, 0, 0, 0, NULL, true
        FROM pairing_pairing p JOIN pairing_program g ON g.id = p.program_id WHERE g.code LIKE '{like}'
        """
    )
    sql(
        f"""
        INSERT INTO reporting_target (program_id, county_id, year, metric, indicator, threshold, direction, baseline,
                                      target, title, source_id, is_sample, created_at, updated_at)
        SELECT c.program_id, c.county_id, y, m.metric, m.indicator, m.threshold, m.direction, NULL, m.target, '',
               NULL, true, now(), now()
        FROM pairing_programcounty c
        JOIN pairing_program g ON g.id = c.program_id AND g.code LIKE '{like}'
        CROSS JOIN (VALUES (2024), (2025)) AS years(y)
        CROSS JOIN (VALUES ('projects_over', '', 100000000.00::numeric, 'at_least', 8.0),
                           ('projects_started', '', NULL, 'at_least', 5),
                           ('signed_started_pct', '', NULL, 'at_least', 80),
                           ('orders_amount', '', NULL, 'at_least', 200000000),
                           ('completed_investment', '', NULL, 'at_least', 500000000),
                           ('funds_received', '', NULL, 'at_least', 20000000),
                           ('gap_pp', 'gdp', NULL, 'at_least', 0),
                           ('rank', 'gdp', NULL, 'at_most', 30))
             AS m(metric, indicator, threshold, direction, target)
        WHERE c.role = 'weak'
        """
    )


def build_users(*, rng: random.Random) -> None:
    """A superuser for the admin, a provincial officer for the API, ``LIAISONS`` county liaisons."""
    from django.contrib.auth import get_user_model

    from accounts.models import Membership, Role
    from pairing.models import Region

    users = get_user_model().objects
    users.create_superuser(SUPERUSER, f"{SUPERUSER}@example.org", None)
    officer = users.create_user(OFFICER, f"{OFFICER}@example.org")
    Membership.objects.create(user=officer, role=Role.OFFICER)
    counties = list(Region.objects.counties().order_by("adcode").values_list("adcode", flat=True))
    chosen = sorted(rng.sample(counties, LIAISONS))
    created = users.bulk_create(
        [get_user_model()(username=f"liaison-{code}", email=f"liaison-{code}@example.org") for code in chosen]
    )
    Membership.objects.bulk_create(
        Membership(user=user, role=Role.LIAISON, county_id=code) for user, code in zip(created, chosen, strict=True)
    )


def build_statistics(*, seed: int) -> None:
    """The gap benchmark's figures (bench/gaps.py): every unit of the registry, ten years, nine indicators."""
    from bench.gaps import build_rows, load_rows
    from pairing.models import Region

    units = dict(Region.objects.filter(level__in=["province", "county"]).values_list("adcode", "level"))
    load_rows(build_rows(units, seed=seed))


def volume() -> dict[str, int]:
    from accounts.models import Membership
    from funds.models import Fund
    from pairing.models import Pairing, Program
    from projects.models import ProgressReport, Project, ProjectWarning
    from reporting.models import Target
    from stats.models import StatValue

    models = {
        "programs": Program,
        "pairings": Pairing,
        "projects": Project,
        "progress reports": ProgressReport,
        "warnings": ProjectWarning,
        "funds": Fund,
        "targets": Target,
        "statistics": StatValue,
        "memberships": Membership,
    }
    return {name: model.objects.count() for name, model in models.items()}


# --- measuring in process -------------------------------------------------------------------------------------------


def timed_get(client, url: str, *, repeat: int) -> tuple[float, int]:
    """Median milliseconds of ``repeat`` GETs after one warm-up, and the SQL statements of the last."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), len(captured)


def api_client():
    from django.test import Client

    from bench.api import officer_token

    key = officer_token()  # the API takes the named tokens of accounts.ApiToken only
    return Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT="application/json"), key


def summary_params() -> str:
    return "program=sd-2024&period=2025"


def measure_api(repeat: int) -> None:
    from bench.api import REQUIRED_QUERY, list_endpoints

    client, _key = api_client()
    alone = {
        "GET /api/v1/progress-reports/ alone": "/api/v1/progress-reports/",
        "GET /api/v1/projects/ alone": "/api/v1/projects/",
        "GET /api/v1/reports/program-summary/ alone": f"/api/v1/reports/program-summary/?{summary_params()}",
    }
    for name, url in alone.items():
        ms, queries = timed_get(client, url, repeat=repeat)
        record(name, ms, 50, "ms", f"{queries} queries")
    worst, grows = 0, []
    for basename, prefix in list_endpoints():
        extra = "".join(f"&{k}={v}" for k, v in REQUIRED_QUERY.get(basename, {}).items())
        counts = {}
        for size in (1, 100):
            _ms, counts[size] = timed_get(client, f"/api/v1/{prefix}/?page_size={size}{extra}", repeat=1)
        worst = max(worst, *counts.values())
        if counts[1] != counts[100]:
            grows.append(f"{basename} {counts[1]}→{counts[100]}")
    record("queries per list page (most of any list)", worst, 8, "q", "grows: " + ", ".join(grows) if grows else "")
    record("queries per list page: lists whose count grows with the page", len(grows), 0, "")


def measure_admin(repeat: int) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from projects.models import Project

    client = Client()
    client.force_login(get_user_model().objects.get(username=SUPERUSER))
    code = Project.objects.filter(code__startswith="V").order_by("code").values_list("code", flat=True)[500]
    term = code.split("-")[0]  # a pairing's projects: 'V123'
    pages = {
        "admin: progress reports changelist, default": "/admin/projects/progressreport/",
        "admin: progress reports changelist, search": f"/admin/projects/progressreport/?q={term}",
        "admin: progress reports changelist, month drill-down": (
            "/admin/projects/progressreport/?submitted_at__year=2025&submitted_at__month=3"
        ),
        "admin: projects changelist, default": "/admin/projects/project/",
        "admin: projects changelist, search": f"/admin/projects/project/?q={term}",
    }
    for name, url in pages.items():
        ms, queries = timed_get(client, url, repeat=repeat)
        record(name, ms, 300, "ms", f"{queries} queries")
    _ms, queries = timed_get(client, "/admin/accounts/membership/", repeat=1)
    _ms, few = timed_get(client, "/admin/accounts/membership/?role=officer", repeat=1)
    record("admin: memberships changelist, queries (100 rows vs 1)", queries - few, 0, "q", f"{queries} vs {few}")


# --- measuring under concurrency ------------------------------------------------------------------------------------


def measure_concurrent(requests: int, clients: int) -> None:
    from django.db import connection

    from bench.api import free_port, hammer, start_gunicorn, wait_until_serving

    _client, key = api_client()
    connection.close()
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json", "Connection": "keep-alive"}
    paths = {
        "progress-reports": ("/api/v1/progress-reports/?page_size=100", "/bench/bare/progress-report/?page_size=100"),
        "projects": ("/api/v1/projects/?page_size=100", "/bench/bare/project/?page_size=100"),
        "program-summary": (f"/api/v1/reports/program-summary/?{summary_params()}", None),
        "gaps": (
            "/api/v1/gaps/?program=sd-2024&period=2025&indicator=gdp",
            "/bench/bare/gap/?program=sd-2024&period=2025&indicator=gdp",
        ),
    }
    # As config/gunicorn.py runs the web container (gthread; BENCH_WORKER_CLASS=sync measures the old sync workers).
    worker_class = os.environ.get("BENCH_WORKER_CLASS", "gthread")
    # Persistent connections, as production runs (config/settings/production.py; BENCH_CONN_MAX_AGE=0 measures a
    # connection per request).
    conn_max_age = int(os.environ.get("BENCH_CONN_MAX_AGE", 60))
    server_args = argparse.Namespace(
        workers=3, worker_class=worker_class, threads=4 if worker_class == "gthread" else 1, conn_max_age=conn_max_age
    )
    port = free_port()
    with open(os.devnull, "w") as log:
        server = start_gunicorn(server_args, port, log)
        try:
            wait_until_serving(port, headers, server)
            for name, (api, bare) in paths.items():
                hammer(port, api, headers, requests=clients, clients=clients)
                result = hammer(port, api, headers, requests=requests, clients=clients)
                worst = max(result.timings) * 1000 if result.timings else None
                note = f"p50 {result.percentile(50):.0f}, p95 {result.percentile(95):.0f} ms, {result.errors} errors"
                record(f"{clients} clients: {name}, slowest request", worst, 1000, "ms", note)
                if bare:
                    hammer(port, bare, headers, requests=clients, clients=clients)
                    reference = hammer(port, bare, headers, requests=requests, clients=clients)
                    ratio = result.throughput / reference.throughput
                    note = f"{result.throughput:.1f} vs bare {reference.throughput:.1f} req/s"
                    record(f"{clients} clients: {name}, throughput ÷ bare view", ratio, 0.5, "×", note, at_most=False)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


# --- jobs in a child process (time and peak memory) -----------------------------------------------------------------


LAST_CPU_S = 0.0
PEAK_MARKER = "\npeak-rss-mb:"
PRINT_PEAK = f"""
with open("/proc/self/status") as _status:
    print({PEAK_MARKER!r} + str(next(int(line.split()[1]) / 1024 for line in _status if line.startswith("VmHWM:"))))
"""


LAST_TREE_PSS_MB = 0.0
LAST_TREE_PROCESSES = 0


def _tree_memory(root: int) -> tuple[float, int]:
    """The memory of a process and of every process it started, theirs in turn included (the job, the PDF server it
    starts in a session of its own, the children that server forks), in MB, and their number: the sum of their
    proportional set sizes (PSS: a page shared by n processes, such as a font file's, counts 1/n in each), so the
    sum is what they hold together."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))  # after the name: state, ppid
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    total, processes, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                total += next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
            processes += 1
        except (OSError, StopIteration, ValueError):
            continue  # gone meanwhile
    return total / 1024, processes


def run_child(code: str, *, timeout: float) -> tuple[float | None, float | None, str]:
    """Run ``code`` after ``django.setup()`` in a child process; its wall time (s), its own peak RSS (MB) and its
    output. None, None when it did not finish within ``timeout``.

    The peak is the child's own high-water mark (``VmHWM``), which it prints last: ``wait4``'s ``ru_maxrss`` of a
    child started by fork + exec is at least this process's RSS when it forked (Linux carries the high-water mark
    over exec), so after a build it said more about the benchmark than about the job."""
    program = "import django\ndjango.setup()\n" + textwrap.dedent(code) + PRINT_PEAK
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = started + timeout
    global LAST_TREE_PSS_MB, LAST_TREE_PROCESSES
    LAST_TREE_PSS_MB, LAST_TREE_PROCESSES = 0.0, 0
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        pss, processes = _tree_memory(child.pid)
        LAST_TREE_PSS_MB, LAST_TREE_PROCESSES = max(LAST_TREE_PSS_MB, pss), max(LAST_TREE_PROCESSES, processes)
        if time.perf_counter() > deadline:
            child.kill()
            os.wait4(child.pid, 0)
            return None, None, "timed out"
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    # The child's own CPU time (user + system; PostgreSQL's is not in it): on a loaded host the wall time is mostly
    # waiting for a core, and this says what the job itself costs.
    global LAST_CPU_S
    LAST_CPU_S = usage.ru_utime + usage.ru_stime
    output = child.stdout.read().decode(errors="replace").strip()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        print(output[-3000:])
        return None, None, f"exit {child.returncode}"
    output, _marker, peak = output.rpartition(PEAK_MARKER)
    return elapsed, float(peak) if peak else usage.ru_maxrss / 1024, output.strip()


def measure_jobs(timeout: float) -> None:
    from django.db import connection

    from projects.models import ProjectWarning, WarningChange

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {ProjectWarning._meta.db_table}, {WarningChange._meta.db_table}")
    connection.close()
    for label, day in (("first run of a day", TODAY), ("the next day", TODAY + dt.timedelta(days=1))):
        seconds, rss, output = run_child(
            f"""
            import datetime as dt
            from projects.warnings import warnings_refresh
            print(warnings_refresh(today=dt.date.fromisoformat({day.isoformat()!r})))
            """,
            timeout=timeout,
        )
        record(f"warnings_refresh, {label}: time", seconds, 60, "s", f"CPU {LAST_CPU_S:.0f} s; {output[-160:]}")
        record(f"warnings_refresh, {label}: peak RSS", rss, 300, "MB")

    seconds, rss, output = run_child(
        """
        import datetime as dt
        from projects.bulletins import bulletins_generate_monthly
        print(len(bulletins_generate_monthly(today=dt.date(2025, 11, 1))), "bulletins")
        """,
        timeout=timeout,
    )
    record("monthly bulletins, all programs: time", seconds, 60, "s", f"CPU {LAST_CPU_S:.0f} s; {output[-80:]}")

    seconds, rss, output = run_child(
        """
        from django.db import connection
        from stats.models import GapResult
        from stats.services import gaps_recompute
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {GapResult._meta.db_table}")
        gaps_recompute()
        print(GapResult.objects.count(), "results")
        """,
        timeout=timeout,
    )
    record("gap recompute on an empty results table", seconds, 10, "s", f"CPU {LAST_CPU_S:.0f} s; {output[-80:]}")


def measure_evaluation(timeout: float) -> None:
    """The evaluation report of the program with the most weak counties, as its Celery task makes it."""
    before = os.environ.get("EVALUATION_PDF_PROCESSES")
    # With one PDF worker process and with two (EVALUATION_PDF_PROCESSES; production's default is 2).
    for processes in (1, 2):
        os.environ["EVALUATION_PDF_PROCESSES"] = str(processes)
        seconds, rss, output = run_child(
            """
            from django.conf import settings
            from django.db.models import Count, Q
            from pairing.models import Program
            from reporting.evaluation import evaluation_report_generate
            from reporting.models import EvaluationReport, ReportStatus
            weak = Count("counties", filter=Q(counties__role="weak"))
            program = Program.objects.annotate(weak=weak).order_by("-weak").first()
            pending = (ReportStatus.QUEUED, ReportStatus.RUNNING)
            EvaluationReport.objects.filter(program=program, status__in=pending).delete()  # left by a stopped run
            report = EvaluationReport.objects.create(program=program, year=2025)
            ok = evaluation_report_generate(report_id=report.pk)
            report.refresh_from_db()
            print(program.code, program.weak, "weak counties", ok, report.error[:200], "; PDF worker processes:",
                  settings.EVALUATION_PDF_PROCESSES)
            """,
            timeout=timeout,
        )
        # The job's CPU includes its PDF worker processes' (it waits for them). Its memory is that of all its processes
        # together (their PSS, sampled every 0.2 s); the job process's own high-water mark is in the note.
        note = f"CPU {LAST_CPU_S:.0f} s; {output[-120:]}"
        record(f"evaluation report of the largest program, {processes} PDF process(es): time", seconds, 15, "s", note)
        note = f"{LAST_TREE_PROCESSES} processes at most; the job process's own peak RSS {rss or 0:.0f} MB"
        record(
            f"evaluation report of the largest program, {processes} PDF process(es): peak memory",
            LAST_TREE_PSS_MB,
            300,
            "MB",
            note,
        )
    if before is None:
        os.environ.pop("EVALUATION_PDF_PROCESSES")
    else:
        os.environ["EVALUATION_PDF_PROCESSES"] = before


def _wait_until(done, *, timeout: float) -> float | None:
    """Seconds until ``done()`` holds, polled twice a second; None past ``timeout``."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if done():
            return time.perf_counter() - started
        time.sleep(0.5)
    return None


def measure_fanout(timeout: float) -> None:
    """The nightly jobs as the schedule runs them (``fan_out=True``): one task per program (warnings, bulletins) or
    per province (the gap recompute), served by a Celery worker (REDIS_URL's broker) with one, then two worker
    processes. Each job is timed from the moment it is queued until the database holds its whole result."""
    from django.utils import timezone

    from projects.bulletins import bulletin_month, bulletin_programs
    from stats.models import GapResult

    if not os.environ.get("REDIS_URL"):
        print("fanout: set REDIS_URL (a Redis database of its own) to measure the fanned-out jobs")
        return
    jobs = set(os.environ.get("BENCH_FANOUT_JOBS", "warnings,recompute,bulletins").split(","))
    today = timezone.localdate()
    results = GapResult.objects.count()
    period = bulletin_month(today)
    programs = len(bulletin_programs(period))
    for processes in (1, 2):
        log = open(ROOT / "var" / f"bench-worker-{processes}.log", "w")  # noqa: SIM115 -- closed below
        worker = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", str(processes)),
                *("--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--purge"),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": SETTINGS},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            time.sleep(5)  # the worker connects to the broker
            label = f"{processes} worker process{'es' if processes > 1 else ''}"
            if "warnings" in jobs:
                _fanout_warnings(label, today, timeout)
            if "recompute" in jobs:
                _fanout_recompute(label, results, timeout)
            if "bulletins" in jobs:
                _fanout_bulletins(label, period, programs, timeout)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
            log.close()


def _fanout_warnings(label: str, today, timeout: float) -> None:
    """The next day's refresh (every row gets a new day, most a new reason), one task per program."""
    import datetime as dt

    from projects.models import ProjectWarning
    from projects.tasks import warnings_refresh_task

    ProjectWarning.objects.update(checked_on=today - dt.timedelta(days=1))
    total = ProjectWarning.objects.count()
    warnings_refresh_task.delay(fan_out=True)
    seconds = _wait_until(lambda: ProjectWarning.objects.filter(checked_on=today).count() >= total, timeout=timeout)
    record(f"fan-out, {label}: warnings refresh (next day)", seconds, 60, "s", f"{total:,} warnings")


def _fanout_recompute(label: str, results: int, timeout: float) -> None:
    """The gap recompute on an empty results table, one task per province."""
    from django.db import connection

    from stats.models import GapResult
    from stats.tasks import recompute_growth_gaps_task

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {GapResult._meta.db_table}")
    recompute_growth_gaps_task.delay(fan_out=True)
    seconds = _wait_until(lambda: GapResult.objects.count() >= results, timeout=timeout)
    record(f"fan-out, {label}: gap recompute, empty table", seconds, 10, "s", f"{results:,} results")


def _fanout_bulletins(label: str, period: str, programs: int, timeout: float) -> None:
    """Last month's bulletin of every program, one task per program."""
    from django.utils import timezone

    from projects.models import Bulletin
    from projects.tasks import monthly_bulletins_task

    started = timezone.now()
    monthly_bulletins_task.delay(fan_out=True)
    seconds = _wait_until(
        lambda: Bulletin.objects.filter(period=period, generated_at__gte=started).count() >= programs,
        timeout=timeout,
    )
    record(f"fan-out, {label}: monthly bulletins", seconds, 60, "s", f"{programs} programs")


EXPORT_CHILD = """
import json, time
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

client = Client()
client.force_login(get_user_model().objects.get(username={user!r}))
with override_settings(**{overrides!r}):
    # A worker that has served an export before: the same export of no rows (no pairing 0) first, whose time is what
    # a fresh process's first export costs on top (the URLconf, the API, openpyxl... loaded on first use).
    started = time.perf_counter()
    warm_up = client.get({url!r} + ("&" if "?" in {url!r} else "?") + "pairing=0")
    for _block in (warm_up.streaming_content if warm_up.streaming else [warm_up.content]):
        pass
    cold = time.perf_counter() - started
    started = time.perf_counter()
    response = client.get({url!r})
    first, size = None, 0
    for block in (response.streaming_content if response.streaming else [response.content]):
        if first is None:
            first = time.perf_counter() - started
        size += len(block)
    total = time.perf_counter() - started
print(json.dumps({{"status": response.status_code, "first": first, "total": total, "bytes": size, "cold": cold}}))
"""


# An Excel export beyond EXPORT_MAX_XLSX_ROWS as an export job: the request (answered 202 once the job is recorded;
# the job is not sent to a broker here, the next child runs it), then the job as a worker runs it.
EXPORT_JOB_ASK_CHILD = """
import json, time
from django.contrib.auth import get_user_model
from django.test import Client

from common import export_jobs

export_jobs._enqueue = lambda job_id: None  # the job is run by the next child, as a worker would
client = Client()
client.force_login(get_user_model().objects.get(username={user!r}))
started = time.perf_counter()
response = client.get({url!r})
seconds = time.perf_counter() - started
job = response.json().get("id") if response.status_code == 202 else None
print(json.dumps({{"status": response.status_code, "seconds": seconds, "job": job}}))
"""
# The worker's peak RSS is read by the child itself (VmHWM: the high-water mark of its own memory since exec).
# wait4's ru_maxrss of a child started by fork + exec is at least the parent's RSS when it forked (Linux carries the
# old image's high-water mark over exec), so after a build it says more about this process than about the job.
EXPORT_JOB_RUN_CHILD = """
import json, time
from common.export_jobs import export_job_run
from common.models import ExportJob

started = time.perf_counter()
done = export_job_run(job_id={job_id})
seconds = time.perf_counter() - started
job = ExportJob.objects.get(pk={job_id})
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
print(json.dumps({{"done": done, "seconds": seconds, "rows": job.rows_written, "bytes": job.file.size if done else 0,
                   "message": job.message, "peak_rss_mb": peak}}))
"""


def _own_rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))


def measure_export_job(url: str, *, user: str, rows: str, timeout: float) -> None:
    """The national Excel export as a job: seconds to the 202, the job's time and the worker's peak RSS."""
    from common.models import ExportJob

    name = f"API Excel export of {rows} projects as a job"
    _seconds, _rss, output = run_child(EXPORT_JOB_ASK_CHILD.format(user=user, url=url), timeout=timeout)
    asked = json.loads(output.splitlines()[-1]) if _rss is not None else None
    if asked is None or asked["status"] != 202:
        print(f"{url}: {asked or output}")
        record(f"{name}: 202 answer", None, 1, "s")
        return
    record(f"{name}: 202 answer", asked["seconds"], 1, "s", f"job {asked['job']}")
    _seconds, rss, output = run_child(EXPORT_JOB_RUN_CHILD.format(job_id=asked["job"]), timeout=timeout)
    result = json.loads(output.splitlines()[-1]) if rss is not None else None
    if result is None or not result["done"]:
        print(f"export job {asked['job']}: {result or output}")
    ok = result is not None and result["done"]
    note = f"{result['rows']:,} rows, {result['bytes'] / 1e6:.0f} MB file" if ok else ""
    print(f"  {name}: total {ok and round(result['seconds'], 1)} s ({note}; CPU {LAST_CPU_S:.1f} s)")
    record(
        f"{name}: worker's peak RSS",
        result["peak_rss_mb"] if ok else None,
        200,
        "MB",
        f"VmHWM; wait4 says {rss:.0f} MB, floored by this process's {_own_rss_mb():.0f} MB" if ok else "",
    )
    ExportJob.objects.filter(pk=asked["job"]).delete()  # the file stays in var/media/exports until the purge


def export_in_child(url: str, *, user: str, overrides: dict, timeout: float) -> tuple[dict | None, float | None]:
    """One export served by the test client in a child process, read to its end: its status, the seconds to its
    first block and to its end, its size, and the child's peak RSS (MB) — the memory of the process serving it."""
    _seconds, rss, output = run_child(EXPORT_CHILD.format(user=user, overrides=overrides, url=url), timeout=timeout)
    if rss is None:
        print(f"{url}: {output}")
        return None, None
    result = json.loads(output.splitlines()[-1])
    if result["status"] != 200:
        print(f"{url}: status {result['status']}")
        return None, None
    return result, rss


def measure_exports(timeout: float) -> None:
    """The exports of every project: the API's CSV (streamed) and Excel (a write-only workbook in a temporary file,
    at most EXPORT_MAX_XLSX_ROWS rows: here once at that limit, and once with the limit lifted to show its memory),
    the admin changelist's CSV, and the whole list in Excel as an export job (the 202, then the job in a worker's
    process)."""
    from django.conf import settings
    from django.db.models import Count

    from projects.models import Project

    projects = Project.objects.count()
    rows = f"{projects / 1000:.0f}k"
    # The longest list a workbook may hold: the stage and health filters giving the most rows within the limit.
    counts = {
        f"stage={stage}&health={health}": count
        for stage, health, count in Project.objects.order_by().values_list("stage", "health").annotate(n=Count("id"))
    }
    limit_query, at_limit = max(
        ((query, count) for query, count in counts.items() if count <= settings.EXPORT_MAX_XLSX_ROWS),
        key=lambda item: item[1],
    )
    runs = [
        (f"API CSV export of {rows} projects", "/api/v1/projects/?format=csv", OFFICER, {}, 30),
        (f"admin CSV export of {rows} projects", "/admin/projects/project/export/csv/", SUPERUSER, {}, 30),
        (
            f"API Excel export of {at_limit:,} projects (limit {settings.EXPORT_MAX_XLSX_ROWS:,})",
            f"/api/v1/projects/?format=xlsx&{limit_query}",
            OFFICER,
            {},
            30,
        ),
        (
            f"API Excel export of {rows} projects (limit lifted)",
            "/api/v1/projects/?format=xlsx",
            OFFICER,
            {"EXPORT_MAX_XLSX_ROWS": projects, "EXPORT_MAX_ROWS": projects},
            None,
        ),
    ]
    for name, url, user, overrides, target_total in runs:
        result, rss = export_in_child(url, user=user, overrides=overrides, timeout=timeout)
        note = f"{result['bytes'] / 1e6:.0f} MB file" if result else ""
        if target_total is None:
            # Beyond the limit the tracker writes the workbook as a job (below); this run only shows what writing
            # it within a request would cost.
            first, total = (round(result["first"], 1), round(result["total"], 1)) if result else (None, None)
            print(f"  {name}: first byte {first} s, total {total} s, peak RSS {rss and round(rss)} MB, {note}")
            continue
        cold = f"; a fresh process's first export of no rows: {result['cold']:.1f} s" if result else ""
        record(f"{name}: first byte", result and result["first"], 1, "s", note + cold)
        record(f"{name}: total", result and result["total"], target_total, "s", "a sync worker's timeout")
        record(f"{name}: peak RSS", rss, 200, "MB")
    if projects > settings.EXPORT_MAX_XLSX_ROWS:
        measure_export_job("/api/v1/projects/?format=xlsx", user=OFFICER, rows=rows, timeout=timeout)


# --- main -----------------------------------------------------------------------------------------------------------


def run(args) -> int:
    from django.db import connection

    if connection.vendor != "postgresql":
        print("The benchmark measures PostgreSQL: point DATABASE_URL at an empty PostgreSQL database.")
        return 2
    if args.keep:
        if not is_volume_database():
            print("Refusing --keep: this database was not built by bench/volume.py.")
            return 2
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # the code measured may bring new indexes
    else:
        if not is_empty():
            print("Refusing: the database is not empty (build into an empty one, or measure a built one with --keep).")
            return 2
        print(f"building at scale {args.scale} (seed {args.seed}); load {load_average()}", flush=True)
        build(scale=args.scale, seed=args.seed)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    print(f"machine: {os.cpu_count()} CPUs, PostgreSQL {version}, load average {load_average()} (1, 5, 15 min)")
    print("volume: " + json.dumps(volume(), ensure_ascii=False))
    only = set(args.only.split(",")) if args.only else {"api", "admin", "concurrent", "jobs", "evaluation", "exports"}
    if "api" in only:
        measure_api(args.repeat)
    if "admin" in only:
        measure_admin(args.repeat)
    if "concurrent" in only:
        measure_concurrent(args.requests, args.clients)
    if "jobs" in only:
        measure_jobs(args.timeout)
    if "evaluation" in only:
        measure_evaluation(args.timeout)
    if "exports" in only:
        measure_exports(args.timeout)
    if "fanout" in only:
        measure_fanout(args.timeout)
    print()
    for figure in FIGURES:
        print(figure.line())
    met = sum(figure.met for figure in FIGURES)
    print(f"load average at the end {load_average()}")
    print(f"VOLUME {met}/{len(FIGURES)} targets met")
    return 0 if met == len(FIGURES) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of each province's pairings; default 1")
    parser.add_argument("--seed", type=int, default=20251201)
    parser.add_argument("--keep", action="store_true", help="measure a database built by an earlier run")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page (median); default 5")
    parser.add_argument("--requests", type=int, default=60, help="requests per endpoint under concurrency")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients; default 20")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a job may run before it is stopped")
    parser.add_argument(
        "--only", default="", help="comma-separated: api, admin, concurrent, jobs, evaluation, exports, fanout"
    )
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        parser.error("set DATABASE_URL to an empty PostgreSQL database")
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    hosts = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
    os.environ["DJANGO_ALLOWED_HOSTS"] = f"{hosts},testserver"
    import django

    django.setup()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
