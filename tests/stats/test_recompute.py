"""Worked examples of the gap recomputation (docs/domain.md §3), each small enough to check by hand.

Every test runs on SQLite and on PostgreSQL (DATABASE_URL=postgres://…). The two compute differently: SQLite
applies ``stats.rules`` in Python, PostgreSQL the same rules in SQL (``stats.services._GAPS_SQL``), so each example
checks both; the last section also compares them directly on generated figures.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from pairing.factories import CityFactory, CountyFactory, ProgramCountyFactory, ProgramFactory, ProvinceFactory
from pairing.models import CountyRole, Region
from stats import services
from stats.models import GapResult, StatValue
from stats.selectors import effective_values, gap_history, gap_rows, gaps_summary
from stats.services import gaps_recompute, indicators_import
from stats.tasks import recompute_growth_gaps_task

pytestmark = pytest.mark.django_db

D = Decimal
SHANDONG = "370000"


def county_code(i: int) -> str:
    """Adcodes under 枣庄 (3704xx) for i < 90; further ones under the next city codes."""
    return f"37{4 + i // 90:02d}{10 + i % 90:02d}"


@pytest.fixture
def province(db):
    return ProvinceFactory()


def make_counties(n: int) -> list[str]:
    codes = []
    for i in range(n):
        code = county_code(i)
        city = CityFactory(adcode=code[:4] + "00", name=f"示例市{code[:4]}")
        CountyFactory(adcode=code, name=f"示例县{i}", parent=city)
        codes.append(code)
    return codes


def put(region: str, indicator: str, period: str, value=None, growth=None, release="preliminary", as_of=None):
    return StatValue.objects.create(
        region_id=region,
        indicator=indicator,
        period=period,
        value=None if value is None else D(str(value)),
        growth_pct=None if growth is None else D(str(growth)),
        release=release,
        as_of=as_of,
    )


def result(region: str, indicator: str = "gdp", period: str = "2025") -> GapResult:
    return GapResult.objects.get(region=region, indicator=indicator, period=period)


def csv_file(rows: list[list[object]], header=("region", "indicator", "period", "value", "growth_pct", "source")):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(buffer.getvalue().encode())


# --- growth and gap -----------------------------------------------------------------------------------------------


def test_reported_growth_wins_and_derived_growth_is_flagged(province):
    a, b, c = make_counties(3)
    put(SHANDONG, "gdp", "2025", growth="5.0")
    put(a, "gdp", "2024", 100)
    put(a, "gdp", "2025", 110, growth="5.4")  # comparable prices: 5.4%, although the levels say 10%
    put(b, "gdp", "2024", 200)
    put(b, "gdp", "2025", 210)  # no rate: 210/200 − 1 = 5%
    put(c, "gdp", "2025", 90)  # no rate and no previous level: no growth, but still ranked

    outcome = gaps_recompute()

    assert (outcome.rows, outcome.written, outcome.deleted) == (5, 5, 0)
    first = result(a)
    assert (first.growth_pct, first.growth_derived, first.province_growth_pct, first.gap_pp) == (
        D("5.4"),
        False,
        D("5.0"),
        D("0.4"),
    )
    assert (first.level, first.previous_level) == (D("110"), D("100"))
    second = result(b)
    assert (second.growth_pct, second.growth_derived, second.gap_pp) == (D("5"), True, D("0"))
    third = result(c)
    assert (third.growth_pct, third.gap_pp, third.growth_derived, third.rank) == (None, None, False, 3)


def test_gap_uses_the_provinces_own_row_not_the_sum_of_its_counties(province):
    a, b = make_counties(2)
    # The counties add up to 300 → 309 (+3%); the province's own levels say 1,000 → 1,100 (+10%).
    put(SHANDONG, "gpbr", "2024", 1000)
    put(SHANDONG, "gpbr", "2025", 1100)
    put(a, "gpbr", "2024", 100)
    put(a, "gpbr", "2025", 103)
    put(b, "gpbr", "2024", 200)
    put(b, "gpbr", "2025", 206)
    # For GDP the province reports 6% while its own levels would say 10%: the reported rate wins.
    put(SHANDONG, "gdp", "2024", 1000)
    put(SHANDONG, "gdp", "2025", 1100, growth="6")
    put(a, "gdp", "2025", 50, growth="7.5")

    gaps_recompute()

    assert result(a, "gpbr").province_growth_pct == D("10")
    assert result(a, "gpbr").gap_pp == D("-7")
    assert result(b, "gpbr").gap_pp == D("-7")
    assert (result(a).province_growth_pct, result(a).gap_pp) == (D("6"), D("1.5"))
    # The province is the reference, never a ranked unit of its own.
    assert not GapResult.objects.filter(region=SHANDONG).exists()
    assert result(a, "gpbr").ranked_count == 2


def test_no_province_row_means_no_gap(province):
    (a,) = make_counties(1)
    put(a, "gdp", "2025", 10, growth="5")
    gaps_recompute()
    assert (result(a).growth_pct, result(a).province_growth_pct, result(a).gap_pp) == (D("5"), None, None)


def test_year_to_date_month_compares_with_the_same_month_a_year_earlier(province):
    (a,) = make_counties(1)
    put(a, "retail", "2024-09", 80)
    put(a, "retail", "2024-12", 1)  # another month: not the base of 2025-09
    put(a, "retail", "2025-09", 84)
    put(SHANDONG, "retail", "2025-09", growth="4.2")
    gaps_recompute()
    month = result(a, "retail", "2025-09")
    assert (month.previous_level, month.growth_pct, month.gap_pp) == (D("80"), D("5"), D("0.8"))


def test_full_precision_is_stored(province):
    (a,) = make_counties(1)
    put(a, "gdp", "2024", 3)
    put(a, "gdp", "2025", 4)
    put(SHANDONG, "gdp", "2025", growth="5")
    gaps_recompute()
    assert result(a).growth_pct == D("33.333333333333")
    assert result(a).gap_pp == D("28.333333333333")


def test_a_tie_at_the_stored_place_rounds_to_even(province):
    # rules.stored keeps 12 places and rounds ties to even (decimal's default), not away from zero.
    a, b, c = make_counties(3)
    put(a, "gdp", "2024", "2000000000000.00")
    put(a, "gdp", "2025", "2000000000000.01")  # +0.0000000000005%: half a unit of the 12th place
    put(b, "gdp", "2024", "2000000000000.00")
    put(b, "gdp", "2025", "1999999999999.99")  # −0.0000000000005%
    put(c, "gdp", "2025", 5, growth="1")
    put(SHANDONG, "gdp", "2024", "400000000000.00")
    put(SHANDONG, "gdp", "2025", "399999999999.99")  # −0.0000000000025%

    gaps_recompute()

    assert (result(a).growth_pct, result(a).growth_derived) == (D("0"), True)
    assert result(b).growth_pct == D("0")
    assert result(c).province_growth_pct == D("-0.000000000002")
    # 1 − (−0.0000000000025) = 1.0000000000025: the gap is rounded from the full-precision growths.
    assert result(c).gap_pp == D("1.000000000002")
    # 0.0000000000005 + 0.0000000000025, exactly; from the stored (rounded) growths it would be 0.000000000002.
    assert result(a).gap_pp == D("0.000000000003")


def test_no_growth_is_derived_from_a_previous_level_of_zero(province):
    (a,) = make_counties(1)
    put(a, "trade", "2024", 0)
    put(a, "trade", "2025", 10)
    put(SHANDONG, "trade", "2025", growth="3")
    gaps_recompute()
    row = result(a, "trade")
    assert (row.previous_level, row.growth_pct, row.growth_derived, row.gap_pp) == (D("0"), None, False, None)
    assert (row.previous_rank, row.rank, row.rank_change) == (1, 1, 0)


def test_the_previous_figure_is_exactly_a_year_earlier(province):
    a, b = make_counties(2)
    # a has no 2024 figure: 2023 is not the base of 2025, for the annual figure nor for January–September.
    for period, level in (("2023", 50), ("2025", 60), ("2023-09", 40), ("2025-09", 45)):
        put(a, "retail", period, level)
    for period, level in (("2023", 70), ("2024", 80), ("2025", 90), ("2024-09", 55), ("2025-09", 66)):
        put(b, "retail", period, level)
    put(SHANDONG, "retail", "2025", 1000)
    put(SHANDONG, "retail", "2023", 800)  # no 2024 either: no provincial growth for 2025, so no gap

    gaps_recompute()

    for period in ("2025", "2025-09"):
        row = result(a, "retail", period)
        assert (row.previous_level, row.growth_pct, row.previous_rank, row.rank_change) == (None, None, None, None)
        assert row.was_in_bottom_ten is False
    assert (result(b, "retail").previous_level, result(b, "retail").growth_pct) == (D("80"), D("12.5"))
    assert (result(b, "retail", "2025-09").growth_pct, result(b, "retail", "2025-09").rank_change) == (D("20"), 0)
    assert (result(b, "retail").province_growth_pct, result(b, "retail").gap_pp) == (None, None)


def test_a_rate_only_figure_last_year_gives_no_previous_rank(province):
    a, b = make_counties(2)
    put(a, "fai", "2024", growth="8")  # a rate, no level: not ranked in 2024
    put(a, "fai", "2025", 30, growth="9")
    put(b, "fai", "2024", 20)
    put(b, "fai", "2025", 25)
    put(SHANDONG, "fai", "2025", growth="3.0")

    gaps_recompute()

    row = result(a, "fai")
    assert (row.previous_level, row.growth_pct, row.growth_derived, row.gap_pp) == (None, D("9"), False, D("6"))
    assert (row.previous_rank, row.rank, row.rank_change, row.was_in_bottom_ten) == (None, 1, None, False)
    assert (result(b, "fai").previous_rank, result(b, "fai").rank_change) == (1, -1)
    assert (result(a, "fai", "2024").rank, result(a, "fai", "2024").ranked_count) == (None, 0)


# --- group growth of a program's weak counties --------------------------------------------------------------------


@pytest.fixture
def weak_program(province):
    program = ProgramFactory(code="weak-three")
    codes = make_counties(4)
    for code in codes[:3]:
        ProgramCountyFactory(program=program, county_id=code, role=CountyRole.WEAK)
    ProgramCountyFactory(program=program, county_id=codes[3], role=CountyRole.STRONG)
    return program, codes


def test_rate_only_indicator_is_weighted_through_current_over_one_plus_growth(weak_program):
    program, (a, b, c, strong) = weak_program
    put(SHANDONG, "fai", "2025", growth="3.0")
    put(a, "fai", "2025", 12, growth="20")  # weight 12 / 1.2 = 10
    put(b, "fai", "2025", "10.92", growth="9.2")  # weight 10.92 / 1.092 = 10
    put(c, "fai", "2025", 33, growth="10")  # weight 30
    put(strong, "fai", "2025", 1000, growth="90")  # not a weak county: not in the group

    gaps_recompute()
    fai = gaps_summary(program=program, period="2025")["indicators"]["fai"]

    # (10·20 + 10·9.2 + 30·10) / 50 = 11.84%; an unweighted mean would say 13.07%.
    assert abs(fai.group_growth_pct - D("11.84")) < D("1e-9")
    assert fai.province_growth_pct == D("3.0")
    assert abs(fai.gap_pp - D("8.84")) < D("1e-9")
    assert (fai.members_covered, fai.members_total) == (3, 3)
    assert all(result(code, "fai").previous_level is None for code in (a, b, c))


def test_levels_only_group_growth_is_sum_current_over_sum_previous(weak_program):
    program, (a, b, c, _strong) = weak_program
    put(SHANDONG, "gpbr", "2025", growth="2.5")
    for code, before, now in ((a, 10, "10.53"), (b, 10, "10.73"), (c, 20, 21)):
        put(code, "gpbr", "2024", before)
        put(code, "gpbr", "2025", now)

    gaps_recompute()
    gpbr = gaps_summary(program=program, period="2025")["indicators"]["gpbr"]

    # (10.53 + 10.73 + 21) / 40 − 1 = 5.65%
    assert abs(gpbr.group_growth_pct - D("5.65")) < D("1e-9")
    assert abs(gpbr.gap_pp - D("3.15")) < D("1e-9")


def test_member_without_weight_is_excluded_and_counted(weak_program):
    program, (a, b, c, _strong) = weak_program
    put(SHANDONG, "tax", "2025", growth="1.5")
    for code in (a, b):
        put(code, "tax", "2024", 5)
        put(code, "tax", "2025", growth="7.3")
    put(c, "tax", "2025", growth="50")  # a rate and no level at all: cannot be weighted

    gaps_recompute()
    tax = gaps_summary(program=program, period="2025")["indicators"]["tax"]

    assert tax.group_growth_pct == D("7.3")
    assert abs(tax.gap_pp - D("5.8")) < D("1e-9")
    assert (tax.members_covered, tax.members_total) == (2, 3)
    assert result(c, "tax").growth_pct == D("50")


def test_member_with_no_result_counts_in_the_total(weak_program):
    program, (a, _b, _c, _strong) = weak_program
    put(SHANDONG, "trade", "2025", growth="1")
    put(a, "trade", "2024", 10)
    put(a, "trade", "2025", 11)
    gaps_recompute()
    trade = gaps_summary(program=program, period="2025")["indicators"]["trade"]
    assert (trade.group_growth_pct, trade.members_covered, trade.members_total) == (D("10"), 1, 3)


# --- ranks --------------------------------------------------------------------------------------------------------


def test_county_leaves_the_bottom_ten(province):
    codes = make_counties(12)
    # 2024: 100, 110, …, 210 → the first county ranks 12th (bottom ten = ranks 3–12).
    for i, code in enumerate(codes):
        put(code, "gdp", "2024", 100 + 10 * i)
        put(code, "gdp", "2025", 500 if i == 0 else 105 + 10 * i)

    gaps_recompute()

    riser = result(codes[0])
    assert (riser.previous_rank, riser.rank, riser.rank_change, riser.ranked_count) == (12, 1, 11, 12)
    assert (riser.was_in_bottom_ten, riser.in_bottom_ten, riser.exited_bottom_ten) == (True, False, True)
    # The former second is pushed down to third: into the bottom ten.
    pushed = result(codes[10])
    assert (pushed.previous_rank, pushed.rank, pushed.rank_change) == (2, 3, -1)
    assert (pushed.was_in_bottom_ten, pushed.in_bottom_ten, pushed.exited_bottom_ten) == (False, True, False)
    top = result(codes[11])
    assert (top.rank, top.in_bottom_ten, top.was_in_bottom_ten) == (2, False, False)
    assert GapResult.objects.filter(period="2025", in_bottom_ten=True).count() == 10
    assert GapResult.objects.filter(period="2024", in_bottom_ten=True).count() == 10
    first_year = result(codes[0], period="2024")
    assert (first_year.previous_rank, first_year.rank_change, first_year.was_in_bottom_ten) == (None, None, False)


def test_ranks_with_ties_follow_rank_semantics(province):
    a, b, c, d, e = make_counties(5)
    for code, level in ((a, 300), (b, 200), (c, 200), (d, 100)):
        put(code, "gdp", "2025", level)
    put(e, "gdp", "2025", growth="8")  # a rate without a level is not ranked

    gaps_recompute()

    assert [result(code).rank for code in (a, b, c, d)] == [1, 2, 2, 4]
    assert {result(code).ranked_count for code in (a, b, c, d)} == {4}
    assert (result(e).rank, result(e).ranked_count, result(e).in_bottom_ten) == (None, 0, False)


def test_ranks_are_within_each_province(province):
    (a,) = make_counties(1)
    henan = ProvinceFactory(adcode="410000", name="河南省")
    zhengzhou = CityFactory(adcode="410100", name="郑州市", parent=henan)
    CountyFactory(adcode="410102", name="中原区", parent=zhengzhou)
    put(a, "gdp", "2025", 10)
    put("410102", "gdp", "2025", 99)
    put("410000", "gdp", "2025", growth="4")
    put(SHANDONG, "gdp", "2025", growth="5")

    gaps_recompute()

    assert (result(a).rank, result(a).ranked_count, result(a).province_id) == (1, 1, SHANDONG)
    assert (result("410102").rank, result("410102").province_id) == (1, "410000")
    assert result("410102").province_growth_pct == D("4")


def test_provinces_limit_what_is_written(province):
    (a,) = make_counties(1)
    henan = ProvinceFactory(adcode="410000", name="河南省")
    CountyFactory(adcode="410102", name="中原区", parent=CityFactory(adcode="410100", name="郑州市", parent=henan))
    put(a, "gdp", "2025", 10)
    put("410102", "gdp", "2025", 99)
    outcome = gaps_recompute(provinces=["410000"])
    assert outcome.written == 1
    assert list(GapResult.objects.values_list("region_id", flat=True)) == ["410102"]


# --- releases -----------------------------------------------------------------------------------------------------


def test_revised_release_supersedes_the_preliminary_figure_and_changes_a_rank(province):
    a, b, c = make_counties(3)
    indicators_import(
        stream=csv_file(
            [
                [SHANDONG, "gdp", "2025", "", "5", "初步核算"],
                [a, "gdp", "2024", 100, "", "2024年公报"],
                [b, "gdp", "2024", 200, "", "2024年公报"],
                [c, "gdp", "2024", 300, "", "2024年公报"],
                [a, "gdp", "2025", 105, "", "初步核算"],
                [b, "gdp", "2025", 210, "", "初步核算"],
                [c, "gdp", "2025", 315, "", "初步核算"],
            ]
        ),
        filename="preliminary.csv",
    )
    gaps_recompute()
    before = result(a)
    assert (before.rank, before.rank_change, before.release, before.growth_pct) == (3, 0, "preliminary", D("5"))

    indicators_import(
        stream=csv_file(
            [[a, "gdp", "2025", 400, "", "修订公报", "revised", "2026-09-30"]],
            header=("region", "indicator", "period", "value", "growth_pct", "source", "release", "as_of"),
        ),
        filename="revised.csv",
    )
    outcome = gaps_recompute()

    after = result(a)
    assert (after.rank, after.rank_change, after.level, after.growth_pct) == (1, 2, D("400"), D("300"))
    assert (after.release, after.release_as_of) == ("revised", dt.date(2026, 9, 30))
    assert (result(b).rank, result(c).rank) == (3, 2)
    assert outcome.written == 3  # a's figures, b's and c's ranks
    assert set(StatValue.objects.filter(region=a, period="2025").values_list("release", "value")) == {
        ("preliminary", D("105")),
        ("revised", D("400")),
    }


def test_among_preliminary_figures_the_latest_as_of_wins(province):
    (a,) = make_counties(1)
    put(a, "gdp", "2025", 10, as_of=dt.date(2026, 1, 20), release="preliminary")
    gaps_recompute()
    StatValue.objects.filter(region=a).update(value=11, as_of=dt.date(2026, 2, 1))
    gaps_recompute()
    assert (result(a).level, result(a).release_as_of) == (D("11"), dt.date(2026, 2, 1))


def test_revised_wins_even_with_an_older_as_of(province):
    (a,) = make_counties(1)
    put(a, "gdp", "2025", 12, release="revised", as_of=dt.date(2026, 1, 1))
    put(a, "gdp", "2025", 10, release="preliminary", as_of=dt.date(2026, 6, 1))
    gaps_recompute()
    assert (result(a).level, result(a).release) == (D("12"), "revised")


# --- what a run writes --------------------------------------------------------------------------------------------


@pytest.fixture
def two_years(province):
    codes = make_counties(3)
    put(SHANDONG, "gdp", "2025", growth="5")
    for i, code in enumerate(codes):
        put(code, "gdp", "2024", 100 * (i + 1))
        put(code, "gdp", "2025", 100 * (3 - i))
    return codes


def test_period_option_limits_what_is_written(two_years):
    a, _b, c = two_years
    stdout = io.StringIO()
    call_command("recompute_gaps", "--period", "2025", stdout=stdout)
    assert "3 county results; 3 written, 0 removed" in stdout.getvalue()
    assert set(GapResult.objects.values_list("period", flat=True)) == {"2025"}
    # The previous year is still read: growth and rank change need it.
    assert (result(a).previous_level, result(a).growth_pct, result(a).rank_change) == (D("100"), D("200"), 2)

    gaps_recompute()
    GapResult.objects.filter(region=c).update(rank=None)
    outcome = gaps_recompute(periods=["2025"])
    assert (outcome.rows, outcome.written, outcome.deleted) == (3, 1, 0)
    assert result(c).rank == 3
    assert result(c, period="2024").rank is None  # outside the period asked for: left alone


def test_recompute_command_refuses_a_bad_period(two_years):
    with pytest.raises(CommandError, match="Not a period: 2025-13"):
        call_command("recompute_gaps", "--period", "2025-13")


def test_recompute_twice_writes_nothing(two_years):
    first = gaps_recompute()
    assert (first.rows, first.written, first.deleted) == (6, 6, 0)
    before = list(GapResult.objects.order_by("pk").values())
    second = gaps_recompute()
    assert (second.rows, second.written, second.deleted) == (6, 0, 0)
    assert list(GapResult.objects.order_by("pk").values()) == before


def test_results_of_withdrawn_figures_are_deleted(two_years):
    a, _b, _c = two_years
    gaps_recompute()
    StatValue.objects.filter(region=a, period="2025").delete()
    outcome = gaps_recompute()
    assert (outcome.rows, outcome.written, outcome.deleted) == (5, 2, 1)
    assert not GapResult.objects.filter(region=a, period="2025").exists()


def test_a_withdrawn_and_a_new_figure_in_the_same_run(two_years):
    a, b, _c = two_years
    gaps_recompute()
    StatValue.objects.filter(region=a, period="2025").delete()
    put(b, "gdp", "2026", 500)
    outcome = gaps_recompute()
    # As many results as before: one gone, one new, and a's withdrawal moves the others' ranks.
    assert (outcome.rows, outcome.deleted) == (6, 1)
    assert not GapResult.objects.filter(region=a, period="2025").exists()
    assert (result(b).rank, result(b).rank_change) == (1, 1)  # a is gone from 2025
    assert (result(b, period="2026").rank, result(b, period="2026").previous_rank) == (1, 1)


def test_a_scoped_run_deletes_only_within_its_scope(two_years):
    a, _b, _c = two_years
    gaps_recompute()
    StatValue.objects.filter(region=a, period="2025").delete()
    outcome = gaps_recompute(periods=["2024"])
    assert outcome.deleted == 0
    assert GapResult.objects.filter(region=a, period="2025").exists()
    outcome = gaps_recompute(periods=["2025"], provinces=[SHANDONG])
    assert outcome.deleted == 1
    assert not GapResult.objects.filter(region=a, period="2025").exists()


def test_history_reads_back_oldest_first(two_years):
    a, _b, _c = two_years
    gaps_recompute()
    history = gap_history(region=Region.objects.get(pk=a), indicator="gdp")
    assert [(r.period, r.rank) for r in history] == [("2024", 3), ("2025", 1)]


def test_gap_rows_cover_every_county_ordered_by_rank(two_years):
    a, b, c = two_years
    gaps_recompute()
    program = ProgramFactory(code="rows")
    rows = gap_rows(program=program, period="2025", indicator="gdp")
    assert [row.region.adcode for row in rows] == [a, b, c]


def _check_pending_constraints() -> None:
    """Run the foreign-key checks this test's transaction deferred to its commit (the regions, figures and programs
    it created): a recompute may drop and put back the results' foreign keys only without any pending."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def recompute_statement_count(n_counties: int, *, rows_per_county: int) -> int:
    """Statements of a first run (everything is written) over ``n_counties`` with 1 or 3 results each."""
    GapResult.objects.all().delete()
    StatValue.objects.all().delete()
    codes = make_counties(n_counties)
    put(SHANDONG, "gdp", "2025", growth="5")
    put(SHANDONG, "fai", "2025", growth="3")
    for i, code in enumerate(codes):
        put(code, "gdp", "2025", 110 + 2 * i, growth=i % 9)
        if rows_per_county == 3:
            put(code, "gdp", "2024", 100 + i)
            put(code, "fai", "2025", 50 + i, growth=i % 7)
    if connection.vendor == "postgresql":
        _check_pending_constraints()  # so that the run loads the empty table, as a first run does in production
    with CaptureQueriesContext(connection) as captured:
        outcome = gaps_recompute()
    assert outcome.written == rows_per_county * n_counties
    return len(captured.captured_queries)


