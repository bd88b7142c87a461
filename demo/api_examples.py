"""The examples of the OpenAPI schema, taken from real answers of the API rather than written by hand.

``generate_examples()`` builds a small fixed data set (the documented shape of the program: two pairings, their
projects, reports in each state, cooperation records, funds, bonds, statistics) through the factories and services,
then calls every operation of the schema as a provincial officer: each GET, and one write per write operation that
the rules accept, each in a savepoint rolled back so every write meets the same data. The answers become
``common/api/examples.json`` (``manage.py api_examples``), which ``common.api.examples.response_examples`` puts in
the schema. Run it inside a transaction that is rolled back: it writes rows.

An operation the generator cannot call fails loudly, naming what to add: a row for a detail (``rows``), a value
for a required query parameter (``QUERY_VALUES``) or a payload for a write (``WRITES``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from common.api.examples import METHODS, operation_key

API_PREFIX = "/api/v1/"
EXAMPLE_ORIGIN = "https://tracker.example.gov.cn"
LIST_PAGE_SIZE = 2  # enough to show a page with a `next` link
MAX_ITEMS = 3  # longer lists in an answer are cut to their first items: an example is read, not processed
MAX_TEXT = 600  # and a text document (HTML) to its beginning
WARNINGS_DAY = dt.date(2025, 10, 20)

# Required query parameters by name, with the data set's values.
QUERY_VALUES = {
    "program": "sd-2024",
    "period": "2025",
    "indicator": "gdp",
    "region": "370405",
    "province": "370000",
}


class ExampleError(Exception):
    """An operation could not be called successfully; the message says what to add."""


@dataclass
class ExampleData:
    officer: Any
    rows: dict[str, models.Model] = field(default_factory=dict)  # what details and writes point at, by name


def build_example_data() -> ExampleData:
    """The data set: fixed names, dates and amounts, so the examples read like the program's own records."""
    from accounts.models import Role
    from accounts.services import user_set_role
    from common.export_jobs import export_job_request, export_job_run
    from demo.statistics import demo_statistics_seed
    from funds.factories import FundFactory, PairIndustryFundFactory
    from funds.reward_runs import reward_run_start
    from funds.services import (
        allocation_create,
        bond_issue_create,
        bond_plan_create,
        bond_quota_assign,
        disbursement_create,
        fund_close_year,
        fund_contribution_create,
        fund_investment_create,
        park_ledger_record,
    )
    from pairing.factories import CountyFactory, PairingFactory, ParkFactory, ParkPartnerFactory, ProgramFactory
    from projects.cooperation import cross_county_order_create, promotion_event_create, secondment_create
    from projects.factories import ProjectFactory
    from projects.models import Stage
    from projects.reports import ReportData, progress_report_approve, progress_report_save, progress_report_submit
    from projects.services import project_change_stage
    from projects.warnings import warnings_refresh
    from reporting.evaluation import evaluation_report_generate, evaluation_report_request
    from reporting.services import target_set

    users = get_user_model().objects
    officer = users.create_superuser("officer", "officer@example.org", None, is_staff=True)
    finance = users.create_user("finance", "finance@example.org")
    user_set_role(user=finance, role=Role.FINANCE)
    program = ProgramFactory(code="sd-2024", name="强县产业帮扶弱县", start_date=dt.date(2024, 9, 1))
    pairings = []
    for (strong, strong_name), (weak, weak_name) in (
        (("370211", "黄岛区"), ("370405", "台儿庄区")),
        (("370112", "历城区"), ("371328", "蒙阴县")),
    ):
        pairings.append(
            PairingFactory(
                program=program,
                strong_county=CountyFactory(adcode=strong, name=strong_name),
                weak_county=CountyFactory(adcode=weak, name=weak_name),
            )
        )
    pairing_a, pairing_b = pairings
    liaisons = []
    for pairing in pairings:
        liaison = users.create_user(f"liaison-{pairing.weak_county_id}", f"{pairing.weak_county_id}@example.org")
        user_set_role(user=liaison, role=Role.LIAISON, county=pairing.weak_county)
        liaisons.append(liaison)
    liaison_a, liaison_b = liaisons

    park = ParkFactory(pairing=pairing_a, name="黄岛—台儿庄共建产业园", planned_area_mu=Decimal("1200"))
    ParkPartnerFactory(
        park=park,
        county=pairing_a.strong_county,
        capital_contribution=Decimal("60000000"),
        tax_share_pct=40,
        output_share_pct=40,
    )
    ParkPartnerFactory(
        park=park,
        county=pairing_a.weak_county,
        capital_contribution=Decimal("40000000"),
        tax_share_pct=60,
        output_share_pct=60,
    )
    signed = dt.date(2025, 3, 15)
    project_a = ProjectFactory(
        pairing=pairing_a,
        park=park,
        code="TEZ-2025-001",
        name="汽车零部件产业转移项目",
        enterprise="某汽车零部件有限公司",
        signed_date=signed,
    )
    project_a = project_change_stage(
        project=project_a,
        to_stage=Stage.STARTED,
        by=officer,
        actual_start_date=dt.date(2025, 6, 18),
        note="主体厂房开工",
    )
    project_a2 = ProjectFactory(
        pairing=pairing_a,
        code="TEZ-2025-002",
        name="农产品冷链物流项目",
        enterprise="某冷链物流有限公司",
        planned_investment=Decimal("80000000.00"),
        signed_date=signed,
    )
    project_b = ProjectFactory(
        pairing=pairing_b,
        code="MY-2025-001",
        name="食品加工产业转移项目",
        enterprise="某食品有限公司",
        signed_date=signed,
    )

    def report(project, period, by, cumulative, stage=Stage.SIGNED, start=None):
        data = ReportData(
            stage=stage,
            actual_start_date=start,
            cumulative_investment=Decimal(cumulative),
            month_investment=Decimal("5000000.00"),
            jobs_created=40,
        )
        return progress_report_save(project=project, period=period, data=data, by=by)

    approved = progress_report_submit(
        report=report(project_a, "2025-08", liaison_a, "35000000.00", Stage.STARTED, dt.date(2025, 6, 18)),
        by=liaison_a,
    )
    approved = progress_report_approve(report=approved, by=officer, comment="数据核实无误")
    submitted = progress_report_submit(report=report(project_a2, "2025-09", liaison_a, "20000000.00"), by=liaison_a)
    draft = report(project_a, "2025-09", liaison_a, "40000000.00", Stage.STARTED, dt.date(2025, 6, 18))
    report(project_b, "2025-09", liaison_b, "30000000.00")
    warnings_refresh(program=program, today=WARNINGS_DAY)

    orders, events, secondments = [], [], []
    for pairing, liaison in ((pairing_a, liaison_a), (pairing_b, liaison_b)):
        orders.append(
            cross_county_order_create(
                pairing=pairing,
                buyer="某食品有限公司",
                seller="某包装材料有限公司",
                seller_county=pairing.strong_county,
                goods="食品包装材料",
                amount=Decimal("20000000.00"),
                signed_date=dt.date(2025, 5, 20),
                by=liaison,
            )
        )
        events.append(
            promotion_event_create(
                pairing=pairing,
                title="协同招商推介会",
                held_on=dt.date(2025, 4, 18),
                location="青岛",
                projects_signed=3,
                intended_investment=Decimal("450000000.00"),
                by=liaison,
            )
        )
        secondments.append(
            secondment_create(
                pairing=pairing,
                person="张三",
                from_county=pairing.strong_county,
                to_county=pairing.weak_county,
                post="副县长(挂职)",
                start_date=dt.date(2024, 11, 1),
                by=liaison,
            )
        )

    # Statistics of 2023–2025 for the program's counties, and the gaps computed from them.
    demo_statistics_seed(program=program)

    # A guidance fund with a draft reward run and its year closed, one still open, and one without a run yet.
    fund_2025 = FundFactory(program=program, year=2025, total=Decimal("200000000.00"), is_sample=False)
    fund_2024 = FundFactory(program=program, year=2024, total=Decimal("200000000.00"), is_sample=False)
    open_fund = FundFactory(program=program, year=2026, total=Decimal("200000000.00"), is_sample=False)
    allocations = {}
    for fund in (fund_2025, fund_2024, open_fund):
        for pairing, amount in ((pairing_a, "50000000.00"), (pairing_b, "30000000.00")):
            allocation = allocation_create(
                fund=fund,
                county=pairing.weak_county,
                amount=Decimal(amount),
                allocated_on=dt.date(fund.year, 3, 1),
                document_no=f"鲁发改振兴〔{fund.year}〕12号",
                purpose="产业园基础设施",
            )
            disbursement_create(
                allocation=allocation,
                amount=Decimal("10000000.00"),
                paid_on=dt.date(fund.year, 4, 1),
                document_no=f"鲁财建〔{fund.year}〕8号",
                purpose="首期拨付",
            )
            allocations[(fund.year, pairing.pk)] = allocation
    reward_run, _created = reward_run_start(fund=fund_2025, by=finance)
    fund_close_year(fund=fund_2025, by=finance)

    pair_fund = PairIndustryFundFactory(pairing=pairing_a, year=2025, name="黄岛—台儿庄结对产业基金", is_sample=False)
    contribution = fund_contribution_create(
        fund=pair_fund, county=pairing_a.strong_county, amount=Decimal("60000000.00"), paid_on=dt.date(2025, 2, 1)
    )
    fund_contribution_create(
        fund=pair_fund, county=pairing_a.weak_county, amount=Decimal("40000000.00"), paid_on=dt.date(2025, 2, 1)
    )
    investment = fund_investment_create(
        fund=pair_fund, project=project_a, amount=Decimal("20000000.00"), invested_on=dt.date(2025, 5, 1)
    )
    ledger = park_ledger_record(
        park=park, period="2024", tax=Decimal("12345678.91"), output=Decimal("987654321.00"), by=officer
    )

    plan = bond_plan_create(program=program, year=2025, total=Decimal("2000000000.00"))
    open_plan = bond_plan_create(program=program, year=2026, total=Decimal("2000000000.00"))
    quotas = [
        bond_quota_assign(plan=plan, county=pairing.weak_county, quota=Decimal("300000000.00")) for pairing in pairings
    ]
    issue = bond_issue_create(
        quota=quotas[0],
        project=project_a,
        amount=Decimal("100000000.00"),
        issue_date=dt.date(2025, 6, 1),
        term_years=10,
        rate_pct=Decimal("2.450"),
    )

    target = target_set(
        program=program,
        county=pairing_a.weak_county,
        year=2025,
        metric="projects_over",
        threshold=Decimal("100000000.00"),
        target=Decimal("8"),
        baseline=Decimal("2"),
        title="引进亿元以上产业项目不少于8个",
    )
    # An annual evaluation report, generated (HTML and PDF) as the background task would.
    evaluation = evaluation_report_request(program=program, year=2025, requested_by=officer)
    evaluation_report_generate(report_id=evaluation.pk)

    # An Excel export of the project list written by its export job, as the worker would.
    export = export_job_request(
        owner=officer,
        path="/api/v1/projects/",
        query="stage=signed&format=xlsx",
        file_format="xlsx",
        stem="project",
        language="zh-hans",
        origin="http://testserver",
        rows=0,
    )
    export_job_run(job_id=export.pk)
    export.refresh_from_db()

    from impact.factories import ImpactCountyFactory, ImpactResultFactory
    from pairing.models import Region
    from projects.models import ProjectWarning
    from stats.models import StatValue

    # Stored impact estimates (a short statistics history here: impact_recompute would answer with notes only).
    impact = ImpactResultFactory(program=program, indicator="gdp")
    ImpactCountyFactory(result=impact, region=pairing_a.weak_county)

    rows: dict[str, models.Model] = {
        "region": Region.objects.get(pk="370405"),
        "program": program,
        "pairing": pairing_a,
        "park": park,
        "project": project_a,
        "warning": ProjectWarning.objects.get(project=project_a),
        "progress-report": approved,
        "draft-report": draft,
        "submitted-report": submitted,
        "cross-county-order": orders[0],
        "promotion-event": events[0],
        "secondment": secondments[0],
        "fund": fund_2025,
        "fund-usage": fund_2025,
        "fund-2024": fund_2024,
        "open-fund": open_fund,
        "allocation": allocations[(2025, pairing_a.pk)],
        "open-allocation": allocations[(2026, pairing_a.pk)],
        "disbursement": allocations[(2025, pairing_a.pk)].disbursements.first(),
        "bond-plan": plan,
        "bond-usage": plan,
        "open-plan": open_plan,
        "bond-quota": quotas[0],
        "bond-issue": issue,
        "reward-run": reward_run,
        "pair-fund": pair_fund,
        "fund-contribution": contribution,
        "fund-investment": investment,
        "park-ledger": ledger,
        "target": target,
        "evaluation-report": evaluation,
        "export": export,
        "statistic": StatValue.objects.filter(region_id="370405", indicator="gdp", period="2025").first(),
    }
    return ExampleData(officer=officer, rows={name: row for name, row in rows.items() if row is not None})


