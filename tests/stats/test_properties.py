"""Properties of the group-growth rule (docs/domain.md §3) over generated members: pure functions, no database.

For a nominal indicator (levels only, growth derived) Σ wᵢ·gᵢ / Σ wᵢ with wᵢ the previous level equals
Σcurrent / Σprevious − 1; with weights derived as current / (1 + gᵢ) from a reported rate it equals
Σcurrent / Σ(current / (1 + gᵢ)) − 1. The references below are computed with twice the engine's precision.
"""

from __future__ import annotations

from decimal import Context, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from stats import rules
from stats.rules import Member
from tests.conftest import property_examples

REFERENCE = Context(prec=80)
HUNDRED = Decimal(100)
TOLERANCE = Decimal("1e-20")

# Yuan levels with 2 places, from ¥1 to ¥100 trillion (a province's GDP is ~10¹³).
levels = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("1e14"), places=2, allow_nan=False)
# Reported rates as stored (4 places), above −100%.
rates = st.decimals(min_value=Decimal("-99.9999"), max_value=Decimal("500"), places=4, allow_nan=False)


def close(actual: Decimal | None, expected: Decimal) -> bool:
    assert actual is not None
    return abs(actual - expected) <= TOLERANCE * max(Decimal(1), abs(expected))


def nominal_member(previous: Decimal, current: Decimal) -> Member:
    growth, derived = rules.growth_pct(reported=None, level=current, previous_level=previous)
    assert derived
    return Member(growth, current, previous)


@settings(max_examples=property_examples(500), deadline=None)
@given(st.lists(st.tuples(levels, levels), min_size=1, max_size=15))
def test_nominal_group_growth_is_sum_current_over_sum_previous(pairs):
    members = [nominal_member(previous, current) for previous, current in pairs]

    group = rules.group_growth(members)

    total_previous = sum((previous for previous, _ in pairs), Decimal(0))
    total_current = sum((current for _, current in pairs), Decimal(0))
    expected = REFERENCE.multiply(REFERENCE.subtract(REFERENCE.divide(total_current, total_previous), 1), HUNDRED)
    assert close(group.growth_pct, expected), (group.growth_pct, expected)
    assert (group.members_covered, group.members_total) == (len(pairs), len(pairs))


@settings(max_examples=property_examples(500), deadline=None)
@given(st.lists(st.tuples(levels, rates), min_size=1, max_size=15))
def test_rate_only_group_growth_uses_weights_derived_from_the_current_level(members_data):
    members = [Member(rate, current, None) for current, rate in members_data]

    group = rules.group_growth(members)

    implied_previous = [
        REFERENCE.divide(current, REFERENCE.add(1, REFERENCE.divide(rate, HUNDRED))) for current, rate in members_data
    ]
    total_current = sum((current for current, _ in members_data), Decimal(0))
    total_previous = sum(implied_previous, Decimal(0))
    expected = REFERENCE.multiply(REFERENCE.subtract(REFERENCE.divide(total_current, total_previous), 1), HUNDRED)
    assert close(group.growth_pct, expected), (group.growth_pct, expected)
    assert group.members_covered == len(members_data)


@settings(max_examples=property_examples(500), deadline=None)
@given(
    st.lists(st.tuples(levels, levels), min_size=1, max_size=8),
    st.lists(st.tuples(levels, rates), max_size=8),
    st.lists(st.one_of(st.none(), rates), max_size=5),
)
def test_members_without_weight_change_nothing_but_the_count(nominal, rate_only, unweighted):
    """Mixed groups: levels-only and rate-only members together; members with a rate and no level, or with
    nothing at all, are left out and counted."""
    weighted = [nominal_member(p, c) for p, c in nominal] + [Member(r, c, None) for c, r in rate_only]
    without = [Member(rate, None, None) for rate in unweighted]

    alone = rules.group_growth(weighted)
    mixed = rules.group_growth(weighted[:1] + without + weighted[1:])

    assert mixed.growth_pct == alone.growth_pct
    assert (mixed.members_covered, mixed.members_total) == (len(weighted), len(weighted) + len(without))


@settings(max_examples=property_examples(500), deadline=None)
@given(levels, levels, rates)
def test_reported_rate_always_wins(previous, current, rate):
    assert rules.growth_pct(reported=rate, level=current, previous_level=previous) == (rate, False)


@settings(max_examples=property_examples(500), deadline=None)
@given(st.lists(st.tuples(levels, levels), min_size=1, max_size=10), rates)
def test_gap_of_a_group_is_its_growth_minus_the_province(pairs, province):
    group = rules.group_growth([nominal_member(p, c) for p, c in pairs])
    assert close(rules.gap_pp(group.growth_pct, province), REFERENCE.subtract(group.growth_pct, province))
