"""One permission matrix over every endpoint of /api/v1/: who reads, who writes, and which rows a liaison meets.

Every viewset registered on the API router (``config.api_router.router.registry``) is tried by every persona:
GET of the list, GET of county A's row, POST on the list, PUT / PATCH / DELETE of county A's row, and each extra
action. ``EXPECTED`` below describes each endpoint; a viewset registered without a line there (or an extra action
without an entry) fails ``test_every_registered_endpoint_is_described``, so a new endpoint cannot slip in untried.

County A is 台儿庄区 (370405), the weak county of ``pairing_a`` with 黄岛区 (370211); county B is 蒙阴县 (371328),
of ``pairing_b`` with 历城区 (370112). ``liaison_a`` is A's liaison, ``liaison_b`` B's. The data hold, for every
endpoint, rows of both sides built through the factories and services; "A's row" belongs to side A only.

Status codes are written in persona order, one column each:

    officer  finance  leader  liaison_a  liaison_b  norole  anonymous

Rows and their county: ``Tie`` says how a row of the JSON names the pairing or county it belongs to (or, where the
JSON names none, that the row is looked up among the rows the data made for each side). A liaison's list must hold
rows of their own side only — at least one, none of the other side — and its ``count`` must not count others; the
provincial roles must see both sides. ``tie=None`` marks reference data every role reads in full (regions,
programs, statistics, gaps): a liaison's list equals the officer's.

Each write is made in a savepoint that is rolled back, so every persona meets the same data and a 201 for one does
not turn into a 400 for the next.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Model
from rest_framework.test import APIClient

from common.export_jobs import export_job_request, export_job_run
from config.api_router import router
from funds.factories import BondPlanFactory, FundFactory, PairIndustryFundFactory
from funds.reward_runs import reward_run_start
from funds.services import (
    allocation_create,
    bond_issue_create,
    bond_quota_assign,
    disbursement_create,
    fund_close_year,
    fund_contribution_create,
    fund_investment_create,
    park_ledger_record,
)
from impact.factories import ImpactCountyFactory, ImpactResultFactory
from pairing.factories import ParkFactory, ParkPartnerFactory, ProgramCountyFactory, ProgramFactory
from projects.cooperation import cross_county_order_create, promotion_event_create, secondment_create
from projects.factories import ProjectFactory
from projects.models import ProgressReport, Stage
from projects.reports import ReportData, progress_report_save
from projects.warnings import warnings_refresh
from reporting.models import METRICS_WITH_INDICATOR, EvaluationReport, Metric, Target
from stats.models import Indicator, StatValue
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PERSONAS = ("officer", "finance", "leader", "liaison_a", "liaison_b", "norole", "anonymous")
LIAISON_SIDE = {"liaison_a": "a", "liaison_b": "b"}
SIDE_OF_COUNTY = {"370211": "a", "370405": "a", "370112": "b", "371328": "b"}

# --- Status profiles, in persona order: officer finance leader liaison_a liaison_b norole anonymous ---------------
EVERY_ROLE_READS = "200 200 200 200 200 403 401"
SCOPED_DETAIL = "200 200 200 200 404 403 401"  # county A's row: liaison_b does not find it
NO_ROUTE = "404 404 404 404 404 404 404"  # the router makes no such URL
OWNER_ONLY = "404 404 404 200 404 404 401"  # liaison_a's export job: nobody else finds it
# No handler: the officer (the default writer) passes the role gate and meets 405; everyone else is stopped there.
READ_ONLY_WRITES = "405 403 403 403 403 403 401"
MONEY_CREATES = "201 201 403 403 403 403 401"
MONEY_CHANGES = "405 405 403 403 403 403 401"  # corrections are new entries
# Officers and liaisons write; the payload points at pairing A, which does not exist for liaison_b's payload (400 on
# the field, not a 403 / 404 that would tell them it is there).
LIAISON_CREATES = "201 403 403 201 400 403 401"
LIAISON_CHANGES = "405 403 403 405 405 403 401"


def statuses(profile: str) -> dict[str, int]:
    codes = [int(code) for code in profile.split()]
    assert len(codes) == len(PERSONAS), profile
    return dict(zip(PERSONAS, codes, strict=True))


# --- How a row names its side ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tie:
    """How a row of the JSON names the pairing or county it belongs to: ``sides(row, world)`` → {"a"}, {"b"}, ..."""

    what: str
    sides: Callable[[dict, World], set[str]]


def by_pairing(key: str = "pairing") -> Tie:
    return Tie(f"row[{key!r}] is its pairing", lambda row, w: {w.side_of_pairing.get(row[key], "?")})


def by_county(key: str = "county") -> Tie:
    return Tie(f"row[{key!r}] is its county", lambda row, w: {SIDE_OF_COUNTY.get(row[key], "?")})


def by_nested_counties(key: str) -> Tie:
    return Tie(
        f"row[{key!r}][*]['county'] are its counties",
        lambda row, w: {SIDE_OF_COUNTY.get(item["county"], "?") for item in row[key]},
    )


def by_known_row(basename: str) -> Tie:
    """The JSON names no county (a guidance fund, a bond plan): the row is one the data made for a side."""
    return Tie(
        "the JSON names no county: a row the data made for a side",
        lambda row, w: {w.side_of_row[basename].get(row["id"], "?")},
    )


# --- The expectations table ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    tie: Tie | None  # None: reference data, every role reads all of it
    list: str  # GET on the list URL
    detail: str | None  # GET of county A's row; None: the viewset has no detail route
    post: str  # POST on the list URL
    change: str | None = None  # PUT, PATCH and DELETE of county A's row (unless given one by one)
    put: str | None = None
    patch: str | None = None
    delete: str | None = None
    actions: dict[str, str] = field(default_factory=dict)  # extra action url_path → statuses

    def writes(self) -> dict[str, str]:
        return {
            "put": self.put or self.change,
            "patch": self.patch or self.change,
            "delete": self.delete or self.change,
        }


def reference() -> Expect:
    return Expect(
        tie=None, list=EVERY_ROLE_READS, detail=EVERY_ROLE_READS, post=READ_ONLY_WRITES, change=READ_ONLY_WRITES
    )


def scoped_read_only(tie: Tie) -> Expect:
    return Expect(tie=tie, list=EVERY_ROLE_READS, detail=SCOPED_DETAIL, post=READ_ONLY_WRITES, change=READ_ONLY_WRITES)


def money(tie: Tie, **extra) -> Expect:
    values = {
        "tie": tie,
        "list": EVERY_ROLE_READS,
        "detail": SCOPED_DETAIL,
        "post": MONEY_CREATES,
        "change": MONEY_CHANGES,
        **extra,
    }
    return Expect(**values)


def cooperation() -> Expect:
    return Expect(
        tie=by_pairing(),
        list=EVERY_ROLE_READS,
        detail=SCOPED_DETAIL,
        post=LIAISON_CREATES,
        change=LIAISON_CHANGES,
    )


def usage(nested: str) -> Expect:
    """fund-usage / bond-usage: a detail only, and for a liaison only with their county's line in it."""
    return Expect(
        tie=by_nested_counties(nested), list=NO_ROUTE, detail=SCOPED_DETAIL, post=NO_ROUTE, change=READ_ONLY_WRITES
    )


