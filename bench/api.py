"""Benchmark of the API's list endpoints: SQL queries per page, and latency under 20 concurrent clients.

On a PostgreSQL database of its own (``bench_api`` on the server of DATABASE_URL, created, migrated and dropped by
the script), with the reference registry (``load_reference``), the demo data (``seed_demo``) and extra rows built
with the factories and services so that most lists have hundreds of rows:

1. counts the SQL statements of every list endpoint of the router at ``page_size=1`` and ``page_size=100``, as a
   provincial officer signed in with a DRF token (in-process, ``CaptureQueriesContext``);
2. starts gunicorn on loopback (3 sync workers, as docker-compose runs it) and measures p50 / p95 latency of each
   list at one page size under 20 concurrent keep-alive clients (threads with ``http.client``), warm-up first;
3. measures the same rows served without DRF (``/bench/bare/<basename>/`` of ``bench/api_urls.py``: the ``values()``
   of the viewset's queryset, same page size, a ``JsonResponse``) for the ratio.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/api.py

The bare view exists only in ``bench.api_settings`` / ``bench.api_urls``, which the site never uses. See
bench/README.md; figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DB_NAME = "bench_api"
SETTINGS = "bench.api_settings"
OFFICER = "bench-officer"
SUBMITTER = "bench-liaison"
PROGRAM_PREFIX = "bench-api-"
# Lists that cannot be read without parameters: the demo program's gaps.
REQUIRED_QUERY = {"gap": {"program": "sd-2024", "period": "2025", "indicator": "gdp"}}
WANTED_PAGES = (1, 100)


# --- database ------------------------------------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin(url: str):
    import psycopg

    return psycopg.connect(_with_database(url, "postgres"), autocommit=True)


def database_exists(url: str, name: str) -> bool:
    with _admin(url) as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def create_database(url: str, name: str) -> None:
    from psycopg import sql

    with _admin(url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str, name: str) -> None:
    from psycopg import sql

    with _admin(url) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def is_bench_database() -> bool:
    """A database this script made: its officer and its programs are there."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from pairing.models import Program

    if "pairing_program" not in connection.introspection.table_names():
        return False
    users = get_user_model().objects
    return users.filter(username=OFFICER).exists() and Program.objects.filter(code__startswith=PROGRAM_PREFIX).exists()


# --- data ----------------------------------------------------------------------------------------------------------


def load(*, programs: int, pairings: int, seed: int) -> None:
    """Registry, demo data, then ``programs`` programs of ``pairings`` pairings among Shandong's counties with
    parks, projects, monthly reports, cooperation, funds, bonds, reward runs and targets."""
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_reference", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    demo = time.perf_counter()
    users = bench_users()
    rng = random.Random(seed)
    for number in range(1, programs + 1):
        build_program(number, pairings, rng, users)
    finish(users)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have by the time anyone reads: plans need statistics
    print(
        f"data: registry and demo in {demo - started:.0f} s; {programs} more programs of {pairings} pairings in "
        f"{time.perf_counter() - demo:.0f} s"
    )


@dataclass
class Users:
    officer: object
    submitter: object


def bench_users() -> Users:
    from django.contrib.auth import get_user_model

    from accounts.models import Role
    from accounts.services import user_set_role

    users = get_user_model().objects
    officer = users.create_user(OFFICER, f"{OFFICER}@example.org")
    user_set_role(user=officer, role=Role.OFFICER)
    submitter = users.create_user(SUBMITTER, f"{SUBMITTER}@example.org")
    return Users(officer=officer, submitter=submitter)