def test_statement_count_does_not_grow_with_the_counties(province):
    # Django batches SQLite's bulk INSERT at 999 // 18 columns = 55 rows, so stay under that here.
    small = recompute_statement_count(5, rows_per_county=1)
    large = recompute_statement_count(50, rows_per_county=1)
    assert small == large
    assert small <= 13


def test_statement_count_is_fixed_on_postgresql(require_postgres):
    ProvinceFactory()
    # Computed in SQL into a temporary table, then loaded into the empty table (the constraints and indexes dropped,
    # the rows inserted, each put back): 600 results cost what 15 do.
    small = recompute_statement_count(5, rows_per_county=3)
    large = recompute_statement_count(200, rows_per_county=3)
    assert small == large
    assert small <= 13


def _schema_of_results() -> list[tuple]:
    """The results table's constraints and indexes as the database defines them."""
    table = GapResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "UNION ALL SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = %s::regclass ORDER BY 1, 2",
            [table, table],
        )
        return cursor.fetchall()


def test_the_first_run_loads_the_table_and_keeps_its_indexes_and_constraints(require_postgres, two_years):
    a, _b, _c = two_years
    _check_pending_constraints()
    schema = _schema_of_results()
    assert any("FOREIGN KEY (region_id)" in definition for _name, definition in schema)

    with CaptureQueriesContext(connection) as captured:
        outcome = gaps_recompute()

    # Loaded, not upserted; the indexes and constraints dropped for the load are back, as they were.
    assert (outcome.rows, outcome.written, outcome.deleted) == (6, 6, 0)
    assert not any("ON CONFLICT" in query["sql"] for query in captured.captured_queries)
    assert any(query["sql"].startswith("DROP INDEX") for query in captured.captured_queries)
    assert _schema_of_results() == schema
    assert (result(a).growth_pct, result(a).rank, result(a).rank_change) == (D("200"), 1, 2)
    # A second run compares instead, and finds nothing to write.
    assert gaps_recompute() == services.RecomputeResult(rows=6, written=0, deleted=0)
    # The constraints put back hold: a second result for the same county and period, a county not in the registry.
    for region, period in ((a, "2025"), ("379999", "2030")):
        with pytest.raises(IntegrityError), transaction.atomic():
            GapResult.objects.create(province_id=SHANDONG, region_id=region, indicator="gdp", period=period)
            _check_pending_constraints()