EXPECTED: dict[str, Expect] = {
    # Reference data: every role reads all of it; nobody writes it through the API.
    "region": reference(),
    "program": reference(),
    "statistic": reference(),
    "gap": Expect(
        tie=None,
        list=EVERY_ROLE_READS,
        detail=None,
        post=READ_ONLY_WRITES,
        actions={"summary": EVERY_ROLE_READS, "history": EVERY_ROLE_READS},
    ),
    # Read-only, scoped to the liaison's pairings (either side).
    "pairing": scoped_read_only(by_pairing("id")),
    "park": scoped_read_only(by_pairing()),
    "project": scoped_read_only(by_pairing()),
    "warning": scoped_read_only(by_county()),
    # Liaisons file reports on their county's projects; A's report is a draft, so an officer's approve / return is
    # refused by the workflow (400) and a liaison's by the reviewer rule (403).
    "progress-report": Expect(
        tie=by_county(),
        list=EVERY_ROLE_READS,
        detail=SCOPED_DETAIL,
        post=LIAISON_CREATES,
        put="200 403 403 200 404 403 401",
        patch="200 403 403 200 404 403 401",
        delete=LIAISON_CHANGES,
        actions={
            "submit": "200 403 403 200 404 403 401",
            "approve": "400 403 403 403 404 403 401",
            "return": "400 403 403 403 404 403 401",
        },
    ),
    # Cooperation records: liaisons write for their own pairings.
    "cross-county-order": cooperation(),
    "promotion-event": cooperation(),
    "secondment": cooperation(),
    # Money: provincial and finance officers write, append-only.
    # Closing a fund's year (confirmed in the body) and reopening it: the money writers; A's fund is open, so the
    # reopening is a no-op (200).
    "fund": money(
        by_known_row("fund"),
        actions={"close-year": "200 200 403 403 403 403 401", "reopen-year": "200 200 403 403 403 403 401"},
    ),
    "allocation": money(by_county()),
    "disbursement": money(by_county()),
    "bond-plan": money(by_known_row("bond-plan")),
    "bond-quota": money(by_county()),
    "bond-issue": money(by_county()),
    "fund-contribution": money(by_pairing()),
    "fund-investment": money(by_pairing()),
    "park-ledger": money(by_pairing()),
    # A's run is a draft started by the finance officer, its year closed by the system: POST recomputes it (200),
    # only another officer approves; the money writers may discard the draft.
    "reward-run": money(
        by_nested_counties("shares"),
        post="200 200 403 403 403 403 401",
        actions={"approve": "200 403 403 403 403 403 401", "discard": "200 200 403 403 403 403 401"},
    ),
    "fund-usage": usage("counties"),
    "bond-usage": usage("counties"),
    # Annual evaluation reports: each side has its county's own report. The provincial roles read every report, a
    # liaison the county reports of their own pairings (program-wide ones never: tests/security/
    # test_generated_documents.py); only provincial officers ask for one (202: queued); nothing is changed.
    "evaluation-report": Expect(
        tie=by_county(),
        list=EVERY_ROLE_READS,
        detail=SCOPED_DETAIL,
        post="202 403 403 403 403 403 401",
        change=READ_ONLY_WRITES,
        actions={"html": SCOPED_DETAIL, "pdf": SCOPED_DETAIL},
    ),
    # Targets: read-only through the API (officers set them in the admin), scoped to the liaison's pairings.
    "target": scoped_read_only(by_county()),
    # Impact estimates: one object per program and indicator; a liaison's holds the weak counties of their own
    # pairings (and the pooled figures), the provincial roles' every weak county.
    "impact": Expect(
        tie=Tie(
            "row['counties'][*]['region'] are its weak counties",
            lambda row, w: {SIDE_OF_COUNTY.get(c["region"], "?") for c in row["counties"]},
        ),
        list=EVERY_ROLE_READS,
        detail=None,
        post=READ_ONLY_WRITES,
        actions={"chart": EVERY_ROLE_READS},
    ),
    # The dashboard's figures: no list or detail, actions every role reads (scoped inside the figures).
    "report": Expect(
        tie=None,
        list=NO_ROUTE,
        detail=None,
        post=NO_ROUTE,
        actions={
            action: EVERY_ROLE_READS
            for action in ("program-summary", "map", "boundaries", "gap-bars", "trends", "funnel")
        },
    ),
    # Export jobs: only their owner finds them, whatever the others' roles (A's job is liaison_a's, done); no list, no
    # writes (the officer, who passes the role gate elsewhere, meets 405 like every other signed-in user).
    "export": Expect(
        tie=by_known_row("export"),
        list=NO_ROUTE,
        detail=OWNER_ONLY,
        post=NO_ROUTE,
        change="405 405 405 405 405 405 401",
        actions={"download": OWNER_ONLY},
    ),
}