def build_program(number: int, pairings: int, rng: random.Random, users: Users) -> None:
    from django.db import transaction
    from django.utils import timezone

    from funds.factories import BondPlanFactory, FundFactory, PairIndustryFundFactory
    from funds.services import (
        allocation_create,
        bond_issue_create,
        bond_quota_assign,
        disbursement_create,
        fund_contribution_create,
        fund_investment_create,
        park_ledger_record,
    )
    from pairing.factories import PairingFactory, ParkFactory, ParkPartnerFactory, ProgramFactory
    from pairing.models import Region
    from projects.factories import (
        CrossCountyOrderFactory,
        ProgressReportFactory,
        ProjectFactory,
        PromotionEventFactory,
        SecondmentFactory,
    )
    from projects.models import ReportStatus, Stage

    counties = list(Region.objects.counties().filter(adcode__startswith="37").order_by("adcode"))
    rng.shuffle(counties)
    now = timezone.now()
    with transaction.atomic():
        program = ProgramFactory(code=f"{PROGRAM_PREFIX}{number}", province_id="370000")
        pairs = [
            PairingFactory(program=program, strong_county=strong, weak_county=weak)
            for strong, weak in zip(counties[:pairings], counties[pairings : 2 * pairings], strict=True)
        ]
        for index, pairing in enumerate(pairs):
            park = ParkFactory(pairing=pairing)
            ParkPartnerFactory(park=park, county=pairing.strong_county, tax_share_pct=60, output_share_pct=50)
            ParkPartnerFactory(park=park, county=pairing.weak_county, tax_share_pct=40, output_share_pct=50)
            for period in ("2024", "2025"):
                tax = Decimal(rng.randrange(100_000, 50_000_000)).quantize(Decimal("0.01"))
                park_ledger_record(park=park, period=period, tax=tax, output=tax * 20, by=users.officer)
            projects = []
            for n in range(3):
                signed = dt.date(2024, 10, 1) + dt.timedelta(days=rng.randrange(0, 240))
                projects.append(
                    ProjectFactory(
                        pairing=pairing,
                        park=park if n == 0 else None,
                        code=f"B{number}-{index:03d}-{n}",
                        signed_date=signed,
                        planned_investment=Decimal(rng.randrange(20, 300) * 1_000_000),
                        stage=Stage.SIGNED,
                    )
                )
                month = dt.date(signed.year + signed.month // 12, signed.month % 12 + 1, 1)
                while month <= dt.date(2025, 9, 1):
                    latest = month.month == 9 and month.year == 2025
                    status = ReportStatus.DRAFT if latest else ReportStatus.APPROVED
                    reviewed = {} if latest else {"reviewed_by": users.officer, "reviewed_at": now}
                    submitted = {} if latest else {"submitted_at": now, "first_submitted_at": now}
                    ProgressReportFactory(
                        project=projects[-1],
                        period=f"{month:%Y-%m}",
                        status=status,
                        submitted_by=None if latest else users.submitter,
                        **submitted,
                        **reviewed,
                    )
                    month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
            for _ in range(2):
                CrossCountyOrderFactory(pairing=pairing, amount=Decimal(rng.randrange(1, 90) * 1_000_000))
            PromotionEventFactory(pairing=pairing)
            SecondmentFactory(pairing=pairing)
            pair_fund = PairIndustryFundFactory(pairing=pairing, year=2025, total=Decimal("100000000.00"))
            for county in (pairing.strong_county, pairing.weak_county):
                fund_contribution_create(
                    fund=pair_fund, county=county, amount=Decimal("30000000.00"), paid_on=dt.date(2025, 3, 1)
                )
            fund_investment_create(
                fund=pair_fund, project=projects[0], amount=Decimal("20000000.00"), invested_on=dt.date(2025, 4, 1)
            )
        for year in (2024, 2025):
            fund = FundFactory(program=program, year=year, total=Decimal("2000000000.00"))
            plan = BondPlanFactory(program=program, year=year, total=Decimal("20000000000.00"))
            for pairing in pairs:
                allocation = allocation_create(
                    fund=fund,
                    county=pairing.weak_county,
                    amount=Decimal("40000000.00"),
                    allocated_on=dt.date(year, 3, 1),
                )
                for tranche in range(rng.randrange(1, 3)):
                    disbursement_create(
                        allocation=allocation, amount=Decimal("10000000.00"), paid_on=dt.date(year, 4 + tranche, 1)
                    )
                quota = bond_quota_assign(plan=plan, county=pairing.weak_county, quota=Decimal("300000000.00"))
                bond_issue_create(
                    quota=quota,
                    amount=Decimal("100000000.00"),
                    issue_date=dt.date(year, 6, 30),
                    term_years=10,
                    rate_pct=Decimal("2.350"),
                )


def finish(users: Users) -> None:
    """Reward runs of the 2024 guidance funds, targets for the weak counties, warnings and gaps for every program."""
    from django.core.exceptions import ValidationError

    from funds.models import Fund, FundKind
    from funds.reward_runs import reward_run_start
    from pairing.models import CountyRole, ProgramCounty
    from projects.warnings import warnings_refresh
    from reporting.models import Metric, Target

    bench_funds = Fund.objects.filter(program__code__startswith=PROGRAM_PREFIX, kind=FundKind.GUIDANCE, year=2024)
    for fund in bench_funds:
        try:
            reward_run_start(fund=fund, by=users.officer)
        except ValidationError as exc:  # a rule that cannot be applied to these figures: the list has one run less
            print(f"  no reward run for fund {fund.pk}: {exc.messages}")
    weak = ProgramCounty.objects.filter(program__code__startswith=PROGRAM_PREFIX, role=CountyRole.WEAK)
    metrics = (Metric.PROJECTS_OVER, Metric.PROJECTS_STARTED, Metric.SIGNED_STARTED_PCT)
    Target.objects.bulk_create(
        Target(
            program_id=member.program_id,
            county_id=member.county_id,
            year=2025,
            metric=metric,
            threshold=Decimal("100000000") if metric == Metric.PROJECTS_OVER else None,
            target=Decimal(2 if metric != Metric.SIGNED_STARTED_PCT else 80),
            is_sample=True,
        )
        for member in weak
        for metric in metrics
    )
    warnings_refresh(today=dt.date(2025, 10, 20))


# --- measuring -----------------------------------------------------------------------------------------------------


def list_endpoints() -> list[tuple[str, str]]:
    from config.api_router import router

    # Paginated lists only: the impact estimates of a program are one object (their schema says so), not a list.
    return sorted(
        (basename, prefix)
        for prefix, viewset, basename in router.registry
        if hasattr(viewset, "list") and type(getattr(viewset, "schema", None)).__name__ != "OneObjectSchema"
    )


def officer_token() -> str:
    from django.contrib.auth import get_user_model

    from accounts.models import ApiToken
    from accounts.services import api_token_create, api_token_revoke

    officer = get_user_model().objects.get(username=OFFICER)
    # A key is shown only once: revoke the previous run's token and make a fresh one.
    for token in ApiToken.objects.filter(user=officer, name="bench", revoked_at=None):
        api_token_revoke(token=token)
    _token, key = api_token_create(user=officer, name="bench")
    return key


@dataclass
class Endpoint:
    basename: str
    prefix: str
    rows: int | None = None
    queries: dict[int, int] = field(default_factory=dict)
    api: Latency | None = None
    bare: Latency | None = None

    def params(self, page_size: int) -> dict:
        return {**REQUIRED_QUERY.get(self.basename, {}), "page_size": page_size}

    def url(self, page_size: int) -> str:
        return f"/api/v1/{self.prefix}/?{urlencode(self.params(page_size))}"

    def bare_url(self, page_size: int) -> str:
        return f"/bench/bare/{self.basename}/?{urlencode(self.params(page_size))}"


def count_queries(endpoints: list[Endpoint], key: str) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT="application/json")
    for endpoint in endpoints:
        client.get(endpoint.url(1))  # warm-up: per-process caches
        for size in WANTED_PAGES:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(endpoint.url(size))
            if response.status_code != 200:
                raise SystemExit(f"{endpoint.url(size)}: {response.status_code} {response.content[:300]!r}")
            body = response.json()
            endpoint.queries[size] = len(captured)
            endpoint.rows = body["count"] if isinstance(body, dict) else len(body)


