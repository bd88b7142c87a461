"""``seed_demo``: demo data on top of the loaded reference, every row a marked sample, idempotent, resettable.

The reference load and the first seed run once for the module inside a transaction that is rolled back at the end;
each test runs in its own savepoint on top of it, so tests that re-seed or reset leave nothing behind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import models, transaction
from django.db.models import F, Sum
from django.utils import timezone

from demo import seed
from funds.factories import FundFactory
from funds.models import Allocation, BondIssue, BondPlan, BondQuota, Disbursement, Fund, FundKind
from funds.services import allocation_create
from pairing.models import (
    CountyRole,
    Pairing,
    Park,
    ParkKind,
    ParkPartner,
    Program,
    ProgramCounty,
    Region,
    RegionLevel,
)
from projects.factories import ProgressReportFactory
from projects.models import (
    CrossCountyOrder,
    FinanceSupport,
    Health,
    ProgressReport,
    Project,
    ProjectStageChange,
    PromotionEvent,
    ReportStatus,
    Secondment,
    Stage,
)

PROGRAM = "sd-2024"
DOCUMENTED = {
    ("370211", "370405"),  # 黄岛 → 台儿庄
    ("370202", "371603"),  # 市南 → 沾化
    ("370112", "371328"),  # 历城 → 蒙阴
    ("370681", "371428"),  # 龙口 → 武城
    ("370602", "371423"),  # 芝罘 → 庆云
}
PAIRING_FIELDS = ("pk", "strong_county", "weak_county", "start_date", "status", "source", "provenance_note", "leader")


def _models_with_sample_flag() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models()
        if any(f.name == "is_sample" for f in m._meta.concrete_fields)
        and not m._meta.object_name.startswith("Historical")
    ]


def _counts() -> dict[str, int]:
    # The audit history keeps the deleted demo rows' past, so history tables only grow: leave them out.
    return {
        m._meta.label: m.objects.count() for m in apps.get_models() if not m._meta.object_name.startswith("Historical")
    }


def _real_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.filter(is_sample=False).count() for m in _models_with_sample_flag()}


def _documented_pairings() -> list[tuple]:
    return list(Pairing.objects.filter(is_sample=False).order_by("pk").values_list(*PAIRING_FIELDS))


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@dataclass
class Seeded:
    output: str
    counts_before: dict[str, int]
    real_before: dict[str, int]
    documented_before: list[tuple]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_reference", stdout=StringIO())
        state = Seeded(
            output="", counts_before=_counts(), real_before=_real_counts(), documented_before=_documented_pairings()
        )
        state.output = _seed()
        yield state
        transaction.set_rollback(True)


@pytest.fixture
def given(seeded, db) -> Seeded:
    return seeded


def test_the_program_gets_ten_active_pairs_and_the_documented_five_are_untouched(given):
    pairings = Pairing.objects.active().filter(program__code=PROGRAM)

    assert pairings.count() == 10
    documented = pairings.filter(is_sample=False)
    assert set(documented.values_list("strong_county", "weak_county")) == DOCUMENTED
    assert _documented_pairings() == given.documented_before
    assert "10 active pairings, 5 documented, 5 sample" in given.output


def test_the_invented_pairs_use_real_free_shandong_counties_and_say_they_are_samples(given):
    samples = Pairing.objects.filter(program__code=PROGRAM, is_sample=True).select_related(
        "strong_county", "weak_county"
    )

    assert samples.count() == 5
    assert "370322" in {p.weak_county_id for p in samples}  # 高青县, designated weak, partner unknown
    documented_counties = {c for pair in DOCUMENTED for c in pair}
    for pairing in samples:
        for county in (pairing.strong_county, pairing.weak_county):
            assert county.level == RegionLevel.COUNTY
            assert county.adcode.startswith("37")
            assert county.adcode not in documented_counties
        assert pairing.source is None
        assert "示例" in pairing.leader and "示例" in pairing.assistance_team and "示例" in pairing.provenance_note
    roles = dict(ProgramCounty.objects.filter(program__code=PROGRAM).values_list("county", "role"))
    assert {roles[p.weak_county_id] for p in samples} == {CountyRole.WEAK}
    assert {roles[p.strong_county_id] for p in samples} == {CountyRole.STRONG}
    gaoqing = ProgramCounty.objects.get(program__code=PROGRAM, county="370322")
    assert gaoqing.is_sample is False and gaoqing.source is not None


def test_every_row_it_creates_is_a_marked_sample(given):
    assert _real_counts() == given.real_before
    assert Region.objects.count() == given.counts_before["pairing.Region"]
    for model in _models_with_sample_flag():
        created = model.objects.count() - given.counts_before[model._meta.label]
        assert model.objects.filter(is_sample=True).count() == created, model
    # The two models without the flag hang only from sample parents.
    assert not ProjectStageChange.objects.filter(project__is_sample=False).exists()
    assert not ParkPartner.objects.filter(park__is_sample=False).exists()
    for queryset, field in (
        (Project.objects.all(), "name"),
        (Project.objects.all(), "enterprise"),
        (Park.objects.all(), "name"),
        (Fund.objects.all(), "name"),
        (PromotionEvent.objects.all(), "title"),
        (Secondment.objects.all(), "person"),
    ):
        assert not queryset.exclude(**{f"{field}__contains": "(示例)"}).exists(), (queryset.model, field)


def test_projects_reach_every_stage_through_a_real_stage_log(given):
    projects = Project.objects.filter(pairing__program__code=PROGRAM).prefetch_related("stage_changes")

    assert 40 <= projects.count() <= 60
    assert set(projects.values_list("stage", flat=True)) == set(Stage.values)
    assert {Health.LAGGING, Health.STALLED, Health.TERMINATED} <= set(projects.values_list("health", flat=True))
    assert projects.values("pairing").distinct().count() == 10
    for project in projects:
        log = sorted(project.stage_changes.all(), key=lambda change: change.pk)
        assert [c.to_stage for c in log] == Stage.values[: Stage.order(project.stage) + 1], project
        assert [c.from_stage for c in log] == ["", *Stage.values[: Stage.order(project.stage)]], project


def test_project_dates_pass_the_gates_and_some_signed_projects_are_overdue(given):
    today = timezone.localdate()
    projects = Project.objects.filter(pairing__program__code=PROGRAM)

    for p in projects:
        assert isinstance(p.planned_investment, Decimal)
        assert Decimal("10000000") <= p.planned_investment <= Decimal("500000000"), p
        assert p.planned_start_date <= p.planned_production_date, p
        if p.stage != Stage.PIPELINE:
            assert p.signed_date <= today, p
        if p.actual_start_date:
            assert p.signed_date <= p.actual_start_date <= today, p
        if p.actual_production_date:
            assert p.actual_start_date <= p.actual_production_date <= today, p
    six_months_ago = today - dt.timedelta(days=183)
    assert projects.signed_not_started_since(six_months_ago).count() >= 3


def test_progress_reports_are_monthly_cumulative_and_in_every_status(given):
    reports = ProgressReport.objects.filter(project__pairing__program__code=PROGRAM).select_related("project")
    this_month = f"{timezone.localdate():%Y-%m}"

    assert reports.exists()
    assert set(reports.values_list("status", flat=True)) == set(ReportStatus.values)
    assert not reports.filter(project__stage=Stage.PIPELINE).exists()
    by_project: dict[int, list[ProgressReport]] = {}
    for report in reports:
        by_project.setdefault(report.project_id, []).append(report)
    for project_reports in by_project.values():
        project_reports.sort(key=lambda r: r.period)
        periods = [r.period for r in project_reports]
        assert len(periods) == len(set(periods))
        previous = None
        for report in project_reports:
            assert report.period < this_month
            assert report.period > f"{report.project.signed_date:%Y-%m}"  # owed from the month after signing
            start = report.project.actual_start_date
            if start is None or report.period < f"{start:%Y-%m}":
                assert (report.stage, report.cumulative_investment) == (Stage.SIGNED, 0)
            assert report.month_investment <= report.cumulative_investment
            if previous is not None:
                assert report.cumulative_investment >= previous.cumulative_investment
                assert report.month_investment == report.cumulative_investment - previous.cumulative_investment
            if report.status != ReportStatus.DRAFT:
                assert report.submitted_at is not None
            previous = report
        approved = [r for r in project_reports if r.status == ReportStatus.APPROVED]
        if approved:
            assert project_reports[0].project.completed_investment == approved[-1].cumulative_investment


def test_parks_have_partners_whose_shares_make_a_whole(given):
    parks = Park.objects.filter(pairing__program__code=PROGRAM).prefetch_related("partners")

    assert parks.count() >= 4
    for park in parks:
        partners = list(park.partners.all())
        assert len(partners) >= 2
        assert sum(p.tax_share_pct for p in partners) == 100, park
        assert sum(p.output_share_pct for p in partners) == 100, park
        assert park.host_county_id in {p.county_id for p in partners}
    enclave = parks.get(kind=ParkKind.ENCLAVE, host_county="371328")
    assert {p.county_id for p in enclave.partners.all()} == {"370112", "371328"}
    assert sum(p.capital_contribution for p in enclave.partners.all()) == Decimal("300000000.00")
    assert parks.filter(host_county="370405", kind=ParkKind.CO_BUILT, name__startswith="台儿庄区黄岛产业园").exists()


def test_funds_and_bonds_keep_their_running_totals(given):
    guidance = Fund.objects.get(program__code=PROGRAM, year=2025, kind=FundKind.GUIDANCE)
    weak_roles = ProgramCounty.objects.filter(program__code=PROGRAM, role=CountyRole.WEAK)
    weak = set(weak_roles.values_list("county", flat=True))

    assert guidance.total == Decimal("200000000.00")
    allocated = Allocation.objects.filter(fund=guidance).aggregate(s=Sum("amount"))["s"]
    assert allocated <= guidance.total
    assert set(Allocation.objects.filter(fund=guidance).values_list("county", flat=True)) == weak
    for fund in Fund.objects.all():
        assert fund.allocated == (fund.allocations.aggregate(s=Sum("amount"))["s"] or 0), fund
    for allocation in Allocation.objects.all():
        paid = allocation.disbursements.aggregate(s=Sum("amount"))["s"] or 0
        assert allocation.disbursed == paid <= allocation.amount, allocation
        assert all(d.paid_on >= allocation.allocated_on for d in allocation.disbursements.all())
    disbursed = Disbursement.objects.filter(allocation__fund=guidance).aggregate(s=Sum("amount"))["s"]
    assert 0 < disbursed < allocated  # part is left undisbursed for the year-end rewards

    plan = BondPlan.objects.get(program__code=PROGRAM, year=2025)
    assert plan.total == Decimal("2000000000.00")
    assert plan.assigned == plan.quotas.aggregate(s=Sum("quota"))["s"] <= plan.total
    assert set(plan.quotas.values_list("county", flat=True)) == weak
    for quota in BondQuota.objects.all():
        assert quota.issued == (quota.issues.aggregate(s=Sum("amount"))["s"] or 0) <= quota.quota
    assert BondIssue.objects.filter(project__isnull=False).exists()
    for issue in BondIssue.objects.filter(project__isnull=False).select_related("project", "quota"):
        assert issue.project.county_id == issue.quota.county_id
        assert issue.project.signed_date <= issue.issue_date

    pair_fund = Fund.objects.get(kind=FundKind.PAIR_INDUSTRY)
    assert pair_fund.is_sample and "示例" in pair_fund.name
    assert (pair_fund.pairing.strong_county_id, pair_fund.pairing.weak_county_id) == ("370211", "370405")


def test_every_pairing_has_a_few_cooperation_records(given):
    for pairing in Pairing.objects.active().filter(program__code=PROGRAM):
        assert CrossCountyOrder.objects.filter(pairing=pairing).exists(), pairing
        assert PromotionEvent.objects.filter(pairing=pairing).exists(), pairing
        assert Secondment.objects.filter(pairing=pairing).exists(), pairing
        assert FinanceSupport.objects.filter(pairing=pairing).exists(), pairing
    huangdao = Pairing.objects.get(program__code=PROGRAM, strong_county="370211", weak_county="370405")
    assert huangdao.orders.aggregate(s=Sum("amount"))["s"] >= Decimal("200000000")


def test_a_second_run_changes_nothing(given):
    before = _counts()

    output = _seed()

    assert "already" in output
    assert _counts() == before


def _sample_snapshot() -> dict[str, list[tuple]]:
    return {
        "projects": list(
            Project.objects.order_by("code").values_list(
                "code", "name", "county", "stage", "health", "planned_investment", "signed_date", "actual_start_date"
            )
        ),
        "pairings": list(
            Pairing.objects.filter(is_sample=True).order_by("weak_county").values_list(*PAIRING_FIELDS[1:])
        ),
        "reports": list(ProgressReport.objects.order_by("project__code", "period").values_list("period", "status")),
    }


def test_reset_removes_only_samples_and_rebuilds_the_same_demo(given):
    real_before = _real_counts()
    documented_before = _documented_pairings()
    counts_before = _counts()
    snapshot_before = _sample_snapshot()
    old_sample_ids = set(Pairing.objects.filter(is_sample=True).values_list("pk", flat=True))

    output = _seed("--reset")

    assert "Deleted sample rows" in output
    assert _real_counts() == real_before
    assert _documented_pairings() == documented_before
    assert not Pairing.objects.filter(pk__in=old_sample_ids).exists()
    assert _counts() == counts_before
    assert _sample_snapshot() == snapshot_before  # seeded: the same day gives the same demo


def test_reset_gives_back_what_samples_drew_on_a_real_fund(given):
    program = Program.objects.get(code=PROGRAM)
    real_fund = FundFactory(program=program, year=2026, total=Decimal("50000000.00"), is_sample=False)
    allocation_create(
        fund=real_fund,
        county=Region.objects.get(pk="370322"),
        amount=Decimal("1000000.00"),
        allocated_on=dt.date(2026, 3, 1),
        is_sample=True,
    )

    seed.demo_reset(program=program)

    real_fund.refresh_from_db()
    assert real_fund.allocated == 0
    assert not Allocation.objects.filter(fund=real_fund).exists()


def test_reset_refuses_when_real_reports_hang_from_sample_projects(given):
    project = Project.objects.filter(is_sample=True, stage=Stage.STARTED).first()
    ProgressReportFactory(project=project, period="2020-01", is_sample=False)

    with pytest.raises(CommandError, match="Real progress reports"):
        _seed("--reset")

    assert Project.objects.filter(pk=project.pk).exists()


def test_it_asks_for_load_reference_when_the_program_is_missing(given, monkeypatch):
    monkeypatch.setattr(seed, "PROGRAM_CODE", "no-such-program")

    with pytest.raises(CommandError, match="load_reference"):
        _seed()


def test_reset_refuses_when_real_records_point_at_sample_projects(given):
    project = Project.objects.filter(is_sample=True, stage=Stage.STARTED, county=F("pairing__weak_county")).first()
    fund = FundFactory(program=Program.objects.get(code=PROGRAM), year=2026, is_sample=False)
    allocation_create(
        fund=fund,
        county=project.county,
        project=project,
        amount=Decimal("1000000.00"),
        allocated_on=dt.date(2026, 3, 1),
    )

    with pytest.raises(CommandError, match="Real records refer to sample"):
        _seed("--reset")

    assert Project.objects.filter(pk=project.pk).exists()


def test_sample_statistics_feed_the_gaps_and_say_they_are_samples(given):
    from pairing.models import CountyRole, ProgramCounty
    from stats.models import DEMO_SOURCE, GapResult, StatValue

    assert "Sample statistics" in given.output
    assert not StatValue.objects.exclude(source=DEMO_SOURCE).exists()
    weak = ProgramCounty.objects.filter(program__code=PROGRAM, role=CountyRole.WEAK).values_list("county", flat=True)
    gaps = GapResult.objects.filter(region__in=weak, indicator="gdp", period="2025")
    assert gaps.count() == 10
    assert all(gap.gap_pp is not None and gap.rank is not None for gap in gaps)
    figures = StatValue.objects.count()
    _seed()
    assert StatValue.objects.count() == figures
