"""From an empty database: import_pairings + import_indicators + recompute_gaps reproduce the hand-checked case in
``tests/stats/headline.py`` to 0.01 pp."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from pairing.models import Pairing, Program, Region
from stats.models import GapResult
from stats.selectors import gaps_summary

from . import headline

pytestmark = pytest.mark.django_db


def close(value: Decimal | None, expected: str, tolerance: str = "0.01") -> bool:
    return value is not None and abs(Decimal(value) - Decimal(expected)) <= Decimal(tolerance)


@pytest.fixture
def imported(tmp_path):
    call_command("load_regions", stdout=None)
    call_command("import_pairings", str(headline.write_pairings(tmp_path / "pairings.csv")))
    counties = list(Region.objects.counties().filter(adcode__startswith="37").values_list("adcode", flat=True))
    call_command("import_indicators", str(headline.write_indicators(tmp_path / "stats.csv", counties)))
    call_command("recompute_gaps")
    return Program.objects.get(code=headline.PROGRAM)


def test_pairings_import_creates_program_in_its_province(imported):
    assert imported.province_id == "370000"
    assert Pairing.objects.filter(program=imported).count() == 10


def test_group_growth_and_gaps_match_the_headline(imported):
    summary = gaps_summary(program=imported, period="2025")
    for indicator, gap in headline.EXPECTED_GAPS.items():
        figures = summary["indicators"][indicator]
        assert close(figures.gap_pp, gap), (indicator, figures)
        assert close(figures.group_growth_pct, headline.EXPECTED_GROUP[indicator]), (indicator, figures)
        assert figures.province_growth_pct == Decimal(headline.PROVINCE_GROWTH[indicator])
    assert summary["indicators"]["tax"].members_covered == 9
    assert summary["indicators"]["gdp"].members_covered == 10


def test_rank_moves_and_bottom_ten_exits(imported):
    summary = gaps_summary(program=imported, period="2025")
    assert summary["moved_up"] == sorted([headline.GAOQING, headline.MENGYIN, headline.S2, headline.S3])
    assert summary["exited_bottom_ten"] == sorted([headline.GAOQING, headline.MENGYIN])
    for code, (before, after) in headline.EXPECTED_RANKS.items():
        result = GapResult.objects.get(region=code, indicator="gdp", period="2025")
        assert (result.previous_rank, result.rank, result.rank_change) == (before, after, before - after)
        assert result.ranked_count == 136


def test_province_row_is_its_own_not_the_sum_of_counties(imported):
    # The province reports 5.0% while its counties' levels would imply something else entirely.
    result = GapResult.objects.get(region=headline.TAIERZHUANG, indicator="gdp", period="2025")
    assert result.province_growth_pct == Decimal("5.0")
    assert close(result.gap_pp, "0.581")
    assert result.growth_derived is False


def test_recompute_twice_writes_nothing(imported):
    from stats.services import gaps_recompute

    before = list(GapResult.objects.order_by("pk").values())
    result = gaps_recompute()
    assert result.written == 0 and result.deleted == 0
    assert list(GapResult.objects.order_by("pk").values()) == before