# Lists that answer one object (not a page of rows): the object is the one row whose side is checked.
SINGLE_OBJECT_LISTS = {"impact"}

REGISTRY = {basename: (prefix, viewset) for prefix, viewset, basename in router.registry}


# --- The data: rows of both sides for every endpoint -----------------------------------------------------------------

WARNINGS_DAY = dt.date(2025, 10, 20)
REPORT_PERIOD = "2025-09"


@dataclass
class World:
    side_of_pairing: dict[int, str]
    side_of_row: dict[str, dict[int, str]]  # basename → row id → side, for JSON that names no county
    a: dict[str, Model]  # what county A's rows are and the payloads draw on
    detail_key: dict[str, object]  # basename → the lookup value of county A's row


def _report_data(cumulative: str) -> ReportData:
    return ReportData(stage=Stage.SIGNED, cumulative_investment=Decimal(cumulative), month_investment=Decimal("0"))


def _side(side: str, pairing, liaison, finance, program, year: int) -> dict[str, Model]:
    """Everything of one side: its own guidance fund and bond plan (one county each), its pair industry fund, park,
    project with a report, cooperation records, statistics and a reward run in a program of its own (so the run has
    a line for this county only)."""
    weak = pairing.weak_county
    rows: dict[str, Model] = {}
    rows["project"] = ProjectFactory(pairing=pairing, code=f"{side.upper()}-001", signed_date=dt.date(2025, 3, 15))
    rows["progress-report"] = progress_report_save(
        project=rows["project"], period=REPORT_PERIOD, data=_report_data("30000000.00"), by=liaison
    )

    rows["fund"] = FundFactory(program=program, year=year, total=Decimal("200000000.00"))
    rows["allocation"] = allocation_create(
        fund=rows["fund"], county=weak, amount=Decimal("50000000.00"), allocated_on=dt.date(year, 3, 1)
    )
    rows["disbursement"] = disbursement_create(
        allocation=rows["allocation"], amount=Decimal("10000000.00"), paid_on=dt.date(year, 4, 1)
    )
    rows["bond-plan"] = BondPlanFactory(program=program, year=year, total=Decimal("2000000000.00"))
    rows["bond-quota"] = bond_quota_assign(plan=rows["bond-plan"], county=weak, quota=Decimal("500000000.00"))
    rows["bond-issue"] = bond_issue_create(
        quota=rows["bond-quota"],
        amount=Decimal("100000000.00"),
        issue_date=dt.date(year, 6, 30),
        term_years=10,
        rate_pct=Decimal("2.350"),
    )

    rows["pair-fund"] = PairIndustryFundFactory(pairing=pairing, total=Decimal("100000000.00"))
    rows["fund-contribution"] = fund_contribution_create(
        fund=rows["pair-fund"], county=weak, amount=Decimal("50000000.00"), paid_on=dt.date(2025, 3, 1)
    )
    rows["fund-investment"] = fund_investment_create(
        fund=rows["pair-fund"], project=rows["project"], amount=Decimal("10000000.00"), invested_on=dt.date(2025, 3, 1)
    )
    rows["park"] = ParkFactory(pairing=pairing)
    ParkPartnerFactory(park=rows["park"], county=pairing.strong_county, tax_share_pct=60, output_share_pct=50)
    ParkPartnerFactory(park=rows["park"], county=weak, tax_share_pct=40, output_share_pct=50)
    rows["park-ledger"] = park_ledger_record(
        park=rows["park"], period="2025", tax=Decimal("1000000.01"), output=Decimal("30000000.00"), by=finance
    )

    rows["cross-county-order"] = cross_county_order_create(
        pairing=pairing,
        buyer="某食品有限公司",
        seller="某包装材料有限公司",
        seller_county=pairing.strong_county,
        amount=Decimal("20000000.00"),
        signed_date=dt.date(2025, 5, 20),
        by=liaison,
    )
    rows["promotion-event"] = promotion_event_create(
        pairing=pairing, title=f"协同招商推介会 {side.upper()}", held_on=dt.date(2025, 4, 18), by=liaison
    )
    rows["secondment"] = secondment_create(
        pairing=pairing,
        person="张三",
        from_county=pairing.strong_county,
        to_county=weak,
        post="副县长(挂职)",
        start_date=dt.date(2024, 11, 1),
        by=liaison,
    )

    for period, level in (("2024", "1000000000.00"), ("2025", "1050000000.00")):
        # get_or_create: tests/test_query_counts.py builds several sides on one county.
        rows["statistic"], _made = StatValue.objects.get_or_create(
            region=weak,
            indicator=Indicator.MAIN_TAX,
            period=period,
            defaults={"value": Decimal(level), "source": "测试数据"},
        )
    rows["target"], _made = Target.objects.get_or_create(
        program=program,
        county=weak,
        year=year,
        metric=Metric.PROJECTS_OVER,
        indicator="",
        defaults={"threshold": Decimal("100000000"), "target": 8},
    )
    # One target of every other metric, so a page of targets mixes them (tests/test_query_counts.py).
    for metric in Metric.values:
        if metric == Metric.PROJECTS_OVER:
            continue
        indicator = Indicator.GDP if metric in METRICS_WITH_INDICATOR else ""
        Target.objects.get_or_create(
            program=program,
            county=weak,
            year=year,
            metric=metric,
            indicator=indicator,
            defaults={"target": 0, "direction": "at_most" if metric == Metric.RANK else "at_least"},
        )
    # A finished evaluation report of the side's county (the real files come from reporting.evaluation's task).
    rows["evaluation-report"] = EvaluationReport.objects.create(
        program=program,
        county=weak,
        year=year,
        status="done",
        progress=100,
        finished_at=dt.datetime(year, 12, 31, tzinfo=dt.UTC),
        html=ContentFile(b"<!DOCTYPE html><title>report</title>", name="report.html"),
        pdf=ContentFile(b"%PDF-1.7\n%%EOF\n", name="report.pdf"),
    )
    reward_program = ProgramFactory(code=f"sd-reward-{side}")
    ProgramCountyFactory(program=reward_program, county=weak)
    rows["reward-fund"] = FundFactory(program=reward_program, year=2025, total=Decimal("100000000.00"))
    rows["reward-run"], _created = reward_run_start(fund=rows["reward-fund"], by=finance)
    fund_close_year(fund=rows["reward-fund"])
    # The liaison's export of their projects' list, written by its job (tests/common/test_export_jobs.py).
    rows["export"] = export_job_request(
        owner=liaison,
        path="/api/v1/projects/",
        query="format=xlsx",
        file_format="xlsx",
        stem="project",
        language="zh-hans",
        origin="http://testserver",
        rows=1,
    )
    export_job_run(job_id=rows["export"].pk)
    return rows


