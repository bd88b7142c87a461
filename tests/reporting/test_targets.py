"""Targets: every metric's actual computed from rows built through the factories and services, how far it is met,
the model's validation and database constraints, the reference file's documented targets and the demo's samples.

County A is 台儿庄区 (370405), weak side of ``pairing_a`` with 黄岛区 (370211); county B is 蒙阴县 (371328), weak side
of ``pairing_b`` with 历城区 (370112).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from demo.targets import SAMPLE_TARGETS, YEARS, demo_targets_seed
from funds.factories import FundFactory
from pairing.factories import CountyFactory, PairingFactory, ProgramCountyFactory, ProgramFactory
from pairing.models import CountyRole, Program, ProgramCounty, Source
from projects.cooperation import cross_county_order_create
from projects.models import Health, Stage
from reporting.factories import TargetFactory
from reporting.models import Direction, Metric, Target
from reporting.services import target_set
from reporting.targets import TargetProgress, is_met, progress_pct, targets_progress
from stats.models import GapResult, Indicator

from .builders import paid, project_build, report_file, statistics_build

pytestmark = pytest.mark.django_db

YEAR_END = dt.date(2025, 12, 31)
NEXT_YEAR = dt.date(2026, 1, 1)


def progress_of(target: Target) -> TargetProgress:
    (progress,) = targets_progress([target])
    return progress


def target_for(pairing, metric: str, target: str, **kwargs) -> Target:
    kwargs.setdefault("year", 2025)
    return TargetFactory(
        program=pairing.program, county=pairing.weak_county, metric=metric, target=Decimal(target), **kwargs
    )


@pytest.fixture
def elsewhere(program, pairing_a):
    """County A as the weak side of a pairing in a second program: nothing of it counts for a target of
    ``program``."""
    other = ProgramFactory(code="sd-other")
    weak_in_other = PairingFactory(
        program=other, strong_county=CountyFactory(adcode="370402", name="市中区"), weak_county=pairing_a.weak_county
    )
    return other, weak_in_other


# --- projects_over ---------------------------------------------------------------------------------------------------


def test_projects_over_counts_live_signed_projects_of_the_county_at_or_above_the_threshold(
    pairing_a, pairing_b, elsewhere
):
    # Given three projects of county A that count, and six that do not
    project_build(pairing_a, signed=dt.date(2025, 3, 15), planned="150000000.00")
    project_build(pairing_a, signed=YEAR_END, planned="100000000.00")  # on the threshold, on the last day
    project_build(
        pairing_a, stage=Stage.STARTED, signed=dt.date(2024, 5, 1), started=dt.date(2024, 8, 1), planned="300000000.00"
    )  # signed in an earlier year
    project_build(pairing_a, signed=NEXT_YEAR, planned="150000000.00")  # signed after the year's end
    project_build(pairing_a, signed=dt.date(2025, 4, 1), planned="99999999.99")  # below the threshold
    project_build(pairing_a, signed=dt.date(2025, 4, 1), planned="200000000.00", health=Health.TERMINATED)
    project_build(pairing_a, stage=Stage.PIPELINE, signed=None, planned="500000000.00")  # not signed
    project_build(pairing_b, planned="500000000.00")  # another county
    _other, weak_in_other = elsewhere
    project_build(weak_in_other, planned="500000000.00")  # county A, but in another program
    target = target_for(pairing_a, Metric.PROJECTS_OVER, "8", threshold=Decimal("100000000"))

    # When its actual is computed
    progress = progress_of(target)

    # Then three count, and eight are not reached yet
    assert progress.actual == Decimal(3)
    assert progress.met is False
    assert progress.progress_pct == Decimal("37.5")


def test_projects_over_reads_each_target_s_own_year_and_threshold(pairing_a):
    project_build(pairing_a, signed=dt.date(2025, 6, 1), planned="150000000.00")
    project_build(pairing_a, signed=dt.date(2026, 6, 1), planned="50000000.00")
    targets = [
        target_for(pairing_a, Metric.PROJECTS_OVER, "1", threshold=Decimal("100000000"), year=2025),
        target_for(pairing_a, Metric.PROJECTS_OVER, "2", threshold=Decimal("10000000"), year=2026),
        target_for(pairing_a, Metric.PROJECTS_OVER, "1", threshold=Decimal("10000000"), year=2024),
    ]
    progress = {p.target.year: p for p in targets_progress(targets)}
    assert (progress[2025].actual, progress[2025].met) == (Decimal(1), True)
    assert (progress[2026].actual, progress[2026].met) == (Decimal(2), True)
    assert (progress[2024].actual, progress[2024].met) == (Decimal(0), False)


# --- projects_started ------------------------------------------------------------------------------------------------


def test_projects_started_counts_construction_started_in_the_year(pairing_a, pairing_b):
    def started(pairing, day, **kwargs):
        return project_build(pairing, stage=Stage.STARTED, signed=dt.date(2024, 10, 1), started=day, **kwargs)

    started(pairing_a, dt.date(2025, 1, 1))
    started(pairing_a, YEAR_END)
    project_build(
        pairing_a,
        stage=Stage.PRODUCING,
        signed=dt.date(2024, 10, 1),
        started=dt.date(2025, 3, 1),
        producing=dt.date(2025, 11, 1),
    )  # started in the year and producing since: counts
    started(pairing_a, dt.date(2024, 12, 31))
    started(pairing_a, NEXT_YEAR)
    started(pairing_a, dt.date(2025, 6, 1), health=Health.TERMINATED)
    started(pairing_b, dt.date(2025, 6, 1))
    project_build(pairing_a)  # signed, not started

    progress = progress_of(target_for(pairing_a, Metric.PROJECTS_STARTED, "3"))

    assert progress.actual == Decimal(3)
    assert progress.met is True
    assert progress.progress_pct == Decimal(100)


# --- signed_started_pct ----------------------------------------------------------------------------------------------


def test_signed_started_pct_is_the_share_started_by_the_year_s_end(pairing_a, pairing_b):
    # Given three live projects of county A signed by the end of 2025, two of them started by then
    project_build(pairing_a, stage=Stage.STARTED, signed=dt.date(2025, 2, 1), started=dt.date(2025, 5, 1))
    project_build(
        pairing_a,
        stage=Stage.PRODUCING,
        signed=dt.date(2024, 9, 1),
        started=dt.date(2024, 12, 1),
        producing=dt.date(2025, 9, 1),
    )
    project_build(pairing_a, stage=Stage.STARTED, signed=dt.date(2025, 11, 1), started=dt.date(2026, 2, 1))
    # and, not counted: a terminated one, one signed in 2026, one of county B
    project_build(pairing_a, signed=dt.date(2025, 2, 1), health=Health.TERMINATED)
    project_build(pairing_a, signed=dt.date(2026, 3, 1))
    project_build(pairing_b, signed=dt.date(2025, 2, 1))

    progress = progress_of(target_for(pairing_a, Metric.SIGNED_STARTED_PCT, "100"))

    assert progress.actual == Decimal(200) / Decimal(3)
    assert progress.met is False
    assert progress.progress_pct == Decimal(200) / Decimal(3)


def test_signed_started_pct_without_signed_projects_has_no_actual(pairing_a):
    project_build(pairing_a, stage=Stage.PIPELINE, signed=None)
    project_build(pairing_a, signed=NEXT_YEAR)

    progress = progress_of(target_for(pairing_a, Metric.SIGNED_STARTED_PCT, "100"))

    assert (progress.actual, progress.met, progress.progress_pct, progress.bar_pct) == (None, None, None, 0)


def test_signed_started_pct_of_several_counties_and_years_at_once(pairing_a, pairing_b):
    project_build(pairing_a, stage=Stage.STARTED, signed=dt.date(2024, 6, 1), started=dt.date(2025, 2, 1))
    project_build(pairing_a, signed=dt.date(2025, 3, 1))
    project_build(pairing_b, stage=Stage.STARTED, signed=dt.date(2025, 1, 1), started=dt.date(2025, 3, 1))
    targets = {
        ("A", 2023): target_for(pairing_a, Metric.SIGNED_STARTED_PCT, "100", year=2023),
        ("A", 2024): target_for(pairing_a, Metric.SIGNED_STARTED_PCT, "100", year=2024),
        ("A", 2025): target_for(pairing_a, Metric.SIGNED_STARTED_PCT, "50", year=2025),
        ("B", 2025): target_for(pairing_b, Metric.SIGNED_STARTED_PCT, "100", year=2025),
    }

    progress = dict(zip(targets, targets_progress(targets.values()), strict=True))

    assert {key: (p.actual, p.met) for key, p in progress.items()} == {
        ("A", 2023): (None, None),  # nothing signed yet
        ("A", 2024): (Decimal(0), False),  # signed in 2024, started in 2025
        ("A", 2025): (Decimal(50), True),
        ("B", 2025): (Decimal(100), True),
    }


# --- orders_amount ---------------------------------------------------------------------------------------------------


def test_orders_amount_sums_the_pairing_s_orders_of_the_year_exactly(pairing_a, pairing_b, officer, elsewhere):
    def order(pairing, amount: str, day: dt.date):
        cross_county_order_create(
            pairing=pairing,
            buyer="某食品有限公司",
            seller="某包装材料有限公司",
            seller_county=pairing.strong_county,
            amount=Decimal(amount),
            signed_date=day,
            by=officer,
        )

    order(pairing_a, "20000000.00", dt.date(2025, 5, 20))
    order(pairing_a, "0.10", dt.date(2025, 1, 1))
    order(pairing_a, "0.20", YEAR_END)
    order(pairing_a, "50000000.00", dt.date(2024, 12, 31))
    order(pairing_a, "50000000.00", NEXT_YEAR)
    order(pairing_b, "70000000.00", dt.date(2025, 5, 20))
    order(elsewhere[1], "70000000.00", dt.date(2025, 5, 20))

    progress = progress_of(target_for(pairing_a, Metric.ORDERS_AMOUNT, "200000000"))

    assert isinstance(progress.actual, Decimal)
    assert progress.actual == Decimal("20000000.30")
    assert progress.met is False
    assert progress.progress_pct == Decimal("10.00000015")


def test_orders_amount_without_orders_is_zero_not_missing(pairing_a):
    progress = progress_of(target_for(pairing_a, Metric.ORDERS_AMOUNT, "200000000"))

    assert progress.actual == Decimal("0.00")
    assert progress.met is False
    assert progress.progress_pct == Decimal(0)


# --- completed_investment --------------------------------------------------------------------------------------------


def test_completed_investment_takes_each_project_s_last_approved_report_of_the_year(
    pairing_a, pairing_b, liaison_a, liaison_b, officer
):
    # Given project P: approved in April and November 2025, submitted (not approved) for December, approved for
    # January 2026 — 2025 stands at the November figure
    p = project_build(pairing_a, signed=dt.date(2025, 3, 15))
    report_file(p, "2025-04", "10000000.00", liaison=liaison_a, reviewer=officer)
    report_file(p, "2025-11", "30000000.00", liaison=liaison_a, reviewer=officer)
    report_file(p, "2025-12", "45000000.00", liaison=liaison_a, status="submitted")
    report_file(p, "2026-01", "60000000.00", liaison=liaison_a, reviewer=officer)
    # and project Q: approved in June, a draft for December
    q = project_build(pairing_a, signed=dt.date(2025, 3, 15), completed="0.00")
    report_file(q, "2025-06", "5000000.01", liaison=liaison_a, reviewer=officer)
    report_file(q, "2025-12", "8000000.00", liaison=liaison_a, status="draft")
    # and, not counted: a project terminated after its approved report, a project of county B
    t = project_build(pairing_a, signed=dt.date(2025, 3, 15))
    report_file(t, "2025-05", "70000000.00", liaison=liaison_a, reviewer=officer)
    type(t).objects.filter(pk=t.pk).update(health=Health.TERMINATED)
    b = project_build(pairing_b, signed=dt.date(2025, 3, 15))
    report_file(b, "2025-06", "90000000.00", liaison=liaison_b, reviewer=officer)

    progress = {
        p.target.year: p
        for p in targets_progress(
            [
                target_for(pairing_a, Metric.COMPLETED_INVESTMENT, "100000000", year=2025),
                target_for(pairing_a, Metric.COMPLETED_INVESTMENT, "100000000", year=2026),
                target_for(pairing_a, Metric.COMPLETED_INVESTMENT, "100000000", year=2024),
            ]
        )
    }

    assert progress[2025].actual == Decimal("35000000.01")
    assert progress[2026].actual == Decimal("65000000.01")
    assert progress[2024].actual == Decimal("0.00")
    assert all(isinstance(p.actual, Decimal) for p in progress.values())


# --- funds_received --------------------------------------------------------------------------------------------------


def test_funds_received_sums_the_guidance_fund_paid_to_the_county_in_the_year(program, pairing_a, pairing_b, elsewhere):
    county_a, county_b = pairing_a.weak_county, pairing_b.weak_county
    fund_2024 = FundFactory(program=program, year=2024)
    fund_2025 = FundFactory(program=program, year=2025)
    # Paid in 2025: 10M and ¥0.01 from the 2025 fund, 3M from the 2024 fund
    paid(
        fund_2025,
        county_a,
        allocated="50000000.00",
        allocated_on=dt.date(2025, 1, 10),
        payments=[("10000000.00", dt.date(2025, 2, 1)), ("0.01", YEAR_END), ("5000000.00", dt.date(2026, 1, 15))],
    )
    paid(
        fund_2024,
        county_a,
        allocated="20000000.00",
        allocated_on=dt.date(2024, 3, 1),
        payments=[("3000000.00", dt.date(2025, 1, 5)), ("4000000.00", dt.date(2024, 12, 31))],
    )
    # Not county A's, or not this program's guidance fund
    paid(
        fund_2025,
        county_b,
        allocated="30000000.00",
        allocated_on=dt.date(2025, 1, 10),
        payments=[("8000000.00", dt.date(2025, 3, 1))],
    )
    other_fund = FundFactory(program=elsewhere[0], year=2025)
    paid(
        other_fund,
        county_a,
        allocated="9000000.00",
        allocated_on=dt.date(2025, 1, 10),
        payments=[("9000000.00", dt.date(2025, 3, 1))],
    )

    progress = {
        p.target.year: p
        for p in targets_progress(
            [
                target_for(pairing_a, Metric.FUNDS_RECEIVED, "13000000.01", year=2025),
                target_for(pairing_a, Metric.FUNDS_RECEIVED, "10000000", year=2026),
            ]
        )
    }

    assert progress[2025].actual == Decimal("13000000.01")
    assert progress[2025].met is True  # exactly on target: no float rounding either way
    assert progress[2025].progress_pct == Decimal(100)
    assert progress[2026].actual == Decimal("5000000.00")
    assert progress[2026].met is False


# --- gap_pp and rank -------------------------------------------------------------------------------------------------


@pytest.fixture
def gaps(pairing_a, pairing_b) -> None:
    statistics_build()


def test_gap_and_rank_targets_read_the_gap_engine_s_results(pairing_a, gaps):
    result = GapResult.objects.get(region="370405", indicator=Indicator.GDP, period="2025")
    assert result.gap_pp == Decimal("0.581") and result.rank == 4  # the engine, as the builders describe it

    def gap(target: str, **kwargs) -> Target:
        return target_for(pairing_a, Metric.GAP_PP, target, indicator=kwargs.pop("indicator", Indicator.GDP), **kwargs)

    def rank(target: str, **kwargs) -> Target:
        return target_for(
            pairing_a, Metric.RANK, target, indicator=Indicator.GDP, direction=Direction.AT_MOST, **kwargs
        )

    targets = {
        "gap met": gap("0.5"),
        "gap missed": gap("10", indicator=Indicator.FAI),  # 12.5 − 3.0 = 9.5 pp
        "gap of a year without results": gap("0", year=2026),
        "gap of an indicator without figures": gap("0", indicator=Indicator.TAX),
        "rank on the target": rank("4", year=2025),
        "rank missed": rank("2", year=2024, baseline=Decimal(5)),  # 3rd in 2024
    }
    progress = {name: p for name, p in zip(targets, targets_progress(targets.values()), strict=True)}

    def actual_met(name: str) -> tuple:
        return progress[name].actual, progress[name].met

    assert actual_met("gap met") == (result.gap_pp, True)
    assert actual_met("gap missed") == (Decimal("9.5"), False)
    assert progress["gap missed"].progress_pct == Decimal(95)
    assert actual_met("gap of a year without results") == (None, None)
    assert actual_met("gap of an indicator without figures") == (None, None)
    # A rank is met when it is at most the target
    assert actual_met("rank on the target") == (Decimal(4), True)
    assert progress["rank on the target"].progress_pct == Decimal(100)
    assert actual_met("rank missed") == (Decimal(3), False)
    assert progress["rank missed"].progress_pct == Decimal(200) / Decimal(3)


def test_a_rank_above_the_target_is_not_met_and_progress_runs_from_the_baseline(pairing_a, gaps):
    # 台儿庄 is 4th in 2025: a target of 2nd from a baseline of 6th is half way
    target = target_for(
        pairing_a, Metric.RANK, "2", indicator=Indicator.GDP, direction=Direction.AT_MOST, baseline=Decimal(6)
    )

    progress = progress_of(target)

    assert (progress.actual, progress.met, progress.progress_pct, progress.bar_pct) == (Decimal(4), False, 50, 50)


def test_a_negative_gap_is_below_a_zero_target(pairing_b, gaps):
    # 蒙阴 2025: derived growth 6% against the province's 5% → +1 pp; its 2025-09 figure is not a year
    target = target_for(pairing_b, Metric.GAP_PP, "1.5", indicator=Indicator.GDP, baseline=Decimal("-0.5"))

    progress = progress_of(target)

    assert progress.actual == Decimal(1)
    assert progress.met is False
    assert progress.progress_pct == Decimal(75)


# --- progress and met ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "target", "baseline", "direction", "expected"),
    [
        (Decimal(5), Decimal(8), Decimal(2), Direction.AT_LEAST, Decimal(50)),
        (Decimal(3), Decimal(8), None, Direction.AT_LEAST, Decimal("37.5")),
        (Decimal(1), Decimal(8), Decimal(2), Direction.AT_LEAST, Decimal("-100") / Decimal(6)),  # behind the start
        (Decimal(12), Decimal(8), None, Direction.AT_LEAST, Decimal(150)),
        (Decimal(0), Decimal(0), None, Direction.AT_LEAST, Decimal(100)),  # a zero target, reached
        (Decimal("-0.1"), Decimal(0), None, Direction.AT_LEAST, Decimal(0)),  # a zero gap target, missed
        (Decimal(7), Decimal(4), Decimal(10), Direction.AT_MOST, Decimal(50)),
        (Decimal(4), Decimal(4), Decimal(10), Direction.AT_MOST, Decimal(100)),
        (Decimal(5), Decimal(4), None, Direction.AT_MOST, Decimal(0)),
        (Decimal(3), Decimal(4), None, Direction.AT_MOST, Decimal(100)),
        (None, Decimal(4), Decimal(10), Direction.AT_MOST, None),
    ],
)
def test_progress_pct(actual, target, baseline, direction, expected):
    assert progress_pct(actual=actual, target=target, baseline=baseline, direction=direction) == expected


@pytest.mark.parametrize(
    ("actual", "target", "direction", "expected"),
    [
        (Decimal("8"), Decimal("8"), Direction.AT_LEAST, True),
        (Decimal("7.9999"), Decimal("8"), Direction.AT_LEAST, False),
        (Decimal("8.0001"), Decimal("8"), Direction.AT_LEAST, True),
        (Decimal("4"), Decimal("4"), Direction.AT_MOST, True),
        (Decimal("4.0001"), Decimal("4"), Direction.AT_MOST, False),
        (Decimal("3"), Decimal("4"), Direction.AT_MOST, True),
        (None, Decimal("4"), Direction.AT_MOST, None),
        (None, Decimal("4"), Direction.AT_LEAST, None),
    ],
)
def test_is_met(actual, target, direction, expected):
    assert is_met(actual=actual, target=target, direction=direction) is expected


@pytest.mark.parametrize(("pct", "bar"), [(Decimal("150"), 100), (Decimal("-20"), 0), (Decimal("37.9"), 37)])
def test_bar_pct_is_clamped_to_0_100(pct, bar):
    assert TargetProgress(target=Target(), actual=Decimal(1), met=False, progress_pct=pct).bar_pct == bar


def test_every_metric_s_actual_is_a_decimal_or_none(pairing_a, gaps):
    project_build(pairing_a, stage=Stage.STARTED, signed=dt.date(2025, 2, 1), started=dt.date(2025, 5, 1))
    targets = []
    for metric in Metric.values:
        kwargs = {}
        if metric in (Metric.GAP_PP, Metric.RANK):
            kwargs["indicator"] = Indicator.GDP
        if metric == Metric.RANK:
            kwargs["direction"] = Direction.AT_MOST
        if metric == Metric.PROJECTS_OVER:
            kwargs["threshold"] = Decimal("100000000")
        targets.append(target_for(pairing_a, metric, "1", **kwargs))

    progress = targets_progress(targets)

    assert {p.target.metric for p in progress} == set(Metric.values)
    for p in progress:
        assert type(p.actual) is Decimal, p.target.metric
        assert type(p.progress_pct) is Decimal, p.target.metric
        assert not isinstance(p.actual, float)


# --- validation ------------------------------------------------------------------------------------------------------


def errors_of(target: Target) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        target.full_clean()
    return caught.value.message_dict


def test_a_valid_target_passes_full_clean(pairing_a):
    TargetFactory.build(
        program=pairing_a.program,
        county=pairing_a.weak_county,
        metric=Metric.PROJECTS_OVER,
        threshold=Decimal("100000000"),
        target=Decimal(8),
    ).full_clean()
    TargetFactory.build(
        program=pairing_a.program,
        county=pairing_a.weak_county,
        metric=Metric.GAP_PP,
        indicator=Indicator.GDP,
        target=Decimal("-1.5"),
    ).full_clean()  # a gap may be negative


@pytest.mark.parametrize(
    ("fields", "field_in_error"),
    [
        ({"metric": Metric.GAP_PP, "indicator": ""}, "indicator"),
        ({"metric": Metric.RANK, "indicator": "", "direction": Direction.AT_MOST}, "indicator"),
        ({"metric": Metric.ORDERS_AMOUNT, "indicator": Indicator.GDP}, "indicator"),
        ({"metric": Metric.ORDERS_AMOUNT, "threshold": Decimal("100000000")}, "threshold"),
        ({"metric": Metric.GAP_PP, "indicator": Indicator.GDP, "threshold": Decimal("1")}, "threshold"),
        ({"metric": Metric.RANK, "indicator": Indicator.GDP, "direction": Direction.AT_LEAST}, "direction"),
        ({"metric": Metric.ORDERS_AMOUNT, "target": Decimal("-1")}, "target"),
    ],
)
def test_full_clean_names_the_field_to_correct(pairing_a, fields, field_in_error):
    target = TargetFactory.build(program=pairing_a.program, county=pairing_a.weak_county, **fields)

    errors = errors_of(target)

    assert field_in_error in errors
    assert all(message.strip() for message in errors[field_in_error])


@pytest.mark.parametrize("county", ["370211", "370499"])  # the strong side of pairing A; a county without a role
def test_full_clean_refuses_a_county_that_is_not_a_weak_county_of_the_program(pairing_a, county):
    target = TargetFactory.build(program=pairing_a.program, county=CountyFactory(adcode=county))

    assert set(errors_of(target)) == {"county"}


def test_full_clean_refuses_a_county_weak_only_in_another_program(pairing_a):
    other = ProgramFactory(code="sd-elsewhere")
    ProgramCountyFactory(program=other, county=CountyFactory(adcode="370481"))

    target = TargetFactory.build(program=pairing_a.program, county=CountyFactory(adcode="370481"))

    assert "county" in errors_of(target)


def test_target_set_validates_as_the_admin_does(pairing_a):
    with pytest.raises(ValidationError) as caught:
        target_set(
            program=pairing_a.program,
            county=pairing_a.strong_county,
            year=2025,
            metric=Metric.ORDERS_AMOUNT,
            target=Decimal(1),
        )
    assert "county" in caught.value.message_dict
    assert not Target.objects.exists()


def create_refused(constraint: str | None, **fields) -> None:
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Target.objects.create(**fields)
    if constraint is not None:
        assert constraint in str(caught.value)


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"metric": Metric.GAP_PP, "indicator": ""}, "target_indicator_iff_gap_or_rank"),
        ({"metric": Metric.RANK, "indicator": "", "direction": Direction.AT_MOST}, "target_indicator_iff_gap_or_rank"),
        ({"metric": Metric.ORDERS_AMOUNT, "indicator": Indicator.GDP}, "target_indicator_iff_gap_or_rank"),
        ({"metric": Metric.ORDERS_AMOUNT, "threshold": Decimal("1")}, "target_threshold_only_for_project_counts"),
        ({"metric": Metric.PROJECTS_OVER, "threshold": Decimal("-1")}, "target_threshold_only_for_project_counts"),
        (
            {"metric": Metric.RANK, "indicator": Indicator.GDP, "direction": Direction.AT_LEAST},
            "target_rank_is_at_most",
        ),
        ({"metric": Metric.ORDERS_AMOUNT, "target": Decimal("-0.01")}, "target_not_negative_unless_gap"),
        ({"metric": Metric.ORDERS_AMOUNT, "year": 1999}, "target_year_plausible"),
    ],
)
def test_the_database_refuses_what_full_clean_refuses(pairing_a, fields, constraint):
    values = {
        "program": pairing_a.program,
        "county": pairing_a.weak_county,
        "year": 2025,
        "target": Decimal(1),
        **fields,
    }
    create_refused(constraint, **values)
    assert not Target.objects.exists()


def test_the_database_keeps_one_target_per_county_year_metric_and_indicator(pairing_a):
    key = {"program": pairing_a.program, "county": pairing_a.weak_county, "year": 2025}
    Target.objects.create(**key, metric=Metric.ORDERS_AMOUNT, target=Decimal(1))
    Target.objects.create(**key, metric=Metric.GAP_PP, indicator=Indicator.GDP, target=Decimal("-1"))
    Target.objects.create(**key, metric=Metric.GAP_PP, indicator=Indicator.FAI, target=Decimal(1))
    Target.objects.create(**{**key, "year": 2026}, metric=Metric.ORDERS_AMOUNT, target=Decimal(1))

    create_refused(None, **key, metric=Metric.ORDERS_AMOUNT, target=Decimal(2))
    create_refused(None, **key, metric=Metric.GAP_PP, indicator=Indicator.GDP, target=Decimal(2))
    assert Target.objects.count() == 4


# --- the reference file and the demo ---------------------------------------------------------------------------------

REFERENCE_SOURCE_TITLE = (
    "大力发展县域经济 塑强高质量发展新优势——全省县域经济高质量发展暨强县产业帮扶弱县工作会议发言摘编"
)
FIELDS = (
    "pk",
    "program",
    "county",
    "year",
    "metric",
    "indicator",
    "threshold",
    "direction",
    "baseline",
    "target",
    "title",
    "source",
    "is_sample",
    "created_at",
)


def snapshot() -> list[tuple]:
    return list(Target.objects.order_by("pk").values_list(*FIELDS))


def test_load_reference_loads_the_documented_targets_of_taierzhuang_and_a_second_run_changes_nothing():
    call_command("load_reference", stdout=StringIO())

    documented = {t.metric: t for t in Target.objects.select_related("source", "program").filter(is_sample=False)}
    assert set(documented) == {Metric.PROJECTS_OVER, Metric.ORDERS_AMOUNT}
    projects, orders = documented[Metric.PROJECTS_OVER], documented[Metric.ORDERS_AMOUNT]
    for target in documented.values():
        assert (target.program.code, target.county_id, target.year) == ("sd-2024", "370405", 2026)
        assert target.direction == Direction.AT_LEAST
        assert target.source.title == REFERENCE_SOURCE_TITLE
        assert target.source.reference == "fixtures/sources/001_31be4cf4cc61af26.txt"
        assert target.title
    assert (projects.threshold, projects.target) == (Decimal("100000000"), Decimal(8))
    assert (orders.threshold, orders.target) == (None, Decimal("200000000"))
    assert ProgramCounty.objects.filter(program=projects.program, county="370405", role=CountyRole.WEAK).exists()

    before, sources = snapshot(), Source.objects.count()
    call_command("load_reference", stdout=StringIO())
    assert snapshot() == before
    assert Source.objects.count() == sources


def test_demo_targets_seed_is_idempotent_and_leaves_documented_targets_alone(program, pairing_a, pairing_b):
    # Given a documented target of county A and a weak county without a partner yet
    source = Source.objects.create(title="测试文件")
    documented = target_set(
        program=program,
        county=pairing_a.weak_county,
        year=2026,
        metric=Metric.PROJECTS_OVER,
        threshold=Decimal("100000000"),
        target=Decimal(8),
        title="年内落地过亿元项目8个以上",
        source=source,
    )
    ProgramCountyFactory(program=program, county=CountyFactory(adcode="370481"))
    before = snapshot()

    # When the demo's targets are seeded twice
    created = demo_targets_seed(program=program)
    after_first = snapshot()
    created_again = demo_targets_seed(program=program)

    # Then every sample target is made once, for the paired weak counties only, and the documented one is untouched
    assert created == 2 * len(YEARS) * len(SAMPLE_TARGETS) - 1
    assert created_again == 0
    assert snapshot() == after_first
    assert [row for row in after_first if row[0] == documented.pk] == before
    samples = Target.objects.filter(is_sample=True)
    assert samples.count() == created
    assert set(samples.values_list("county", flat=True)) == {"370405", "371328"}
    for target in samples:
        target.full_clean()
        assert "示例" in target.title


def test_seed_demo_reset_deletes_sample_targets_only():
    call_command("load_reference", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    program = Program.objects.get(code="sd-2024")
    documented = list(Target.objects.filter(is_sample=False).order_by("pk").values_list(*FIELDS))
    assert len(documented) == 2
    # An officer's own target (not a sample) and an extra sample target
    mine = target_set(
        program=program,
        county=Target.objects.get(metric=Metric.PROJECTS_OVER, is_sample=False).county,
        year=2025,
        metric=Metric.PROJECTS_STARTED,
        target=Decimal(4),
    )
    extra = Target.objects.filter(is_sample=True).first()
    extra_sample = target_set(
        program=program, county=extra.county, year=2024, metric=Metric.FUNDS_RECEIVED, target=Decimal(1), is_sample=True
    )
    samples_before = set(Target.objects.filter(is_sample=True).values_list("pk", flat=True))
    assert len(samples_before) == 10 * len(YEARS) * len(SAMPLE_TARGETS) - 2 + 1

    call_command("seed_demo", "--reset", stdout=StringIO())

    assert list(Target.objects.filter(is_sample=False).exclude(pk=mine.pk).order_by("pk").values_list(*FIELDS)) == (
        documented
    )
    assert Target.objects.filter(pk=mine.pk, is_sample=False).exists()
    assert not Target.objects.filter(pk=extra_sample.pk).exists()
    samples_after = set(Target.objects.filter(is_sample=True).values_list("pk", flat=True))
    assert not samples_before & samples_after  # every sample was deleted and made again
    assert len(samples_after) == len(samples_before) - 1
