"""Every operation of /api/v1/ fuzzed against the API's own OpenAPI schema (schemathesis), as a provincial officer
and as a county liaison (token auth): every answer must be no 5xx, with a documented status code and content type
and a body that matches the schema.

The schema is read from the app itself (``/api/schema/``), so a view that drifts from its declaration fails here.
Each operation is a test for each persona, so both meet every operation. The default run generates 6 requests per
read operation and persona and 3 per write (writes mostly stop at validation's 400), enough to try every operation;
``FUZZ_EXAMPLES=1000`` (``make fuzz``) generates that many for every operation, half as each persona, and
adds schemathesis's coverage phase.

The rows are built once for the module in a transaction rolled back at its end; each test's transaction (``db``) is
a savepoint inside it, and each request one more, rolled back, so every request meets the same rows and a failure
replays against the state that produced it. Requests go through the WSGI app in this thread, so they see the
uncommitted rows (``transactional_db`` is not needed).
"""

from __future__ import annotations

import datetime as dt
import os
import zlib
from decimal import Decimal

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Role
from accounts.services import api_token_create, user_set_role
from config.api_router import router
from demo.statistics import YEARS, demo_statistics_seed
from funds.factories import FundFactory, PairIndustryFundFactory
from funds.models import Allocation, BondPlan, BondQuota, Fund
from funds.reward_runs import reward_run_start
from funds.services import (
    allocation_create,
    bond_issue_create,
    bond_plan_create,
    bond_quota_assign,
    disbursement_create,
    fund_contribution_create,
    fund_investment_create,
    park_ledger_record,
)
from pairing.factories import CountyFactory, PairingFactory, ParkFactory, ParkPartnerFactory, ProgramFactory
from pairing.models import Pairing, Park, Program, Region
from projects.api.reports import etag_of
from projects.factories import CrossCountyOrderFactory, ProjectFactory, PromotionEventFactory, SecondmentFactory
from projects.models import ProgressReport, Project, Stage
from projects.reports import ReportData, progress_report_approve, progress_report_save, progress_report_submit
from projects.warnings import warnings_refresh

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
PERSONAS = ["officer", "liaison"]
# Generated requests per operation and persona.
READ_EXAMPLES = max(EXAMPLES // len(PERSONAS), 1) if EXAMPLES else 6
WRITE_EXAMPLES = max(EXAMPLES // len(PERSONAS), 1) if EXAMPLES else 3
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FUZZ_SETTINGS = {
    "deadline": None,
    "database": None,
    # The rows are the module's (see above), and a slow request is not what this test looks for.
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
}

# The coverage phase (every boundary and violation of every parameter, up front) doubles a default run; the long
# run has the time for it. The schema's own examples are answers recorded on another data set
# (common/api/examples.json, checked by tests/common/test_api_examples.py); schemathesis cannot replay them with a
# persona drawn for each request, so its examples phase is off.
CONFIG = schemathesis.Config.from_dict(
    {"phases": {"coverage": {"enabled": bool(EXAMPLES)}, "examples": {"enabled": False}}}
)
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(), config=CONFIG)

# Values that name rows of the dataset, by parameter or field name (`KNOWN_ROWS`) and by path (`KNOWN_KEYS`): the
# hooks below put one in place of about half the generated values, so requests get past "no such row" to the rules
# behind it. Filled by the `dataset` fixture; until then the generated values are left alone.
KNOWN_ROWS: dict[str, list] = {}
KNOWN_KEYS: dict[str, list] = {}


def _sometimes_known(values, known: dict[str, list]):
    if not isinstance(values, dict):
        return values
    swapped = dict(values)
    for name, value in values.items():
        if rows := known.get(name):
            # Chosen from the generated value itself, so a replayed failure makes the same choice; cheaper than a
            # strategy of its own per request.
            pick = zlib.crc32(repr(value).encode())
            if pick % 2:
                swapped[name] = rows[pick // 2 % len(rows)]
    return swapped


@schema.hook("map_path_parameters")
def _known_keys(context, path_parameters):
    keys = KNOWN_KEYS.get(context.operation.path.split("{")[0], [])
    return _sometimes_known(path_parameters, dict.fromkeys(path_parameters or (), keys))


@schema.hook("map_query")
def _known_query(context, query):
    return _sometimes_known(query, KNOWN_ROWS)


@schema.hook("map_headers")
def _known_headers(context, headers):
    return _sometimes_known(headers, KNOWN_ROWS)


@schema.hook("map_body")
def _known_body(context, body):
    return _sometimes_known(body, KNOWN_ROWS)


@pytest.fixture(scope="module")
def dataset(django_db_setup, django_db_blocker):
    """Demo-like rows of every kind the API serves, built once for the module inside a transaction rolled back at
    its end; each test's own transaction (the ``db`` fixture) nests inside it as a savepoint."""
    # Requests run inside that transaction, as with Django's test client: the end of a request must not close the
    # connection that holds it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            tokens = build_dataset()
            KNOWN_ROWS.update(known_rows())
            KNOWN_KEYS.update(known_keys())
            yield tokens
            transaction.set_rollback(True)
    finally:
        KNOWN_ROWS.clear()
        KNOWN_KEYS.clear()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def known_rows() -> dict[str, list]:
    """Values of the dataset's rows by the name of the field or parameter that takes one."""
    ids = {
        name: list(model.objects.values_list("pk", flat=True))
        for name, model in {
            "fund": Fund,
            "allocation": Allocation,
            "plan": BondPlan,
            "quota": BondQuota,
            "project": Project,
            "pairing": Pairing,
            "park": Park,
        }.items()
    }
    counties = list(Region.objects.counties().values_list("adcode", flat=True))
    today = timezone.localdate()
    return {
        **ids,
        **dict.fromkeys(["county", "region", "host_county", "seller_county", "from_county", "to_county"], counties),
        "province": ["370000"],
        "program": list(Program.objects.values_list("code", flat=True)),
        "year": sorted({int(year) for year in YEARS} | {today.year}),
        "period": [*YEARS, f"{today:%Y-%m}", f"{today.year - 1}-03"],
        "If-Match": [etag_of(report) for report in ProgressReport.objects.all()],
    }


def known_keys() -> dict[str, list]:
    """The keys of the dataset's rows by the path of their detail, from the router's view sets."""
    keys = {}
    for prefix, viewset, _basename in router.registry:
        if getattr(viewset, "queryset", None) is not None:
            keys[f"/api/v1/{prefix}/"] = list(viewset.queryset.values_list(viewset.lookup_field, flat=True))
    return keys


def build_dataset() -> dict[str, str]:
    """The personas of tests/conftest.py and rows of every kind on both liaisons' pairings; returns each persona's
    API token."""
    users = get_user_model().objects
    officer = users.create_superuser("officer", "officer@example.org", "pw-officer", is_staff=True)
    program = ProgramFactory(code="sd-test", name="测试项目")
    pairing_a = PairingFactory(
        program=program,
        strong_county=CountyFactory(adcode="370211", name="黄岛区"),
        weak_county=CountyFactory(adcode="370405", name="台儿庄区"),
    )
    pairing_b = PairingFactory(
        program=program,
        strong_county=CountyFactory(adcode="370112", name="历城区"),
        weak_county=CountyFactory(adcode="371328", name="蒙阴县"),
    )
    liaison_a = users.create_user("liaison_a", "a@example.org", "pw-liaison-a")
    user_set_role(user=liaison_a, role=Role.LIAISON, county=pairing_a.weak_county)
    liaison_b = users.create_user("liaison_b", "b@example.org", "pw-liaison-b")
    user_set_role(user=liaison_b, role=Role.LIAISON, county=pairing_b.weak_county)

    today = timezone.localdate()
    park = ParkFactory(pairing=pairing_a, name="黄岛—台儿庄共建产业园(示例)")
    ParkPartnerFactory(park=park, county=pairing_a.strong_county, tax_share_pct=40, output_share_pct=40)
    ParkPartnerFactory(park=park, county=pairing_a.weak_county, tax_share_pct=60, output_share_pct=60)
    signed = dt.date(today.year - 1, 3, 15)
    project_a = ProjectFactory(pairing=pairing_a, park=park, code="TEZ-001", signed_date=signed, stage=Stage.SIGNED)
    project_a2 = ProjectFactory(pairing=pairing_a, code="TEZ-002", signed_date=signed, stage=Stage.SIGNED)
    project_b = ProjectFactory(pairing=pairing_b, code="MY-001", signed_date=signed, stage=Stage.SIGNED)

    def report(project, period, by, cumulative="30000000.00"):
        data = ReportData(
            stage=Stage.SIGNED, cumulative_investment=Decimal(cumulative), month_investment=Decimal("5000000.00")
        )
        return progress_report_save(project=project, period=period, data=data, by=by)

    this_month = f"{today:%Y-%m}"
    approved = progress_report_submit(report=report(project_a, f"{signed:%Y-%m}", liaison_a), by=liaison_a)
    progress_report_approve(report=approved, by=officer)
    progress_report_submit(report=report(project_a2, this_month, liaison_a), by=liaison_a)
    report(project_a, this_month, liaison_a, cumulative="40000000.00")
    report(project_b, this_month, liaison_b)
    warnings_refresh(program=program)
    for pairing in (pairing_a, pairing_b):
        CrossCountyOrderFactory(pairing=pairing)
        PromotionEventFactory(pairing=pairing)
        SecondmentFactory(pairing=pairing)

    # The reward run's year has the sample statistics' main-tax figures.
    last_year = int(YEARS[-1])
    guidance = FundFactory(program=program, year=last_year, total=Decimal("200000000.00"))
    open_fund = FundFactory(program=program, year=max(today.year, last_year + 1), total=Decimal("100000000.00"))
    for fund in (guidance, open_fund):
        for pairing, amount in ((pairing_a, "50000000.00"), (pairing_b, "30000000.00")):
            allocation = allocation_create(
                fund=fund, county=pairing.weak_county, amount=Decimal(amount), allocated_on=dt.date(fund.year, 3, 1)
            )
            disbursement_create(allocation=allocation, amount=Decimal("10000000.00"), paid_on=dt.date(fund.year, 4, 1))
    pair_fund = PairIndustryFundFactory(pairing=pairing_a, year=today.year)
    fund_contribution_create(
        fund=pair_fund, county=pairing_a.strong_county, amount=Decimal("60000000.00"), paid_on=dt.date(today.year, 2, 1)
    )
    fund_contribution_create(
        fund=pair_fund, county=pairing_a.weak_county, amount=Decimal("40000000.00"), paid_on=dt.date(today.year, 2, 1)
    )
    fund_investment_create(
        fund=pair_fund, project=project_a, amount=Decimal("20000000.00"), invested_on=dt.date(today.year, 5, 1)
    )
    park_ledger_record(
        park=park, period=str(last_year), tax=Decimal("12345678.91"), output=Decimal("987654321.00"), by=officer
    )
    plan = bond_plan_create(program=program, year=today.year, total=Decimal("2000000000.00"))
    for pairing in (pairing_a, pairing_b):
        quota = bond_quota_assign(plan=plan, county=pairing.weak_county, quota=Decimal("300000000.00"))
    bond_issue_create(
        quota=quota,
        project=project_b,
        amount=Decimal("100000000.00"),
        issue_date=dt.date(today.year, 6, 1),
        term_years=10,
        rate_pct=Decimal("2.450"),
    )
    demo_statistics_seed(program=program)
    reward_run_start(fund=guidance, by=officer)
    return {
        "officer": api_token_create(user=officer, name="fuzz", read_only=False)[1],
        "liaison": api_token_create(user=liaison_a, name="fuzz", read_only=False)[1],
    }


def fuzz(case, token: str) -> None:
    with transaction.atomic():
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        transaction.set_rollback(True)
    case.validate_response(response, checks=CHECKS)


@pytest.mark.parametrize("persona", PERSONAS)
@schema.include(method="GET").parametrize()
@settings(max_examples=READ_EXAMPLES, **FUZZ_SETTINGS)
def test_read(case, persona, dataset, db):
    fuzz(case, dataset[persona])


@pytest.mark.parametrize("persona", PERSONAS)
@schema.exclude(method="GET").parametrize()
@settings(max_examples=WRITE_EXAMPLES, **FUZZ_SETTINGS)
def test_write(case, persona, dataset, db):
    fuzz(case, dataset[persona])