# --- Writes -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    """One write the rules accept: the payload, the row of the path (a key of ``ExampleData.rows``) and whether the
    row's ETag goes in ``If-Match``."""

    body: Callable[[ExampleData], dict]
    row: str | None = None
    if_match: bool = False


def _pk(name: str) -> Callable[[ExampleData], int]:
    return lambda d: d.rows[name].pk


REPORT_CHANGE = {
    "stage": "started",
    "actual_start_date": "2025-06-18",
    "cumulative_investment": "42000000.00",
    "month_investment": "7000000.00",
    "jobs_created": 55,
}

WRITES: dict[tuple[str, str], Write] = {
    ("post", "/api/v1/progress-reports/"): Write(
        lambda d: {
            "project": d.rows["project"].pk,
            "period": "2025-10",
            "stage": "started",
            "actual_start_date": "2025-06-18",
            "cumulative_investment": "46000000.00",
            "month_investment": "6000000.00",
            "jobs_created": 60,
        }
    ),
    ("put", "/api/v1/progress-reports/{id}/"): Write(lambda d: REPORT_CHANGE, row="draft-report", if_match=True),
    ("patch", "/api/v1/progress-reports/{id}/"): Write(
        lambda d: {"cumulative_investment": "41000000.00", "month_investment": "6000000.00"},
        row="draft-report",
        if_match=True,
    ),
    ("post", "/api/v1/progress-reports/{id}/submit/"): Write(lambda d: {}, row="draft-report", if_match=True),
    ("post", "/api/v1/progress-reports/{id}/approve/"): Write(
        lambda d: {"comment": "数据核实无误"}, row="submitted-report", if_match=True
    ),
    ("post", "/api/v1/progress-reports/{id}/return/"): Write(
        lambda d: {"comment": "请补充本月投资凭证"}, row="submitted-report", if_match=True
    ),
    ("post", "/api/v1/cross-county-orders/"): Write(
        lambda d: {
            "pairing": d.rows["pairing"].pk,
            "buyer": "某农产品有限公司",
            "seller": "某冷链物流有限公司",
            "seller_county": d.rows["pairing"].strong_county_id,
            "goods": "冷链仓储服务",
            "amount": "12500000.50",
            "signed_date": "2025-06-30",
        }
    ),
    ("post", "/api/v1/promotion-events/"): Write(
        lambda d: {
            "pairing": d.rows["pairing"].pk,
            "title": "黄岛—台儿庄协同招商推介会",
            "held_on": "2025-05-16",
            "location": "台儿庄",
            "projects_signed": 2,
            "intended_investment": "300000000.00",
        }
    ),
    ("post", "/api/v1/secondments/"): Write(
        lambda d: {
            "pairing": d.rows["pairing"].pk,
            "person": "李四",
            "from_county": d.rows["pairing"].weak_county_id,
            "to_county": d.rows["pairing"].strong_county_id,
            "post": "产业园管委会副主任(挂职)",
            "start_date": "2025-03-01",
        }
    ),
    ("post", "/api/v1/funds/"): Write(
        lambda d: {"program": "sd-2024", "year": 2027, "kind": "guidance", "total": "200000000.00"}
    ),
    ("post", "/api/v1/allocations/"): Write(
        lambda d: {
            "fund": d.rows["open-fund"].pk,
            "county": d.rows["pairing"].weak_county_id,
            "amount": "20000000.00",
            "date": "2026-05-01",
            "document_no": "鲁发改振兴〔2026〕15号",
            "purpose": "标准厂房建设",
        }
    ),
    ("post", "/api/v1/disbursements/"): Write(
        lambda d: {
            "allocation": d.rows["open-allocation"].pk,
            "amount": "5000000.00",
            "date": "2026-05-10",
            "document_no": "鲁财建〔2026〕9号",
            "purpose": "第二期拨付",
        }
    ),
    ("post", "/api/v1/bond-plans/"): Write(lambda d: {"program": "sd-2024", "year": 2027, "total": "1500000000.00"}),
    ("post", "/api/v1/bond-quotas/"): Write(
        lambda d: {"plan": d.rows["open-plan"].pk, "county": "370405", "quota": "200000000.00"}
    ),
    ("post", "/api/v1/bond-issues/"): Write(
        lambda d: {
            "quota": d.rows["bond-quota"].pk,
            "amount": "50000000.00",
            "issue_date": "2025-09-15",
            "term_years": 15,
            "rate_pct": "2.180",
        }
    ),
    ("post", "/api/v1/fund-contributions/"): Write(
        lambda d: {
            "fund": d.rows["pair-fund"].pk,
            "county": d.rows["pairing"].weak_county_id,
            "amount": "5000000.00",
            "paid_on": "2025-06-01",
        }
    ),
    ("post", "/api/v1/fund-investments/"): Write(
        lambda d: {
            "fund": d.rows["pair-fund"].pk,
            "project": d.rows["project"].pk,
            "amount": "2500000.50",
            "invested_on": "2025-06-01",
        }
    ),
    ("post", "/api/v1/park-ledger/"): Write(
        lambda d: {"park": d.rows["park"].pk, "period": "2025", "tax": "15000000.00", "output": "1100000000.00"}
    ),
    ("post", "/api/v1/reward-runs/"): Write(lambda d: {"fund": d.rows["fund-2024"].pk}),
    ("post", "/api/v1/evaluation-reports/"): Write(lambda d: {"program": "sd-2024", "year": 2024}),
    ("post", "/api/v1/reward-runs/{id}/approve/"): Write(lambda d: {}, row="reward-run"),
    ("post", "/api/v1/reward-runs/{id}/discard/"): Write(lambda d: {}, row="reward-run"),
    ("post", "/api/v1/funds/{id}/close-year/"): Write(lambda d: {"confirm": True}, row="open-fund"),
    ("post", "/api/v1/funds/{id}/reopen-year/"): Write(lambda d: {}, row="fund"),
}