@pytest.fixture
def world(program, pairing_a, pairing_b, liaison_a, liaison_b, finance) -> World:
    sides = {
        "a": _side("a", pairing_a, liaison_a, finance, program, 2025),
        "b": _side("b", pairing_b, liaison_b, finance, program, 2026),
    }
    warnings_refresh(today=WARNINGS_DAY)
    impact = ImpactResultFactory(program=program, indicator="gdp")
    for pairing in (pairing_a, pairing_b):
        ImpactCountyFactory(result=impact, region=pairing.weak_county)
    side_of_row = {
        "fund": {sides[s][key].pk: s for s in sides for key in ("fund", "pair-fund", "reward-fund")},
        "bond-plan": {sides[s]["bond-plan"].pk: s for s in sides},
        "export": {sides[s]["export"].pk: s for s in sides},
    }
    a = sides["a"]
    a["program"], a["pairing"], a["region"] = program, pairing_a, pairing_a.weak_county
    detail_key: dict[str, object] = {
        basename: a[basename].pk for basename in EXPECTED if basename in a and EXPECTED[basename].detail
    }
    detail_key.update(
        {
            "region": pairing_a.weak_county.adcode,
            "warning": a["project"].pk,  # a warning is looked up by its project
            "fund-usage": a["fund"].pk,
            "bond-usage": a["bond-plan"].pk,
        }
    )
    return World(
        side_of_pairing={pairing_a.pk: "a", pairing_b.pk: "b"},
        side_of_row=side_of_row,
        a=a,
        detail_key=detail_key,
    )