def test_a_first_run_with_checks_of_the_regions_pending_falls_back_to_the_upsert(require_postgres, two_years):
    # The regions were created in this transaction and their checks wait for its commit: PostgreSQL will not drop
    # a foreign key to that table then, so the run upserts as on a table with rows, with the same results.
    schema = _schema_of_results()
    with CaptureQueriesContext(connection) as captured:
        outcome = gaps_recompute()
    assert (outcome.rows, outcome.written, outcome.deleted) == (6, 6, 0)
    assert any("ON CONFLICT" in query["sql"] for query in captured.captured_queries)
    assert not any(query["sql"].startswith("DROP INDEX") for query in captured.captured_queries)
    assert _schema_of_results() == schema
    assert (result(two_years[0]).growth_pct, result(two_years[0]).rank) == (D("200"), 1)


def test_a_province_run_on_an_empty_table_does_not_load_it(require_postgres, two_years):
    # Other provinces' runs may be writing alongside (they share the table), so only the upsert is safe.
    with CaptureQueriesContext(connection) as captured:
        outcome = gaps_recompute(provinces=[SHANDONG])
    assert (outcome.rows, outcome.written) == (6, 6)
    assert not any(query["sql"].startswith("DROP INDEX") for query in captured.captured_queries)


# --- the task ------------------------------------------------------------------------------------------------------