# --- Calling the API --------------------------------------------------------------------------------------------------


def _basename(path: str) -> str | None:
    from config.api_router import router

    prefix = path[len(API_PREFIX) :].split("/")[0]
    return next((basename for p, _viewset, basename in router.registry if p == prefix), None)


def _lookup_value(client: APIClient, data: ExampleData, path: str, row_name: str | None) -> str:
    """The value for the path's parameter: the named row's, else the endpoint's own row, else the first row its
    list shows."""
    from config.api_router import router

    parameter = re.search(r"\{([^}]+)\}", path)[1]
    basename = _basename(path)
    viewset = next((v for _p, v, b in router.registry if b == basename), None)
    row = data.rows.get(row_name or basename or "")
    if row is not None and viewset is not None:
        lookup = getattr(viewset, "lookup_field", "pk")
        return str(row.serializable_value(lookup) if lookup != "pk" else row.pk)
    listing = client.get(path.split("{")[0], {"page_size": 1})
    results = listing.json().get("results", []) if listing.status_code == 200 else []
    if not results or parameter not in results[0]:
        raise ExampleError(
            f"{path}: no row to show. Add one for {basename!r} to the rows of build_example_data() "
            "(demo/api_examples.py)."
        )
    return str(results[0][parameter])


def _query(path: str, operation: dict) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query":
            continue
        name = parameter["name"]
        if name == "page_size":
            query[name] = LIST_PAGE_SIZE
        elif parameter.get("required"):
            if name not in QUERY_VALUES:
                raise ExampleError(f"{path}: add a value for the query parameter {name!r} to QUERY_VALUES.")
            query[name] = QUERY_VALUES[name]
    return query


