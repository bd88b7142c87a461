"""Demo data for the 2024 Shandong program (``seed_demo``): what the sources leave out, every row marked a sample.

The sources name five of the program's ten pairs, one more weak county (高青县) and a few facts about parks and
funds. Everything else a demo needs — the other pairs, projects, reports, cooperation records, fund allocations,
bond quotas — is invented here, stored with ``is_sample=True`` and labelled "(示例)" so nobody mistakes it for
the program's record. The invented pairs use real county adcodes from the registry, never a documented county.

Everything with rules goes through the services (pairings, projects and their stage log, funds and bonds), so the
demo obeys the same gates as real data. Dates that matter for warnings ("signed more than six months ago") are
counted back from ``timezone.localdate()``; randomness is seeded, so a given day always yields the same data.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import factory.random
from django.conf import settings
from django.db import OperationalError, ProgrammingError, transaction
from django.db.models import OuterRef, ProtectedError, QuerySet, RestrictedError, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from faker import Faker

from common.money import yuan
from common.periods import month_of
from funds.models import (
    Allocation,
    BondIssue,
    BondPlan,
    BondQuota,
    Disbursement,
    Fund,
    FundContribution,
    FundInvestment,
    FundKind,
    ParkLedgerEntry,
    RewardPayout,
    RewardRun,
)
from funds.services import (
    allocation_create,
    bond_issue_create,
    bond_plan_create,
    bond_quota_assign,
    disbursement_create,
    fund_create,
)
from pairing.factories import ParkFactory, ParkPartnerFactory
from pairing.models import (
    CountyRole,
    Pairing,
    Park,
    ParkKind,
    ParkPartner,
    ParkStatus,
    Program,
    ProgramCounty,
    Region,
    RegionLevel,
)
from pairing.services import pairing_create
from projects.factories import (
    CrossCountyOrderFactory,
    FinanceSupportFactory,
    ProgressReportFactory,
    PromotionEventFactory,
    SecondmentFactory,
)
from projects.models import (
    STAGES_NEEDING_SIGNING,
    STAGES_NEEDING_START,
    CrossCountyOrder,
    FinanceSupport,
    FinanceSupportKind,
    Health,
    ProblemCategory,
    ProgressReport,
    Project,
    ProjectCategory,
    PromotionEvent,
    ReportStatus,
    Secondment,
    SecondmentKind,
    Stage,
)
from projects.services import project_change_stage, project_create
from reporting.models import Target

PROGRAM_CODE = "sd-2024"
PAIRS_IN_PROGRAM = 10
SAMPLE = "(示例)"
SEED = 2024
GUIDANCE_FUND_YEAR = 2025
GUIDANCE_FUND_TOTAL = "200000000.00"
BOND_PLAN_YEAR = 2025
BOND_PLAN_TOTAL = "2000000000.00"

# The sample rows a newcomer is most likely to edit are data, in fixtures/demo/sample_projects.json:
# - strong_candidates / weak_candidates: real county-level units of Shandong that the sources do not name, in the
#   order they are used to fill the missing pairs (strong: large industrial counties; weak: rural counties of 菏泽,
#   聊城 and 临沂);
# - documented_themes: (product, industry, firm word, located in the strong county) per documented weak county, the
#   sources' own examples first; sample pairs draw from generic_themes.
SAMPLE_PROJECTS_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo" / "sample_projects.json"
Theme = tuple[str, str, str, bool]


def _themes(items: list[dict]) -> list[Theme]:
    return [(item["product"], item["industry"], item["firm_word"], item["in_strong_county"]) for item in items]


_SAMPLE_PROJECTS = json.loads(SAMPLE_PROJECTS_FILE.read_text(encoding="utf-8"))
SAMPLE_STRONG_CANDIDATES: tuple[str, ...] = tuple(_SAMPLE_PROJECTS["strong_candidates"])
SAMPLE_WEAK_CANDIDATES: tuple[str, ...] = tuple(_SAMPLE_PROJECTS["weak_candidates"])
DOCUMENTED_THEMES: dict[str, list[Theme]] = {
    county: _themes(items) for county, items in _SAMPLE_PROJECTS["documented_themes"].items()
}
GENERIC_THEMES: list[Theme] = _themes(_SAMPLE_PROJECTS["generic_themes"])

# The 48 projects of the library by (stage, health, variant), dealt round-robin over the pairings so every pairing
# gets a spread of stages. "overdue" projects were signed more than six months ago and have not started.
PROJECT_PLAN: list[tuple[str, str, str]] = [
    *[(Stage.PIPELINE, Health.NORMAL, "")] * 5,
    (Stage.PIPELINE, Health.TERMINATED, ""),
    *[(Stage.SIGNED, Health.NORMAL, "recent")] * 6,
    *[(Stage.SIGNED, Health.LAGGING, "overdue")] * 2,
    *[(Stage.SIGNED, Health.STALLED, "overdue")] * 2,
    (Stage.SIGNED, Health.TERMINATED, "recent"),
    *[(Stage.STARTED, Health.NORMAL, "")] * 10,
    *[(Stage.STARTED, Health.LAGGING, "")] * 2,
    (Stage.STARTED, Health.STALLED, ""),
    *[(Stage.PRODUCING, Health.NORMAL, "")] * 10,
    (Stage.PRODUCING, Health.LAGGING, ""),
    *[(Stage.AT_CAPACITY, Health.NORMAL, "")] * 7,
]

# Made-up two-character brands for the sample enterprises (each name also carries "(示例)").
BRAND_FIRST = "鲁华泰恒鑫宏瑞盛安信达源通德丰润金海兴"
BRAND_SECOND = "邦科昌茂嘉隆普晟拓远泽卓阳麟越航"

RETURN_COMMENT = f"{SAMPLE} 本月投资额与附件凭证不一致，请核实后重新提交。"
LATEST_REPORT_STATUSES = (
    ReportStatus.APPROVED,
    ReportStatus.SUBMITTED,
    ReportStatus.DRAFT,
    ReportStatus.RETURNED,
    ReportStatus.APPROVED,
    ReportStatus.SUBMITTED,
)
PROBLEMS = {
    ProblemCategory.LAND: "二期用地指标尚未落实，需省级协调调剂。",
    ProblemCategory.ENERGY: "新增用能指标不足，需省级统筹。",
    ProblemCategory.FINANCE: "项目资本金缺口较大，需协调金融机构支持。",
    ProblemCategory.APPROVALS: "环评手续办理周期较长，需省级部门加快审批。",
    ProblemCategory.LABOUR: "熟练技工招聘困难，需两地人社部门协助。",
}

# Guidance-fund allocations in 万元 by weak county (sorted by adcode); they total 1.8亿 of the 2亿.
ALLOCATIONS_WAN = (2000, 2000, 1900, 1900, 1800, 1800, 1700, 1700, 1600, 1600)
# Special-bond quotas in 亿元 × 10 by weak county (sorted by adcode); they total the plan's 20亿.
BOND_QUOTAS_YI_TENTHS = (26, 24, 22, 20, 20, 19, 18, 17, 17, 17)
BOND_RATES = ("2.180", "2.250", "2.310", "2.090", "2.400", "1.980")
BOND_TERMS = (10, 15, 20, 30, 15, 10)


class DemoDataError(Exception):
    """The demo cannot be built (the reference data is missing) or removed (real data depends on it)."""


@dataclass
class DemoResult:
    program: Program
    already_present: bool = False
    created: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)


def _count(counts: dict[str, int], label: str, n: int = 1) -> None:
    counts[label] = counts.get(label, 0) + n


def _short(region: Region) -> str:
    """台儿庄区 → 台儿庄, 蒙阴县 → 蒙阴; two-character names stay whole (市南区 → 市南)."""
    name = region.name
    return name[:-1] if len(name) > 2 and name[-1] in "区县市" else name


def _month_start(day: dt.date, months_back: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def _wan(amount: int) -> Decimal:
    return yuan(amount * 10_000)


def _aware(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


# --- Presence and removal ------------------------------------------------------------------------------------------


def demo_program() -> Program:
    try:
        program = Program.objects.filter(code=PROGRAM_CODE).first()
    except (OperationalError, ProgrammingError) as exc:
        raise DemoDataError(
            "The database has no tables yet: run `manage.py migrate` and `manage.py load_reference` first."
        ) from exc
    if program is None:
        raise DemoDataError(
            f"Program {PROGRAM_CODE!r} is not in the database: run `python manage.py load_reference` first."
        )
    return program


def demo_present(*, program: Program) -> bool:
    """True when the program already carries demo data (sample pairings, projects or funds)."""
    return (
        Pairing.objects.filter(program=program, is_sample=True).exists()
        or Project.objects.filter(pairing__program=program, is_sample=True).exists()
        or Fund.objects.filter(program=program, is_sample=True).exists()
        or BondPlan.objects.filter(program=program, is_sample=True).exists()
    )


def _sample_querysets(program: Program) -> Iterator[tuple[str, QuerySet]]:
    """The program's sample rows, children before parents so nothing is deleted from under a reference."""
    yield "targets", Target.objects.filter(program=program, is_sample=True)
    yield "reward payouts", RewardPayout.objects.filter(fund__program=program, fund__is_sample=True)
    yield "reward runs", RewardRun.objects.filter(fund__program=program, fund__is_sample=True)
    yield "fund investments", FundInvestment.objects.filter(fund__program=program, is_sample=True)
    yield "fund contributions", FundContribution.objects.filter(fund__program=program, is_sample=True)
    yield "park ledger entries", ParkLedgerEntry.objects.filter(park__pairing__program=program, is_sample=True)
    yield "bond issues", BondIssue.objects.filter(quota__plan__program=program, is_sample=True)
    yield "bond quotas", BondQuota.objects.filter(plan__program=program, is_sample=True)
    yield "bond plans", BondPlan.objects.filter(program=program, is_sample=True)
    yield "disbursements", Disbursement.objects.filter(allocation__fund__program=program, is_sample=True)
    yield "allocations", Allocation.objects.filter(fund__program=program, is_sample=True)
    yield "funds", Fund.objects.filter(program=program, is_sample=True)
    yield "progress reports", ProgressReport.objects.filter(project__pairing__program=program, is_sample=True)
    yield "cross-county orders", CrossCountyOrder.objects.filter(pairing__program=program, is_sample=True)
    yield "promotion events", PromotionEvent.objects.filter(pairing__program=program, is_sample=True)
    yield "secondments", Secondment.objects.filter(pairing__program=program, is_sample=True)
    yield "finance support", FinanceSupport.objects.filter(pairing__program=program, is_sample=True)
    yield "projects", Project.objects.filter(pairing__program=program, is_sample=True)
    yield "parks", Park.objects.filter(pairing__program=program, is_sample=True)
    yield "pairings", Pairing.objects.filter(program=program, is_sample=True)
    yield "program counties", ProgramCounty.objects.filter(program=program, is_sample=True)


