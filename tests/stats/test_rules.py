"""The growth-gap rules of docs/domain.md §3, as pure functions: no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stats import rules
from stats.rules import Member

D = Decimal


# --- growth of one unit -------------------------------------------------------------------------------------------


def test_reported_growth_wins_over_the_levels():
    # GDP at comparable prices: 5.4% reported although the nominal levels say 10%.
    growth, derived = rules.growth_pct(reported=D("5.4"), level=D("110"), previous_level=D("100"))
    assert (growth, derived) == (D("5.4"), False)


def test_reported_zero_growth_still_wins():
    # 0 is a reported rate, not a missing one.
    growth, derived = rules.growth_pct(reported=D("0"), level=D("110"), previous_level=D("100"))
    assert (growth, derived) == (D("0"), False)


def test_growth_is_derived_from_the_levels_without_a_rate():
    growth, derived = rules.growth_pct(reported=None, level=D("105.3"), previous_level=D("100"))
    assert derived is True
    assert growth == D("5.3")


def test_derived_growth_keeps_full_precision():
    growth, _derived = rules.growth_pct(reported=None, level=D("1"), previous_level=D("3"))
    # (1/3 − 1)·100 = −66.666…; 40 significant digits, not a float, not rounded to display.
    assert str(growth).startswith("-66.66666666666666666666666666")
    assert len(str(growth).replace("-", "").replace(".", "")) >= 38


@pytest.mark.parametrize(
    ("level", "previous_level"),
    [(None, D("100")), (D("100"), None), (None, None), (D("100"), D("0"))],
)
def test_no_growth_without_a_rate_and_two_usable_levels(level, previous_level):
    assert rules.growth_pct(reported=None, level=level, previous_level=previous_level) == (None, False)


# --- gap ----------------------------------------------------------------------------------------------------------


def test_gap_is_county_growth_minus_province_growth():
    assert rules.gap_pp(D("7.3"), D("1.5")) == D("5.8")
    assert rules.gap_pp(D("2.5"), D("5.0")) == D("-2.5")


@pytest.mark.parametrize(("county", "province"), [(None, D("5")), (D("5"), None), (None, None)])
def test_no_gap_when_either_growth_is_missing(county, province):
    assert rules.gap_pp(county, province) is None


# --- weights and group growth -------------------------------------------------------------------------------------


def test_weight_is_the_given_previous_level():
    assert rules.weight(level=D("120"), previous_level=D("90"), growth=D("20")) == D("90")


def test_weight_of_a_rate_only_member_is_current_over_one_plus_growth():
    # 12亿 this year at +20% → 10亿 last year.
    assert rules.weight(level=D("12"), previous_level=None, growth=D("20")) == D("10")
    assert rules.weight(level=D("10.92"), previous_level=None, growth=D("9.2")) == D("10")


@pytest.mark.parametrize(("level", "growth"), [(None, D("20")), (D("12"), None), (None, None)])
def test_no_weight_without_a_previous_level_or_a_current_level_and_rate(level, growth):
    assert rules.weight(level=level, previous_level=None, growth=growth) is None


def test_group_growth_weights_members_by_previous_level():
    # 100 → +10%, 300 → +2%: (100·10 + 300·2) / 400 = 4%.
    group = rules.group_growth([Member(D("10"), None, D("100")), Member(D("2"), None, D("300"))])
    assert group == rules.GroupGrowth(D("4"), 2, 2)


def test_group_growth_of_a_rate_only_member_uses_the_derived_weight():
    # Member A: 12 now at +20% (weight 10); member B: previous level 30 at +0%: (10·20 + 30·0) / 40 = 5%.
    group = rules.group_growth([Member(D("20"), D("12"), None), Member(D("0"), None, D("30"))])
    assert group.growth_pct == D("5")
    assert (group.members_covered, group.members_total) == (2, 2)


def test_group_growth_of_levels_only_members_is_sum_current_over_sum_previous():
    members = []
    for previous, current in ((D("10"), D("10.53")), (D("20"), D("21.46"))):
        growth, _derived = rules.growth_pct(reported=None, level=current, previous_level=previous)
        members.append(Member(growth, current, previous))
    group = rules.group_growth(members)
    # 31.99 / 30 − 1 = 6.6333…%
    assert abs(group.growth_pct - D("6.633333333333333333333333333333333")) < D("1e-30")


def test_member_without_weight_is_excluded_and_counted():
    # The tenth reports 50% but publishes no level at all: it cannot be weighted.
    members = [Member(D("7.3"), None, D("5"))] * 9 + [Member(D("50"), None, None)]
    group = rules.group_growth(members)
    assert group.growth_pct == D("7.3")
    assert (group.members_covered, group.members_total) == (9, 10)


def test_member_without_growth_is_excluded_and_counted():
    group = rules.group_growth([Member(D("4"), None, D("10")), Member(None, D("11"), D("10"))])
    assert group == rules.GroupGrowth(D("4"), 1, 2)


def test_member_with_zero_weight_is_excluded():
    group = rules.group_growth([Member(D("4"), None, D("10")), Member(D("9"), None, D("0"))])
    assert group == rules.GroupGrowth(D("4"), 1, 2)


def test_group_with_no_usable_member_has_no_growth():
    assert rules.group_growth([Member(None, None, None)] * 3) == rules.GroupGrowth(None, 0, 3)
    assert rules.group_growth([]) == rules.GroupGrowth(None, 0, 0)


# --- bottom ten ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rank", "ranked_count", "expected"),
    [
        (136, 136, True),
        (127, 136, True),  # the tenth from the bottom
        (126, 136, False),  # the eleventh from the bottom
        (1, 136, False),
        (None, 136, False),
        (1, 10, True),  # with ten or fewer ranked, everyone is in the bottom ten
        (1, 11, False),
        (2, 11, True),
    ],
)
def test_in_bottom_ten(rank, ranked_count, expected):
    assert rules.in_bottom(rank, ranked_count) is expected


def test_in_bottom_n_is_configurable():
    assert rules.in_bottom(8, 10, n=3) is True
    assert rules.in_bottom(7, 10, n=3) is False


# --- storage -------------------------------------------------------------------------------------------------------


def test_stored_keeps_twelve_places_and_none():
    assert rules.stored(D("1") / D("3") * 100) == D("33.333333333333")
    assert rules.stored(None) is None
    # Yuan levels of a whole province (10¹⁴) still fit at 12 places.
    assert rules.stored(D("12345678901234.5")) == D("12345678901234.500000000000")