def trimmed(value: Any) -> Any:
    """``value`` with every list cut to its first ``MAX_ITEMS`` items."""
    if isinstance(value, list):
        return [trimmed(item) for item in value[:MAX_ITEMS]]
    if isinstance(value, dict):
        return {key: trimmed(item) for key, item in value.items()}
    return value


def _body(response) -> Any:
    content_type = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if "json" not in content_type and not content_type.startswith("text/"):
        return f"({content_type}, {len(content)} bytes)"  # a file: its bytes are no example
    # Links (a page's `next`) point at the test client's host; show them on a plausible one.
    text = content.decode().replace("http://testserver/", f"{EXAMPLE_ORIGIN}/")
    if "json" in content_type:
        return json.loads(text)
    return text if len(text) <= MAX_TEXT else f"{text[:MAX_TEXT]}…"


def _call(client: APIClient, data: ExampleData, path: str, method: str, operation: dict) -> dict[str, Any]:
    key = operation_key(method, path)
    write = WRITES.get((method, path))
    if method != "get" and write is None:
        raise ExampleError(f"{key}: add a payload the rules accept to WRITES (demo/api_examples.py).")
    url = detail = path
    if "{" in path:
        value = _lookup_value(client, data, path, write.row if write else None)
        url = re.sub(r"\{[^}]+\}", value, path)
        detail = f"{path[: path.index('{')]}{value}/"  # the row's own URL, without an action
    example: dict[str, Any] = {}
    if method == "get":
        query = _query(path, operation)
        response = client.get(url, query)
        if query:
            example["query"] = query
    else:
        body = write.body(data)
        headers = {}
        if write.if_match:
            headers["HTTP_IF_MATCH"] = client.get(detail)["ETag"]
        with transaction.atomic():
            response = getattr(client, method)(url, body, format="json", **headers)
            transaction.set_rollback(True)
        example["request"] = body
    if not 200 <= response.status_code < 300:
        raise ExampleError(f"{key} ({url}): {response.status_code} {response.content.decode()[:300]}")
    example["status"] = response.status_code
    example["response"] = trimmed(_body(response))
    return example


def operations() -> list[tuple[str, str, dict]]:
    """(path, method, operation) of every operation of the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in METHODS
    ]


# Files the data set or the writes store (uploads, generated reports) stay in memory.
IN_MEMORY_FILES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@override_settings(STORAGES=IN_MEMORY_FILES)
def generate_examples() -> dict[str, dict[str, Any]]:
    """Build the data set and answer every operation of the schema once, as a provincial officer."""
    data = build_example_data()
    client = APIClient()
    client.force_authenticate(data.officer)
    client.credentials(HTTP_ACCEPT_LANGUAGE="zh-hans")
    examples, missing = {}, []
    for path, method, operation in operations():
        try:
            examples[operation_key(method, path)] = _call(client, data, path, method, operation)
        except ExampleError as exc:
            missing.append(str(exc))
    if missing:
        raise ExampleError("\n".join(missing))
    return dict(sorted(examples.items()))
