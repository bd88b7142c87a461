"""Pages never repeat or skip a row: every paged list of the API router, walked page by page at page sizes 1 to 7,
in its default order and in every order a client may ask for (``?ordering=``), gives each row exactly once and in
the order of the whole list in one page — although the rows tie on every sort key they can tie on.

The rows are built once for the module (eight of each kind, with equal dates, amounts, names and stages wherever the
rules allow) in a transaction rolled back at its end.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from rest_framework.filters import OrderingFilter
from rest_framework.test import APIClient

from common.api.ordering import is_total, stable_ordering
from config.api_router import router
from funds.factories import FundFactory, PairIndustryFundFactory
from funds.models import Allocation, Fund
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
from pairing.factories import (
    CityFactory,
    CountyFactory,
    PairingFactory,
    ParkFactory,
    ParkPartnerFactory,
    ProgramCountyFactory,
    ProgramFactory,
)
from pairing.models import Region
from projects.factories import CrossCountyOrderFactory, ProjectFactory, PromotionEventFactory, SecondmentFactory
from projects.models import Project, Stage
from projects.reports import ReportData, progress_report_save
from projects.warnings import warnings_refresh
from stats.models import Indicator, StatValue
from tests.conftest import client_for

ROWS = 8  # more than the largest page size walked, so every size has several pages
PAGE_SIZES = range(1, 8)
DAY = dt.date(2025, 3, 15)
AMOUNT = Decimal("1000000.00")
# Paged lists whose rows the data below do not build, with the reason.
NOT_BUILT: dict[str, str] = {}


def paged_lists() -> list[tuple[str, str, type]]:
    """(basename, list URL, view set) of every router endpoint whose list is paged."""
    found = []
    for prefix, viewset, basename in router.registry:
        if not hasattr(viewset, "list"):
            continue  # a detail-only endpoint (fund-usage)
        if getattr(viewset, "pagination_class", None) is None or not hasattr(viewset, "paginate_queryset"):
            continue  # a computed list answered whole (gaps)
        found.append((basename, f"/api/v1/{prefix}/", viewset))
    return sorted(found)


def orderings(viewset) -> list[str | None]:
    """The default order, then each field a client may order by, both ways."""
    asked: list[str | None] = [None]
    if OrderingFilter in getattr(viewset, "filter_backends", []):
        for name in getattr(viewset, "ordering_fields", None) or []:
            asked += [name, f"-{name}"]
    return asked


def key_of(viewset, row: dict):
    lookup = getattr(viewset, "lookup_field", "pk")
    return row["id"] if lookup == "pk" else row[lookup]


# --- The rows ---------------------------------------------------------------------------------------------------------


def build_ties() -> None:
    users = get_user_model().objects
    officer = users.create_superuser("officer", "officer@example.org", "pw-officer", is_staff=True)
    city = CityFactory(adcode="370400", name="枣庄市")
    # One name for every county: `?ordering=name` ties on all of them.
    counties = [
        (
            CountyFactory(adcode=f"3702{10 + i}", name="示例县", parent=city),
            CountyFactory(adcode=f"3704{10 + i}", name="示例县", parent=city),
        )
        for i in range(ROWS)
    ]
    programs = [ProgramFactory(code=f"sd-tie-{i}", start_date=dt.date(2024, 9, 1)) for i in range(ROWS)]
    program = programs[0]
    pairings = [
        PairingFactory(program=program, strong_county=strong, weak_county=weak, start_date=DAY)
        for strong, weak in counties
    ]
    pairing = pairings[0]
    parks = [
        ParkFactory(pairing=pairing, name=f"共建产业园{i}", established_on=DAY, planned_area_mu=Decimal("100"))
        for i in range(ROWS)
    ]
    for park in parks[:1]:
        ParkPartnerFactory(park=park, county=pairing.strong_county, tax_share_pct=50, output_share_pct=50)
        ParkPartnerFactory(park=park, county=pairing.weak_county, tax_share_pct=50, output_share_pct=50)
    projects = [
        ProjectFactory(pairing=pairing, code=f"TIE-{i:03d}", signed_date=DAY, planned_investment=AMOUNT * 100)
        for i in range(ROWS)
    ]
    for project in projects:
        data = ReportData(stage=Stage.SIGNED, cumulative_investment=AMOUNT, month_investment=AMOUNT)
        progress_report_save(project=project, period="2025-09", data=data, by=officer)
    warnings_refresh(program=program, today=dt.date(2025, 10, 20))
    for _ in range(ROWS):
        CrossCountyOrderFactory(pairing=pairing, amount=AMOUNT, signed_date=DAY, buyer="甲", seller="乙")
        PromotionEventFactory(pairing=pairing, held_on=DAY, intended_investment=AMOUNT)
        SecondmentFactory(pairing=pairing, start_date=DAY, person="张三")

    # Guidance funds of one year in as many programs, each with a reward run over the same county's main tax.
    weak = pairing.weak_county
    for period, level in (("2024", "1000000000.00"), ("2025", "1050000000.00")):
        for _strong, county in counties:
            StatValue.objects.create(
                region=county, indicator=Indicator.MAIN_TAX, period=period, value=Decimal(level), source="测试"
            )
    for other in programs[1:]:
        ProgramCountyFactory(program=other, county=weak)
    funds = [FundFactory(program=p, year=2025, total=AMOUNT * 1000) for p in programs]
    for fund in funds:
        allocation_create(fund=fund, county=weak, amount=AMOUNT, allocated_on=DAY)
    open_fund = FundFactory(program=program, year=2026, total=AMOUNT * 1000)
    allocations = [allocation_create(fund=open_fund, county=weak, amount=AMOUNT, allocated_on=DAY) for _ in range(ROWS)]
    for _ in range(ROWS):
        disbursement_create(allocation=allocations[0], amount=Decimal("1.00"), paid_on=DAY)
    for fund in funds:
        reward_run_start(fund=fund, by=officer)

    pair_fund = PairIndustryFundFactory(pairing=pairing, year=2025, total=AMOUNT * 1000)
    for _ in range(ROWS):
        fund_contribution_create(fund=pair_fund, county=weak, amount=AMOUNT, paid_on=DAY)
    for _ in range(ROWS):
        fund_investment_create(fund=pair_fund, project=projects[0], amount=Decimal("1.00"), invested_on=DAY)
    for year in range(2016, 2016 + ROWS):
        park_ledger_record(park=parks[0], period=str(year), tax=AMOUNT, output=AMOUNT, by=officer)

    plans = [bond_plan_create(program=p, year=2025, total=AMOUNT * 1000) for p in programs]
    quotas = [bond_quota_assign(plan=plans[0], county=county, quota=AMOUNT * 10) for _strong, county in counties]
    for _ in range(ROWS):
        bond_issue_create(quota=quotas[0], amount=Decimal("1.00"), issue_date=DAY, term_years=10, rate_pct=Decimal("2"))

    from reporting.evaluation import evaluation_report_request
    from reporting.services import target_set

    for _strong, county in counties:
        target_set(program=program, county=county, year=2025, metric="orders_amount", target=AMOUNT)
    for each in programs:
        evaluation_report_request(program=each, year=2025, requested_by=officer)


@pytest.fixture(scope="module")
def tied(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        build_ties()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def officer_api(tied, db) -> APIClient:
    return client_for(get_user_model().objects.get(username="officer"))


# --- The checks -------------------------------------------------------------------------------------------------------


def walk(client: APIClient, url: str, query: dict) -> list[dict]:
    rows, page = [], client.get(url, query)
    while True:
        assert page.status_code == 200, page.content[:300]
        body = page.json()
        rows += body["results"]
        if not body["next"]:
            return rows
        page = client.get(body["next"])


@pytest.mark.parametrize(("basename", "url", "viewset"), paged_lists(), ids=[b for b, _u, _v in paged_lists()])
def test_pages_give_every_row_once(officer_api, basename, url, viewset):
    if basename in NOT_BUILT:
        pytest.skip(NOT_BUILT[basename])
    wrong = []
    for ordering in orderings(viewset):
        query = {"ordering": ordering} if ordering else {}
        whole = [key_of(viewset, row) for row in walk(officer_api, url, {**query, "page_size": 500})]
        if len(whole) < ROWS:
            pytest.fail(f"{basename}: only {len(whole)} rows; build at least {ROWS} in build_ties()")
        for size in PAGE_SIZES:
            paged = [key_of(viewset, row) for row in walk(officer_api, url, {**query, "page_size": size})]
            if paged != whole:
                wrong.append(f"ordering={ordering} page_size={size}: {paged} != {whole}")
    assert not wrong, f"{basename}:\n" + "\n".join(wrong)


# --- The ordering itself ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_ordering_that_can_tie_gets_the_primary_key_last():
    queryset = stable_ordering(Project.objects.order_by("stage", "-signed_date"))

    assert list(queryset.query.order_by) == ["stage", "-signed_date", "pk"]


@pytest.mark.django_db
def test_the_default_ordering_is_kept_before_the_key():
    queryset = stable_ordering(Allocation.objects.all())

    assert list(queryset.query.order_by) == ["fund", "county", "allocated_on", "pk"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ordering",
    [("-signed_date", "-id"), ("code",), ("pk",), ("stage", "-pk")],
)
def test_an_ordering_with_a_unique_key_is_left_alone(ordering):
    queryset = Project.objects.order_by(*ordering)

    assert is_total(queryset)
    assert stable_ordering(queryset) is queryset


@pytest.mark.django_db
def test_a_foreign_key_is_not_a_unique_key():
    # By name, a foreign key sorts by the related model's ordering, on which two funds can tie.
    assert not is_total(Allocation.objects.order_by("fund"))


@pytest.mark.django_db
def test_regions_are_keyed_by_adcode():
    assert is_total(Region.objects.all())
    assert not is_total(Region.objects.order_by("name"))


@pytest.mark.django_db
def test_an_unordered_queryset_is_ordered_by_key():
    queryset = stable_ordering(Fund.objects.filter(Q(year=2025)).order_by())

    assert list(queryset.query.order_by) == ["pk"]