@dataclass
class Latency:
    timings: list[float]
    errors: int
    wall: float

    def percentile(self, p: float) -> float:
        ordered = sorted(self.timings)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

    @property
    def throughput(self) -> float:
        return len(self.timings) / self.wall


def hammer(port: int, path: str, headers: dict, *, requests: int, clients: int) -> Latency:
    """``requests`` GETs of ``path`` by ``clients`` threads, each on its own connection (kept alive when the server
    allows it); every request's time from sending to the last byte of the body."""
    lock = threading.Lock()
    remaining = [requests]
    timings: list[float] = []
    errors = [0]

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                started = time.perf_counter()
                try:
                    connection.request("GET", path, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):
                    connection.close()
                    ok = False
                elapsed = time.perf_counter() - started
                with lock:
                    if ok:
                        timings.append(elapsed)
                    else:
                        errors[0] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Latency(timings=timings, errors=errors[0], wall=time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(args, port: int, log) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--chdir",
        str(ROOT),
        "--log-level",
        "warning",
    ]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DATABASE_CONN_MAX_AGE": str(args.conn_max_age),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_until_serving(port: int, headers: dict, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/v1/", headers=headers)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer within a minute")


def measure(endpoints: list[Endpoint], key: str, args) -> None:
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json", "Connection": "keep-alive"}
    port = free_port()
    with tempfile.NamedTemporaryFile("w+", prefix="bench-api-gunicorn-", suffix=".log") as log:
        server = start_gunicorn(args, port, log)
        try:
            wait_until_serving(port, headers, server)
            for endpoint in endpoints:
                for attr, path in (("api", endpoint.url(args.page_size)), ("bare", endpoint.bare_url(args.page_size))):
                    hammer(port, path, headers, requests=args.warmup, clients=args.clients)
                    result = hammer(port, path, headers, requests=args.requests, clients=args.clients)
                    setattr(endpoint, attr, result)
                print(
                    f"  {endpoint.basename:20} {endpoint.api.percentile(50):7.1f} {endpoint.api.percentile(95):7.1f}"
                    f"   bare {endpoint.bare.percentile(50):6.1f} {endpoint.bare.percentile(95):6.1f} ms"
                    f"   load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            log.seek(0)
            problems = [line for line in log.read().splitlines() if "Traceback" in line or "Error" in line]
            for line in problems[:20]:
                print(f"  gunicorn: {line}")


# --- report --------------------------------------------------------------------------------------------------------


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return f"machine: {os.cpu_count()} CPUs, load average {load_average()} (1, 5, 15 min); PostgreSQL {version}"


def report(endpoints: list[Endpoint], args, load_before: str) -> None:
    size = args.page_size
    print()
    print(
        f"{'endpoint':20} {'rows':>6} {'q@1':>4} {'q@100':>6} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>6} "
        f"{'bare p50':>9} {'bare p95':>9} {'bare req/s':>10} {'ratio':>6}"
    )
    for e in endpoints:
        ratio = e.api.percentile(50) / e.bare.percentile(50)
        errors = f"  ({e.api.errors} + {e.bare.errors} errors)" if e.api.errors or e.bare.errors else ""
        grows = "  <- grows" if e.queries[1] != e.queries[100] else ""
        print(
            f"{e.basename:20} {e.rows:>6} {e.queries[1]:>4} {e.queries[100]:>6} {e.api.percentile(50):>7.1f} "
            f"{e.api.percentile(95):>7.1f} {e.api.throughput:>6.0f} {e.bare.percentile(50):>9.1f} "
            f"{e.bare.percentile(95):>9.1f} {e.bare.throughput:>10.0f} {ratio:>5.1f}×{errors}{grows}"
        )
    print()
    print(
        f"latency: page_size={size} (the gap list is not paginated), {args.requests} requests per endpoint after "
        f"{args.warmup} of warm-up, {args.clients} concurrent clients; gunicorn {args.workers} {args.worker_class} "
        f"worker(s) × {args.threads} thread(s), DATABASE_CONN_MAX_AGE={args.conn_max_age}"
    )
    print(f"load average before the latency runs {load_before}, after {load_average()} ({os.cpu_count()} CPUs)")


def run(args) -> int:
    from django.db import connection

    if not args.reuse_db:
        load(programs=args.programs, pairings=args.pairings, seed=args.seed)
    print(machine())
    key = officer_token()
    endpoints = [Endpoint(basename, prefix) for basename, prefix in list_endpoints()]
    count_queries(endpoints, key)
    print(f"queries counted; latency at page_size={args.page_size} (p50, p95; bare p50, p95):")
    connection.close()
    load_before = load_average()
    measure(endpoints, key, args)
    report(endpoints, args, load_before)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-name", default=DEFAULT_DB_NAME)
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards (for --reuse-db)")
    parser.add_argument("--reuse-db", action="store_true", help="measure a database kept by an earlier --keep-db")
    parser.add_argument("--programs", type=int, default=3, help="extra programs beside the demo's; default 3")
    parser.add_argument("--pairings", type=int, default=40, help="pairings per extra program (≤ 68); default 40")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--page-size", type=int, default=100, help="page size of the latency runs; default 100")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients; default 20")
    parser.add_argument("--requests", type=int, default=100, help="measured requests per endpoint; default 100")
    parser.add_argument("--warmup", type=int, default=10, help="requests per endpoint before measuring; default 10")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers; default 3 (as docker-compose)")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker; default 1")
    parser.add_argument(
        "--conn-max-age", type=int, default=60, help="DATABASE_CONN_MAX_AGE of the server; default 60 (as production)"
    )
    args = parser.parse_args(argv)

    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        parser.error("set DATABASE_URL=postgres://user@host:port/anything (the script uses a database of its own)")
    exists = database_exists(server, args.db_name)
    if args.reuse_db and not exists:
        parser.error(f"--reuse-db: database {args.db_name!r} does not exist")
    if not args.reuse_db:
        if exists:
            raise SystemExit(
                f"Database {args.db_name!r} already exists. Drop it, or measure it again with --reuse-db if an earlier "
                "run kept it (--keep-db)."
            )
        create_database(server, args.db_name)
    os.environ["DATABASE_URL"] = _with_database(server, args.db_name)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()
    if args.reuse_db and not is_bench_database():
        print(f"Refusing: {args.db_name!r} was not made by this script (no {OFFICER}, no {PROGRAM_PREFIX}* program).")
        return 2
    try:
        return run(args)
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            drop_database(server, args.db_name)
            print(f"dropped {args.db_name}")


if __name__ == "__main__":
    sys.exit(main())