# --- What each request sends -----------------------------------------------------------------------------------------


def list_query(basename: str, w: World) -> dict:
    if basename == "gap":
        return {"program": "sd-test", "period": "2025"}
    if basename == "impact":
        return {"program": "sd-test", "indicator": "gdp"}
    return {"page_size": 500}


def action_body(basename: str, action: str, w: World) -> dict:
    """The query (GET) or body (POST) of an extra action."""
    return {
        ("gap", "summary"): {"program": "sd-test", "period": "2025"},
        ("gap", "history"): {"region": "370405"},
        ("report", "program-summary"): {"program": "sd-test", "period": "2025"},
        ("report", "map"): {"program": "sd-test", "period": "2025"},
        ("report", "boundaries"): {"province": "370000"},
        ("report", "gap-bars"): {"program": "sd-test", "period": "2025"},
        ("report", "trends"): {"program": "sd-test"},
        ("report", "funnel"): {"program": "sd-test"},
        ("impact", "chart"): {"program": "sd-test", "indicator": "gdp"},
        ("progress-report", "return"): {"comment": "请补充投资凭证"},
        ("fund", "close-year"): {"confirm": True},
    }.get((basename, action), {})


def create_payload(basename: str, w: World) -> dict:
    """A POST the rules accept from a writer of pairing A, on county A's rows; ``{}`` where there is no create."""
    a = w.a
    pairing = a["pairing"]
    payloads: dict[str, Callable[[], dict]] = {
        "progress-report": lambda: {
            "project": a["project"].pk,
            "period": "2025-08",
            "stage": "signed",
            "cumulative_investment": "25000000.00",
            "month_investment": "5000000.00",
        },
        "cross-county-order": lambda: {
            "pairing": pairing.pk,
            "buyer": "某农产品有限公司",
            "seller": "某冷链物流有限公司",
            "seller_county": pairing.strong_county_id,
            "amount": "12500000.50",
            "signed_date": "2025-06-30",
        },
        "promotion-event": lambda: {"pairing": pairing.pk, "title": "协同招商推介会", "held_on": "2025-05-16"},
        "secondment": lambda: {
            "pairing": pairing.pk,
            "person": "李四",
            "from_county": pairing.weak_county_id,
            "to_county": pairing.strong_county_id,
            "post": "产业园管委会副主任(挂职)",
            "start_date": "2025-03-01",
        },
        "fund": lambda: {"program": "sd-test", "year": 2027, "kind": "guidance", "total": "200000000.00"},
        "allocation": lambda: {
            "fund": a["fund"].pk,
            "county": pairing.weak_county_id,
            "amount": "20000000.00",
            "date": "2025-05-01",
        },
        "disbursement": lambda: {"allocation": a["allocation"].pk, "amount": "5000000.00", "date": "2025-05-01"},
        "bond-plan": lambda: {"program": "sd-test", "year": 2027, "total": "1500000000.00"},
        "bond-quota": lambda: {"plan": a["bond-plan"].pk, "county": "371328", "quota": "200000000.00"},
        "bond-issue": lambda: {
            "quota": a["bond-quota"].pk,
            "amount": "50000000.00",
            "issue_date": "2025-09-15",
            "term_years": 15,
            "rate_pct": "2.180",
        },
        "fund-contribution": lambda: {
            "fund": a["pair-fund"].pk,
            "county": pairing.weak_county_id,
            "amount": "5000000.00",
            "paid_on": "2025-06-01",
        },
        "fund-investment": lambda: {
            "fund": a["pair-fund"].pk,
            "project": a["project"].pk,
            "amount": "2500000.50",
            "invested_on": "2025-06-01",
        },
        "park-ledger": lambda: {"park": a["park"].pk, "period": "2025-06", "tax": "1000000.01", "output": "0.00"},
        "reward-run": lambda: {"fund": a["reward-fund"].pk},
        "evaluation-report": lambda: {"program": "sd-test", "year": 2025},
    }
    return payloads[basename]() if basename in payloads else {}