def test_task_runs_and_reports(two_years):
    outcome = recompute_growth_gaps_task.delay(periods=["2025"]).get()
    assert outcome == {"rows": 3, "written": 3, "deleted": 0}
    assert recompute_growth_gaps_task.delay().get() == {"rows": 6, "written": 3, "deleted": 0}


def test_import_enqueues_the_recompute_on_commit(province, django_capture_on_commit_callbacks, monkeypatch):
    a, b = make_counties(2)
    rows = [[a, "gdp", "2024", 100, "", "s"], [a, "gdp", "2025", 120, "", "s"], [b, "gdp", "2025", 90, "", "s"]]
    enqueued = []
    original = recompute_growth_gaps_task.delay

    def delay(**kwargs):
        enqueued.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(recompute_growth_gaps_task, "delay", delay)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        indicators_import(stream=csv_file(rows), filename="s.csv")
    assert enqueued == []  # nothing before the commit
    assert not GapResult.objects.exists()

    for callback in callbacks:
        callback()

    # The imported periods and the next ones (a figure is also next year's base), in the files' provinces.
    assert enqueued == [{"periods": ["2024", "2025", "2026"], "provinces": [SHANDONG]}]
    assert (result(a).growth_pct, result(a).rank, result(b).rank) == (D("20"), 1, 2)