def _refuse_if_real_rows_depend_on_samples(program: Program) -> None:
    """Deleting a sample project or park would cascade into rows under it; refuse if any of those are real."""
    real_reports = ProgressReport.objects.filter(project__pairing__program=program, project__is_sample=True).filter(
        is_sample=False
    )
    if real_reports.exists():
        raise DemoDataError("Real progress reports were filed on sample projects; they would be deleted. Nothing done.")


def _recompute_running_totals(program: Program) -> None:
    """Real funds, allocations, plans and quotas that held sample rows get their running totals back to the sum of
    the rows that remain (the services only ever add; removing demo rows is the one place that takes away)."""

    def total_of(model, parent_field: str, amount_field: str):
        rows = model.objects.filter(**{parent_field: OuterRef("pk")}).values(parent_field)
        return Coalesce(Subquery(rows.annotate(s=Sum(amount_field)).values("s")[:1]), Value(Decimal("0.00")))

    Allocation.objects.filter(fund__program=program, is_sample=False).update(
        disbursed=total_of(Disbursement, "allocation", "amount")
    )
    Fund.objects.filter(program=program, is_sample=False).update(
        allocated=total_of(Allocation, "fund", "amount"),
        contributed=total_of(FundContribution, "fund", "amount"),
        invested=total_of(FundInvestment, "fund", "amount"),
    )
    BondQuota.objects.filter(plan__program=program, is_sample=False).update(
        issued=total_of(BondIssue, "quota", "amount")
    )
    BondPlan.objects.filter(program=program, is_sample=False).update(assigned=total_of(BondQuota, "plan", "quota"))