def change_payload(basename: str, w: World) -> dict:
    if basename == "progress-report":
        return {"stage": "signed", "cumulative_investment": "31000000.00", "month_investment": "1000000.00"}
    return {}


def headers(basename: str, w: World) -> dict:
    """A progress report is changed only with its current ETag in If-Match (428 without, 412 when stale)."""
    if basename == "progress-report":
        report = ProgressReport.objects.get(pk=w.a["progress-report"].pk)
        return {"HTTP_IF_MATCH": f'"{report.pk}-{report.version}"'}
    return {}


# --- The checks ------------------------------------------------------------------------------------------------------


def undone(client: APIClient, method: str, url: str, **kwargs):
    """Make the request and roll back whatever it wrote."""
    with transaction.atomic():
        response = getattr(client, method)(url, **kwargs)
        transaction.set_rollback(True)
    return response


def rows_of(body) -> list[dict]:
    return body["results"] if isinstance(body, dict) else body


@pytest.fixture
def clients(request) -> dict[str, APIClient]:
    made = {persona: client_for(request.getfixturevalue(persona)) for persona in PERSONAS if persona != "anonymous"}
    made["anonymous"] = request.getfixturevalue("api_client")
    for client in made.values():
        client.credentials(HTTP_ACCEPT_LANGUAGE="en")  # failure messages in the English source strings
    return made