def test_import_runs_the_task_eagerly_after_commit(province, django_capture_on_commit_callbacks):
    (a,) = make_counties(1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        indicators_import(stream=csv_file([[a, "gdp", "2025", 120, "7", "s"]]), filename="s.csv")
    assert len(callbacks) == 1
    assert result(a).growth_pct == D("7")


# --- the two paths agree ------------------------------------------------------------------------------------------


def generated_figures(seed: int) -> None:
    """Two provinces of 30 counties: levels with few digits (exact growth rates, tied ranks, levels of zero),
    reported rates with and without levels, missing years, year-to-date months, revisions, and a province row that
    reports, derives or is missing."""
    rng = random.Random(seed)
    henan = ProvinceFactory(adcode="410000", name="河南省")
    zhengzhou = CityFactory(adcode="410100", name="郑州市", parent=henan)
    counties = make_counties(30)
    for i in range(30):
        counties.append(CountyFactory(adcode=f"4101{10 + i:02d}", name=f"河南示例县{i}", parent=zhengzhou).adcode)
    periods = ["2022", "2023", "2024", "2025", "2024-09", "2025-09"]
    for code in counties:
        for indicator in ("gdp", "gpbr", "fai"):
            for period in periods:
                if rng.random() < 0.1:
                    continue  # a missing figure
                level = rng.choice([None, 0, *range(80, 130, 5)]) if indicator == "fai" else rng.randrange(0, 40) * 5
                growth = rng.choice([None, "4.5", "-2", "0", "7.25"]) if indicator != "gpbr" else None
                if level is None and growth is None:
                    growth = "3.3"
                put(code, indicator, period, level, growth=growth, as_of=dt.date(int(period[:4]) + 1, 1, 20))
                if rng.random() < 0.1:
                    put(
                        code,
                        indicator,
                        period,
                        rng.randrange(1, 40) * 5,
                        growth=growth,
                        release="revised",
                        as_of=dt.date(int(period[:4]) + 1, 9, 30),
                    )
    for period in periods:
        put(SHANDONG, "gdp", period, 10_000 + len(period), growth="5.1")
        put(SHANDONG, "gpbr", period, rng.randrange(900, 1100))
        put("410000", "gdp", period, rng.randrange(900, 1100))


@pytest.mark.parametrize("loaded", [True, False], ids=["loaded", "upserted"])
def test_sql_and_python_give_the_same_results(require_postgres, loaded):
    """PostgreSQL computes in SQL; here the Python rules run on the same figures and every field must be equal,
    whether the first run loads the empty table or upserts into it."""
    ProvinceFactory()
    generated_figures(seed=20250101)
    if loaded:
        _check_pending_constraints()

    with CaptureQueriesContext(connection) as captured:
        outcome = gaps_recompute()
    assert any(query["sql"].startswith("DROP INDEX") for query in captured.captured_queries) == loaded

    expected = {
        (row.region_id, row.indicator, row.period): row for row in services._compute(effective_values(), periods=None)
    }
    stored = {(row.region_id, row.indicator, row.period): row for row in GapResult.objects.all()}
    assert outcome.rows == len(expected) == len(stored) > 900
    assert stored.keys() == expected.keys()
    differences = [
        (key, name, getattr(stored[key], name), getattr(expected[key], name))
        for key in expected
        for name in services._FIELDS
        if getattr(stored[key], name) != getattr(expected[key], name)
    ]
    assert differences == []
    # The figures exercise what they are meant to.
    rows = list(stored.values())
    assert any(r.growth_derived for r in rows) and any(r.growth_pct is not None and not r.growth_derived for r in rows)
    assert any(r.previous_level == 0 for r in rows) and any(r.rank_change is None and r.rank for r in rows)
    assert any(r.release == "revised" for r in rows) and any(r.gap_pp is None for r in rows)
    ranks = [r.rank for r in rows if (r.region_id[:2], r.indicator, r.period) == ("37", "gpbr", "2025") and r.rank]
    assert len(set(ranks)) < len(ranks)  # tied ranks


def test_sql_and_python_agree_on_a_scoped_run(require_postgres):
    ProvinceFactory()
    generated_figures(seed=7)
    outcome = gaps_recompute(periods=["2025-09", "2023"], provinces=["410000"])
    expected = {
        (row.region_id, row.indicator, row.period): [getattr(row, name) for name in services._FIELDS]
        for row in services._compute(
            effective_values(periods=["2022", "2023", "2024-09", "2025-09"], provinces=["410000"]),
            periods={"2025-09", "2023"},
        )
    }
    stored = {
        (row.region_id, row.indicator, row.period): [getattr(row, name) for name in services._FIELDS]
        for row in GapResult.objects.all()
    }
    assert outcome.rows == len(stored) > 100
    assert stored == expected