@transaction.atomic
def demo_reset(*, program: Program) -> dict[str, int]:
    """Delete the program's sample rows (and only those) in dependency order. Returns counts by kind."""
    _refuse_if_real_rows_depend_on_samples(program)
    deleted: dict[str, int] = {}
    for label, queryset in _sample_querysets(program):
        if label == "parks":
            ParkPartner.objects.filter(park__in=queryset).delete()
        n = queryset.count()
        if n:
            try:
                queryset.delete()
            except (ProtectedError, RestrictedError) as exc:
                raise DemoDataError(
                    f"Real records refer to sample {label}; delete or re-point them first. Nothing done."
                ) from exc
            deleted[label] = n
    _recompute_running_totals(program)
    return deleted


# --- Building ------------------------------------------------------------------------------------------------------


class _DemoBuilder:
    def __init__(self, *, program: Program, today: dt.date) -> None:
        self.program = program
        self.today = today
        self.rng = random.Random(SEED)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(SEED)
        factory.random.reseed_random(SEED)
        self.counts: dict[str, int] = {}
        self.pairings: list[Pairing] = []
        self.parks: dict[int, list[Park]] = {}
        self.projects: list[Project] = []
        self.project_no = 0

    # Helpers -----------------------------------------------------------------------------------------------------

    def days_ago(self, low: int, high: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(low, high))

    def not_future(self, day: dt.date) -> dt.date:
        return min(day, self.today)

    def not_before_program(self, day: dt.date) -> dt.date:
        return self.not_future(max(day, self.program.start_date))

    def firm(self, word: str) -> str:
        brand = self.rng.choice(BRAND_FIRST) + self.rng.choice(BRAND_SECOND)
        return f"{brand}{word}有限公司{SAMPLE}"

    def pairing_for_weak(self, adcode: str) -> Pairing | None:
        return next((p for p in self.pairings if p.weak_county_id == adcode), None)

    # Pairings ----------------------------------------------------------------------------------------------------

    def fill_pairings(self) -> None:
        """Pair every designated weak county still without a partner, then more, until the program has its ten."""
        active = Pairing.objects.active().filter(program=self.program)
        taken = set(ProgramCounty.objects.filter(program=self.program).values_list("county_id", flat=True))
        taken |= set(active.values_list("strong_county_id", flat=True))
        taken |= set(active.values_list("weak_county_id", flat=True))
        paired_weak = set(active.values_list("weak_county_id", flat=True))
        unpaired_weak = list(
            ProgramCounty.objects.filter(program=self.program, role=CountyRole.WEAK)
            .exclude(county_id__in=paired_weak)
            .order_by("county_id")
            .values_list("county_id", flat=True)
        )
        missing = PAIRS_IN_PROGRAM - active.count()
        counties = Region.objects.filter(level=RegionLevel.COUNTY).in_bulk(
            [*unpaired_weak, *SAMPLE_STRONG_CANDIDATES, *SAMPLE_WEAK_CANDIDATES]
        )
        weak = [*unpaired_weak, *(c for c in SAMPLE_WEAK_CANDIDATES if c not in taken and c in counties)]
        strong = [c for c in SAMPLE_STRONG_CANDIDATES if c not in taken and c in counties]
        for strong_code, weak_code in list(zip(strong, weak, strict=False))[: max(missing, 0)]:
            pairing_create(
                program=self.program,
                strong_county=counties[strong_code],
                weak_county=counties[weak_code],
                start_date=self.program.start_date,
                provenance_note=f"{SAMPLE} 来源文件未列明这一结对，仅为演示而设，不代表实际帮扶关系。",
                leader=f"省级包保领导{SAMPLE}",
                assistance_team=f"省直部门、省属企业、高校帮扶团组{SAMPLE}",
                is_sample=True,
            )
            _count(self.counts, "pairings")
        # Documented pairings first (in the order they were loaded), then the sample ones.
        self.pairings = list(
            Pairing.objects.active()
            .filter(program=self.program)
            .select_related("strong_county__parent", "weak_county__parent")
            .order_by("is_sample", "pk")
        )

    # Parks -------------------------------------------------------------------------------------------------------

    def park(
        self,
        pairing: Pairing,
        *,
        name: str,
        kind: str,
        area: str,
        status: str,
        established: dt.date,
        description: str,
        partners: list[tuple[Region, str, str, str]],
    ) -> None:
        park = ParkFactory(
            pairing=pairing,
            name=name,
            kind=kind,
            host_county=pairing.weak_county,
            planned_area_mu=Decimal(area),
            status=status,
            established_on=self.not_before_program(established),
            description=description,
            is_sample=True,
        )
        for column in (2, 3):
            if sum(Decimal(partner[column]) for partner in partners) != 100:
                raise ValueError(f"The shares of {name} do not add up to 100%.")
        for county, capital, tax, output in partners:
            ParkPartnerFactory(
                park=park,
                county=county,
                capital_contribution=yuan(capital),
                tax_share_pct=Decimal(tax),
                output_share_pct=Decimal(output),
            )
            _count(self.counts, "park partners")
        self.parks.setdefault(pairing.pk, []).append(park)
        _count(self.counts, "parks")

    def build_parks(self) -> None:
        if pairing := self.pairing_for_weak("370405"):
            self.park(
                pairing,
                name=f"台儿庄区黄岛产业园{SAMPLE}",
                kind=ParkKind.CO_BUILT,
                area="1200",
                status=ParkStatus.OPERATING,
                established=dt.date(2025, 3, 18),
                description=f"{SAMPLE} 园区见于来源文件(台儿庄区发言)；面积、出资与分成比例为示例数据。",
                partners=[
                    (pairing.strong_county, "150000000", "40", "40"),
                    (pairing.weak_county, "100000000", "60", "60"),
                ],
            )
        if pairing := self.pairing_for_weak("371328"):
            # The sources give the 3亿 total and "济南研发、蒙阴生产"; the split between the two is not documented.
            self.park(
                pairing,
                name=f"历城—蒙阴绿色智能钻机产业园(飞地园区){SAMPLE}",
                kind=ParkKind.ENCLAVE,
                area="800",
                status=ParkStatus.OPERATING,
                established=dt.date(2025, 1, 10),
                description=f"{SAMPLE} 两地共同出资3亿元(来源文件)；双方出资比例与分成比例未见于来源，为示例数据。",
                partners=[
                    (pairing.strong_county, "180000000", "50", "40"),
                    (pairing.weak_county, "120000000", "50", "60"),
                ],
            )
        if pairing := self.pairing_for_weak("371428"):
            self.park(
                pairing,
                name=f"武城—龙口二手车出口基地{SAMPLE}",
                kind=ParkKind.CO_BUILT,
                area="300",
                status=ParkStatus.OPERATING,
                established=dt.date(2025, 5, 20),
                description=f"{SAMPLE} 两地共建二手车出口基地(来源文件)；面积、出资与分成比例为示例数据。",
                partners=[
                    (pairing.strong_county, "60000000", "30", "30"),
                    (pairing.weak_county, "40000000", "70", "70"),
                ],
            )
        if pairing := self.pairing_for_weak("371423"):
            self.park(
                pairing,
                name=f"庆云—芝罘PE包装产业园{SAMPLE}",
                kind=ParkKind.CO_BUILT,
                area="450",
                status=ParkStatus.BUILDING,
                established=dt.date(2025, 9, 1),
                description=f"{SAMPLE} 园区为示例数据。",
                partners=[
                    (pairing.strong_county, "50000000", "35", "35"),
                    (pairing.weak_county, "50000000", "65", "65"),
                ],
            )
        for pairing in [p for p in self.pairings if p.is_sample][:2]:
            self.park(
                pairing,
                name=f"{_short(pairing.weak_county)}—{_short(pairing.strong_county)}共建产业园{SAMPLE}",
                kind=ParkKind.CO_BUILT,
                area=str(self.rng.randrange(200, 1001, 50)),
                status=ParkStatus.BUILDING,
                established=dt.date(2025, 6, 1),
                description=f"{SAMPLE} 园区为示例数据。",
                partners=[
                    (pairing.strong_county, "80000000", "45", "40"),
                    (pairing.weak_county, "40000000", "55", "60"),
                ],
            )

    # Projects ----------------------------------------------------------------------------------------------------

    def project_dates(self, stage: str, health: str, variant: str) -> dict[str, dt.date | None]:
        """Dates that pass the stage gates and make sense against today."""
        signed = start = production = None
        if stage == Stage.PIPELINE:
            planned_start = self.today + dt.timedelta(days=self.rng.randint(60, 180))
        elif stage == Stage.SIGNED:
            # Recent: within four months (on track). Overdue: more than six months and still not started.
            signed = self.days_ago(200, 330) if variant == "overdue" else self.days_ago(15, 110)
            planned_start = signed + dt.timedelta(days=self.rng.randint(60, 150))
        elif stage == Stage.STARTED:
            start = self.days_ago(45, 300)
            signed = start - dt.timedelta(days=self.rng.randint(20, 120))
            planned_start = signed + dt.timedelta(days=self.rng.randint(20, 90))
        else:
            low, high = (240, 420) if stage == Stage.AT_CAPACITY else (30, 200)
            production = self.days_ago(low, high)
            start = production - dt.timedelta(days=self.rng.randint(150, 300))
            signed = start - dt.timedelta(days=self.rng.randint(20, 90))
            planned_start = signed + dt.timedelta(days=self.rng.randint(20, 90))
        planned_production = planned_start + dt.timedelta(days=self.rng.randint(270, 540))
        if health == Health.LAGGING and stage == Stage.STARTED:
            # Behind schedule: the planned production date has already passed.
            planned_production = min(planned_production, self.today - dt.timedelta(days=self.rng.randint(30, 120)))
            planned_production = max(planned_production, planned_start)
        at_capacity_on = None
        if stage == Stage.AT_CAPACITY:
            at_capacity_on = self.not_future(production + dt.timedelta(days=self.rng.randint(120, 200)))
        return {
            "at_capacity_on": at_capacity_on,
            "signed_date": signed,
            "planned_start_date": planned_start,
            "planned_production_date": planned_production,
            "actual_start_date": start,
            "actual_production_date": production,
        }

    def themes_for(self, pairing: Pairing) -> list[Theme]:
        themes = DOCUMENTED_THEMES.get(pairing.weak_county_id)
        if themes:
            return themes
        return self.rng.sample(GENERIC_THEMES, 6)

    def build_projects(self) -> None:
        plan_by_pairing: dict[int, list[tuple[str, str, str]]] = {p.pk: [] for p in self.pairings}
        for i, item in enumerate(PROJECT_PLAN):
            plan_by_pairing[self.pairings[i % len(self.pairings)].pk].append(item)
        for pairing in self.pairings:
            themes = self.themes_for(pairing)
            parks = self.parks.get(pairing.pk, [])
            for j, (stage, health, variant) in enumerate(plan_by_pairing[pairing.pk]):
                product, industry, firm_word, in_strong = themes[j % len(themes)]
                county = pairing.strong_county if in_strong else pairing.weak_county
                # Projects past the pipeline in the weak county go into the pairing's park, when it has one.
                park = parks[j % len(parks)] if parks and stage != Stage.PIPELINE and not in_strong else None
                self.project(pairing, county, park, product, industry, firm_word, stage, health, variant)

    def project(
        self,
        pairing: Pairing,
        county: Region,
        park: Park | None,
        product: str,
        industry: str,
        firm_word: str,
        stage: str,
        health: str,
        variant: str,
    ) -> None:
        self.project_no += 1
        dates = self.project_dates(stage, health, variant)
        category = ProjectCategory.SUPPLY_CHAIN if pairing.weak_county_id == "371423" else ProjectCategory.TRANSFER
        if industry == "研发服务":
            category = ProjectCategory.PLATFORM
        project = project_create(
            pairing=pairing,
            code=f"DEMO-{self.program.start_date.year}-{self.project_no:03d}",
            name=f"{_short(county)}{product}项目{SAMPLE}",
            county=county,
            park=park,
            enterprise=self.firm(firm_word),
            industry=industry,
            category=category,
            planned_investment=yuan(self.rng.randrange(100, 5001) * 100_000),
            planned_start_date=dates["planned_start_date"],
            planned_production_date=dates["planned_production_date"],
            description=f"{SAMPLE} 项目及其企业、金额、日期均为示例数据。",
            is_sample=True,
        )
        # Walk the project through the stages with the real service, so its stage log is what a user would leave.
        steps = [
            (Stage.SIGNED, "signed_date", dates["signed_date"]),
            (Stage.STARTED, "actual_start_date", dates["actual_start_date"]),
            (Stage.PRODUCING, "actual_production_date", dates["actual_production_date"]),
            (Stage.AT_CAPACITY, None, dates["at_capacity_on"]),
        ]
        for to_stage, gate, on in steps[: Stage.order(stage)]:
            project = project_change_stage(
                project=project,
                to_stage=to_stage,
                note=f"{SAMPLE} {on:%Y-%m-%d}",
                **({gate: on} if gate else {}),
            )
        if health != Health.NORMAL:
            # No service sets a project's health yet; the demo writes it directly.
            Project.objects.filter(pk=project.pk).update(health=health)
            project.health = health
        self.projects.append(project)
        _count(self.counts, "projects")

    # Progress reports --------------------------------------------------------------------------------------------

    def build_reports(self) -> None:
        reporting = [
            p
            for p in self.projects
            if p.stage in (Stage.SIGNED, Stage.STARTED, Stage.PRODUCING, Stage.AT_CAPACITY)
            and p.health != Health.TERMINATED
        ]
        for n, project in enumerate(reporting):
            self.reports(project, LATEST_REPORT_STATUSES[n % len(LATEST_REPORT_STATUSES)])

    def reports(self, project: Project, latest_status: str) -> None:
        """A report for every month one is owed (from the month after signing, not before the program), the
        latest in ``latest_status``; before construction they report the signed stage and no investment."""
        first = max(_month_start(project.signed_date.replace(day=1), -1), self.program.start_date.replace(day=1))
        owed = [m for m in (_month_start(self.today, k) for k in range(36, 0, -1)) if m >= first]
        if project.health == Health.STALLED:
            owed = owed[:-2]  # A stalled project has stopped reporting: its last reports are overdue.
        start_month = project.actual_start_date.replace(day=1) if project.actual_start_date else None
        before_start = [m for m in owed if start_month is None or m < start_month]
        months = [m for m in owed if start_month is not None and m >= start_month]
        for i, month in enumerate(before_start):
            last = i == len(before_start) - 1 and not months
            self.report_row(project, month, status=latest_status if last else ReportStatus.APPROVED)
        if not months:
            return
        planned_wan = int(project.planned_investment) // 10_000
        final = {
            Stage.STARTED: self.rng.randint(150, 550),
            Stage.PRODUCING: self.rng.randint(700, 900),
            Stage.AT_CAPACITY: self.rng.randint(920, 1000),
        }[project.stage]  # ‰ of the planned investment done by the latest report
        if project.health == Health.LAGGING:
            final = final // 3
        months_since_start = (self.today.year - start_month.year) * 12 + self.today.month - start_month.month
        step = max(5, final // (months_since_start + 1))
        previous_yuan = Decimal("0.00")  # every month since construction began is reported
        approved_total = None
        for i, month in enumerate(months):
            permille = max(final - (len(months) - 1 - i) * step, step)
            cumulative = yuan(planned_wan * permille // 1000 * 10_000)
            cumulative = max(cumulative, previous_yuan)
            month_investment = cumulative - previous_yuan
            previous_yuan = cumulative
            producing = project.actual_production_date and month >= project.actual_production_date.replace(day=1)
            status = latest_status if i == len(months) - 1 else ReportStatus.APPROVED
            problem = ""
            if (project.health != Health.NORMAL or i % 3 == 1) and self.rng.random() < 0.6:
                problem = self.rng.choice(list(PROBLEMS))
            output = tax = None
            if producing:
                output = _wan(planned_wan * self.rng.randint(30, 120) // 1000)
                tax = yuan(int(output) * self.rng.randint(3, 6) // 100)
            submitted_at = reviewed_at = None
            if status != ReportStatus.DRAFT:
                due = _month_start(month, -1) + dt.timedelta(days=self.rng.randint(1, 4))
                submitted_at = min(_aware(due), timezone.now())
            if status in (ReportStatus.APPROVED, ReportStatus.RETURNED):
                reviewed_at = min(submitted_at + dt.timedelta(days=2), timezone.now())
            ProgressReportFactory(
                project=project,
                period=month_of(month),
                stage=(project.stage if producing else Stage.STARTED),
                cumulative_investment=cumulative,
                month_investment=month_investment,
                jobs_created=20 + permille // 4,
                output_value=output,
                tax_paid=tax,
                problem_category=problem,
                problems=f"{SAMPLE} {PROBLEMS[problem]}" if problem else "",
                status=status,
                submitted_at=submitted_at,
                first_submitted_at=submitted_at,
                reviewed_at=reviewed_at,
                review_comment=RETURN_COMMENT if status == ReportStatus.RETURNED else "",
                is_sample=True,
            )
            _count(self.counts, "progress reports")
            if status == ReportStatus.APPROVED:
                approved_total = cumulative
        if approved_total is not None:
            # The completed investment shown on a project is the last approved report's cumulative figure.
            Project.objects.filter(pk=project.pk).update(completed_investment=approved_total)

    def report_row(self, project: Project, month: dt.date, *, status: str) -> None:
        """A month before construction: the project is still signed, nothing invested yet."""
        submitted_at = reviewed_at = None
        if status != ReportStatus.DRAFT:
            due = _month_start(month, -1) + dt.timedelta(days=self.rng.randint(1, 4))
            submitted_at = min(_aware(due), timezone.now())
        if status in (ReportStatus.APPROVED, ReportStatus.RETURNED):
            reviewed_at = min(submitted_at + dt.timedelta(days=2), timezone.now())
        ProgressReportFactory(
            project=project,
            period=month_of(month),
            stage=Stage.SIGNED,
            cumulative_investment=Decimal("0.00"),
            month_investment=Decimal("0.00"),
            jobs_created=0,
            status=status,
            submitted_at=submitted_at,
            first_submitted_at=submitted_at,
            reviewed_at=reviewed_at,
            review_comment=RETURN_COMMENT if status == ReportStatus.RETURNED else "",
            is_sample=True,
        )
        _count(self.counts, "progress reports")

    # Other cooperation -------------------------------------------------------------------------------------------

    def build_cooperation(self) -> None:
        for pairing in self.pairings:
            strong, weak = pairing.strong_county, pairing.weak_county
            themes = self.themes_for(pairing)
            goods = [t[0] for t in themes]
            if weak.adcode == "370405":
                amounts = [120_000_000, 90_000_000]  # The source's target is ≥2亿 of orders; these figures are not.
            else:
                amounts = [self.rng.randrange(50, 801) * 100_000 for _ in range(2)]
            sellers = [weak, strong] if weak.adcode == "371423" else [weak, weak]  # 芝罘 sells PE to 庆云
            for amount, seller_county, good in zip(amounts, sellers, goods, strict=False):
                buyer_county = strong if seller_county == weak else weak
                CrossCountyOrderFactory(
                    pairing=pairing,
                    buyer=f"{_short(buyer_county)}{self.firm('实业')}",
                    seller=f"{_short(seller_county)}{self.firm('制造')}",
                    seller_county=seller_county,
                    goods=("聚乙烯原料" if seller_county == strong else good) + SAMPLE,
                    amount=yuan(amount),
                    signed_date=self.not_before_program(self.days_ago(20, 420)),
                    is_sample=True,
                )
                _count(self.counts, "cross-county orders")
            events = 2 if weak.adcode == "370405" else 1
            for k in range(events):
                number = f"(第{k + 1}场)" if events > 1 else ""
                PromotionEventFactory(
                    pairing=pairing,
                    title=f"{_short(strong)}—{_short(weak)}协同招商推介会{number}{SAMPLE}",
                    held_on=self.not_before_program(self.days_ago(60, 500)),
                    location=(strong.parent.name if strong.parent else strong.name) if k == 0 else weak.name,
                    projects_signed=self.rng.randint(2, 6),
                    intended_investment=yuan(self.rng.randrange(20, 151) * 10_000_000),
                    is_sample=True,
                )
                _count(self.counts, "promotion events")
            cadre_start = self.not_before_program(self.program.start_date + dt.timedelta(days=self.rng.randint(45, 90)))
            SecondmentFactory(
                pairing=pairing,
                kind=SecondmentKind.CADRE,
                person=f"{self.fake.name()}{SAMPLE}",
                from_county=strong,
                to_county=weak,
                post=f"挂职{weak.name}副{weak.name[-1]}长{SAMPLE}",
                start_date=cadre_start,
                end_date=cadre_start + dt.timedelta(days=730),
                is_sample=True,
            )
            _count(self.counts, "secondments")
            if self.rng.random() < 0.6:
                talent_start = self.not_before_program(self.days_ago(90, 400))
                SecondmentFactory(
                    pairing=pairing,
                    kind=SecondmentKind.TALENT,
                    person=f"{self.fake.name()}{SAMPLE}",
                    from_county=weak,
                    to_county=strong,
                    post=f"企业管理人才跟岗学习{SAMPLE}",
                    start_date=talent_start,
                    end_date=talent_start + dt.timedelta(days=180),
                    is_sample=True,
                )
                _count(self.counts, "secondments")
            if weak.adcode == "371603":
                # The source: capital loans for two 沾化 firms and a county state firm's bond issue (figures sample).
                supports = [
                    (FinanceSupportKind.LOAN, self.firm("食品"), 60_000_000, "协调争取项目资本金贷款"),
                    (FinanceSupportKind.LOAN, self.firm("新能源"), 45_000_000, "协调争取项目资本金贷款"),
                    (FinanceSupportKind.BOND, f"沾化区城市发展投资集团{SAMPLE}", 500_000_000, "助力县属国企发行企业债"),
                ]
            else:
                amount = self.rng.randrange(20, 201) * 1_000_000
                supports = [(FinanceSupportKind.LOAN, self.firm(themes[0][2]), amount, "协调银行贷款")]
            for kind, beneficiary, amount, what in supports:
                FinanceSupportFactory(
                    pairing=pairing,
                    kind=kind,
                    beneficiary=f"{_short(weak)}{beneficiary}" if kind == FinanceSupportKind.LOAN else beneficiary,
                    amount=yuan(amount),
                    arranged_on=self.not_before_program(self.days_ago(30, 450)),
                    description=f"{SAMPLE} {what}；金额与日期为示例数据。",
                    is_sample=True,
                )
                _count(self.counts, "finance support")

    # Funds and bonds ---------------------------------------------------------------------------------------------

    def weak_counties(self) -> list[Region]:
        return sorted((p.weak_county for p in self.pairings), key=lambda c: c.adcode)

    def project_in(self, county: Region, on: dt.date, *stages: str) -> Project | None:
        """A healthy project of the county in one of ``stages`` that had been signed by ``on``."""
        return next(
            (
                p
                for p in self.projects
                if p.county_id == county.pk
                and p.stage in stages
                and p.health == Health.NORMAL
                and p.signed_date is not None
                and p.signed_date <= on
            ),
            None,
        )

    def build_funds(self) -> None:
        if Fund.objects.filter(program=self.program, year=GUIDANCE_FUND_YEAR, kind=FundKind.GUIDANCE).exists():
            self.counts["skipped: guidance fund already recorded"] = 1
        else:
            self.guidance_fund()
        if BondPlan.objects.filter(program=self.program, year=BOND_PLAN_YEAR).exists():
            self.counts["skipped: bond plan already recorded"] = 1
        else:
            self.bond_plan()
        if pairing := self.pairing_for_weak("370405"):
            self.pair_fund(pairing)

    def guidance_fund(self) -> None:
        fund = fund_create(
            program=self.program,
            year=GUIDANCE_FUND_YEAR,
            total=yuan(GUIDANCE_FUND_TOTAL),
            name=f"{GUIDANCE_FUND_YEAR}年强县产业帮扶弱县引导资金{SAMPLE}",
            is_sample=True,
        )
        _count(self.counts, "funds")
        for n, (county, amount_wan) in enumerate(zip(self.weak_counties(), ALLOCATIONS_WAN, strict=False)):
            allocated_on = self.not_future(dt.date(GUIDANCE_FUND_YEAR, 3 + n % 3, 10 + n))
            project = self.project_in(county, allocated_on, *STAGES_NEEDING_START) if n % 2 == 0 else None
            allocation = allocation_create(
                fund=fund,
                county=county,
                project=project,
                amount=_wan(amount_wan),
                allocated_on=allocated_on,
                document_no=f"鲁发改帮扶〔{GUIDANCE_FUND_YEAR}〕{n + 1}号{SAMPLE}",
                purpose=f"产业帮扶项目补助{SAMPLE}",
                is_sample=True,
            )
            _count(self.counts, "allocations")
            # Tranches of 40% and 30%; every third county has had only the first. The rest is still undisbursed.
            tranches = [(40, 30), (30, 150)] if n % 3 else [(40, 30)]
            for k, (pct, after_days) in enumerate(tranches, start=1):
                disbursement_create(
                    allocation=allocation,
                    amount=_wan(amount_wan * pct // 100),
                    paid_on=self.not_future(allocated_on + dt.timedelta(days=after_days)),
                    document_no=f"鲁财拨〔{GUIDANCE_FUND_YEAR}〕{n + 1}-{k}号{SAMPLE}",
                    purpose=f"第{k}批拨付{SAMPLE}",
                    is_sample=True,
                )
                _count(self.counts, "disbursements")

    def bond_plan(self) -> None:
        plan = bond_plan_create(program=self.program, year=BOND_PLAN_YEAR, total=yuan(BOND_PLAN_TOTAL), is_sample=True)
        _count(self.counts, "bond plans")
        for n, (county, tenths) in enumerate(zip(self.weak_counties(), BOND_QUOTAS_YI_TENTHS, strict=False)):
            quota = bond_quota_assign(plan=plan, county=county, quota=yuan(tenths * 10_000_000), is_sample=True)
            _count(self.counts, "bond quotas")
            if n >= len(BOND_RATES):
                continue  # Not every county has issued yet.
            issue_date = self.not_future(dt.date(BOND_PLAN_YEAR, 4 + n, 15))
            bond_issue_create(
                quota=quota,
                project=self.project_in(county, issue_date, *STAGES_NEEDING_START),
                amount=yuan(tenths * 10_000_000 * (4 + n % 4) // 10),
                issue_date=issue_date,
                term_years=BOND_TERMS[n],
                rate_pct=Decimal(BOND_RATES[n]),
                is_sample=True,
            )
            _count(self.counts, "bond issues")

    def pair_fund(self, pairing: Pairing) -> None:
        # The source names the fund (青岛西海岸—台儿庄产业协同发展基金); its size and use here are sample figures.
        fund = fund_create(
            program=self.program,
            year=GUIDANCE_FUND_YEAR,
            kind=FundKind.PAIR_INDUSTRY,
            pairing=pairing,
            total=yuan("500000000.00"),
            name=f"青岛西海岸—台儿庄产业协同发展基金{SAMPLE}",
            is_sample=True,
        )
        _count(self.counts, "funds")
        allocated_on = self.not_future(dt.date(GUIDANCE_FUND_YEAR, 7, 1))
        allocation = allocation_create(
            fund=fund,
            county=pairing.weak_county,
            project=self.project_in(pairing.weak_county, allocated_on, *STAGES_NEEDING_SIGNING),
            amount=yuan("80000000.00"),
            allocated_on=allocated_on,
            purpose=f"基金投资{SAMPLE}",
            is_sample=True,
        )
        _count(self.counts, "allocations")
        disbursement_create(
            allocation=allocation,
            amount=yuan("30000000.00"),
            paid_on=self.not_future(allocated_on + dt.timedelta(days=45)),
            purpose=f"首期出资{SAMPLE}",
            is_sample=True,
        )
        _count(self.counts, "disbursements")

    def build(self) -> dict[str, int]:
        self.fill_pairings()
        self.build_parks()
        self.build_projects()
        self.build_reports()
        self.build_cooperation()
        self.build_funds()
        return self.counts


def demo_seed(*, reset: bool = False, today: dt.date | None = None) -> DemoResult:
    """Build the demo on top of the loaded reference data. Does nothing if the demo is already there, unless
    ``reset``: then the program's sample rows are deleted first and the demo is rebuilt."""
    program = demo_program()
    today = today or timezone.localdate()
    with transaction.atomic():
        result = DemoResult(program=program)
        if demo_present(program=program):
            if not reset:
                result.already_present = True
                return result
            result.deleted = demo_reset(program=program)
        result.created = _DemoBuilder(program=program, today=today).build()
    return result