def test_every_registered_endpoint_is_described():
    assert set(REGISTRY) == set(EXPECTED), (
        f"registered but not described: {sorted(set(REGISTRY) - set(EXPECTED))}; "
        f"described but not registered: {sorted(set(EXPECTED) - set(REGISTRY))}"
    )
    for basename, (_prefix, viewset) in REGISTRY.items():
        actions = {action.url_path for action in viewset.get_extra_actions()}
        assert actions == set(EXPECTED[basename].actions), basename
        assert (EXPECTED[basename].detail is None) == (not hasattr(viewset, "retrieve")), basename


def test_every_status_profile_names_every_persona():
    for basename, expect in EXPECTED.items():
        profiles = [expect.list, expect.post, expect.detail, *expect.writes().values(), *expect.actions.values()]
        for profile in filter(None, profiles):
            assert statuses(profile), basename


@dataclass
class Trial:
    """One endpoint tried by every persona. Every mismatch is collected, so a failure shows the whole picture."""

    basename: str
    world: World
    wrong: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        prefix, self.viewset = REGISTRY[self.basename]
        self.expect = EXPECTED[self.basename]
        self.list_url = f"/api/v1/{prefix}/"
        key = self.world.detail_key.get(self.basename)
        self.detail_url = f"{self.list_url}{key}/" if self.expect.detail else None

    def status(self, persona: str, what: str, response, profile: str) -> bool:
        expected = statuses(profile)[persona]
        if response.status_code == expected:
            return True
        body = response.content.decode()[:200]
        self.wrong.append(f"{persona:9} {what}: expected {expected}, got {response.status_code} {body}")
        return False

    def tied(self, persona: str, what: str, rows: list[dict], wanted: set[str]) -> None:
        tie = self.expect.tie
        seen = set().union(*(tie.sides(row, self.world) for row in rows))
        if seen != wanted:
            self.wrong.append(f"{persona:9} {what}: rows of {sorted(seen)}, expected {sorted(wanted)} ({tie.what})")

    def read_list(self, persona: str, client: APIClient) -> list[dict] | None:
        response = client.get(self.list_url, list_query(self.basename, self.world))
        if not self.status(persona, "GET list", response, self.expect.list) or response.status_code != 200:
            return None
        body = response.json()
        if self.basename in SINGLE_OBJECT_LISTS:
            return [body]
        if isinstance(body, dict) and body["count"] != len(body["results"]):
            self.wrong.append(f"{persona:9} GET list: count {body['count']} but {len(body['results'])} rows")
        return rows_of(body)

    def read_detail(self, persona: str, client: APIClient) -> None:
        if self.detail_url is None:
            return
        response = client.get(self.detail_url)
        ok = self.status(persona, "GET A's row", response, self.expect.detail)
        if ok and response.status_code == 200 and self.expect.tie is not None:
            self.tied(persona, "GET A's row", [response.json()], {"a"})

    def write(self, persona: str, client: APIClient) -> None:
        payload = create_payload(self.basename, self.world)
        self.status(
            persona, "POST", undone(client, "post", self.list_url, data=payload, format="json"), self.expect.post
        )
        if self.detail_url is None:
            return
        for method, profile in self.expect.writes().items():
            body, extra = change_payload(self.basename, self.world), headers(self.basename, self.world)
            response = undone(client, method, self.detail_url, data=body, format="json", **extra)
            self.status(persona, f"{method.upper()} A's row", response, profile)

    def act(self, persona: str, client: APIClient) -> None:
        for action in self.viewset.get_extra_actions():
            method = next(iter(action.mapping))
            url = f"{self.detail_url if action.detail else self.list_url}{action.url_path}/"
            body = action_body(self.basename, action.url_path, self.world)
            extra = {} if method == "get" else {"format": "json", **headers(self.basename, self.world)}
            response = undone(client, method, url, data=body, **extra)
            self.status(persona, f"{method.upper()} {action.url_path}", response, self.expect.actions[action.url_path])

    def compare_lists(self, lists: dict[str, list[dict]]) -> None:
        """Reference data: everyone's list is the officer's. Rows tied to a side: a liaison's list holds their own
        side only (and something of it), the provincial roles' lists both sides."""
        for persona, rows in lists.items():
            if self.expect.tie is None:
                if rows != lists["officer"]:
                    self.wrong.append(f"{persona:9} GET list: reference data differ from the officer's")
            else:
                self.tied(persona, "GET list", rows, {LIAISON_SIDE[persona]} if persona in LIAISON_SIDE else {"a", "b"})


@pytest.mark.parametrize("basename", sorted(REGISTRY))
def test_endpoint(world, clients, basename):
    if basename not in EXPECTED:
        pytest.fail(f"{basename} is registered on the API router but not described in EXPECTED")
    trial = Trial(basename, world)
    lists: dict[str, list[dict]] = {}

    for persona, client in clients.items():
        if (rows := trial.read_list(persona, client)) is not None:
            lists[persona] = rows
        trial.read_detail(persona, client)
        trial.write(persona, client)
        trial.act(persona, client)
    trial.compare_lists(lists)

    assert not trial.wrong, f"{basename}:\n" + "\n".join(trial.wrong)
