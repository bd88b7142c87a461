"""The growth-gap rules of the program (docs/domain.md §3), as pure functions on Decimals.

- A reported growth rate always wins; only without one is growth derived from the two levels (GDP growth is at
  comparable prices and cannot be derived from nominal levels when the bureau publishes it).
- A county's gap is its growth minus the province's growth as reported for the province itself.
- A group's growth is Σ wᵢ·gᵢ / Σ wᵢ with wᵢ the member's previous-period level, given or derived as
  current / (1 + gᵢ). Members with no weight are left out and counted.
- Bottom ten: the last ten ranks among the ranked units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Context, Decimal

# Enough digits for yuan levels of a province (10¹⁴) divided to 12 decimal places.
PRECISION = Context(prec=40)
HUNDRED = Decimal(100)
STORED_PLACES = Decimal("1e-12")
BOTTOM_N = 10
# A growth derived from two levels is left out (as if a level were missing) from this many percent either way: a
# level a billion times the year before's is a mistake in the data, and its growth, or its gap, would not fit the
# stored columns (24 digits, 12 places), so one such pair of figures would stop every recomputation.
DERIVED_GROWTH_LIMIT = 100_000_000_000


def growth_pct(
    *, reported: Decimal | None, level: Decimal | None, previous_level: Decimal | None
) -> tuple[Decimal | None, bool]:
    """(growth in %, derived?) for one unit: the reported rate, else derived from the two levels."""
    if reported is not None:
        return Decimal(reported), False
    if level is None or previous_level is None or previous_level == 0:
        return None, False
    derived = PRECISION.multiply(PRECISION.subtract(PRECISION.divide(level, previous_level), 1), HUNDRED)
    return derived, True


def within_limit(growth: Decimal | None, derived: bool) -> tuple[Decimal | None, bool]:
    """A derived growth of ``DERIVED_GROWTH_LIMIT`` % or more either way left out, as if a level were missing: what
    the stored results (``GapResult``) hold."""
    if derived and growth is not None and abs(growth) >= DERIVED_GROWTH_LIMIT:
        return None, False
    return growth, derived


def gap_pp(growth: Decimal | None, province_growth: Decimal | None) -> Decimal | None:
    if growth is None or province_growth is None:
        return None
    return PRECISION.subtract(growth, province_growth)


def weight(*, level: Decimal | None, previous_level: Decimal | None, growth: Decimal | None) -> Decimal | None:
    """A member's weight in a group: its previous-period level, given or derived as current / (1 + g)."""
    if previous_level is not None:
        return Decimal(previous_level)
    if level is None or growth is None:
        return None
    return PRECISION.divide(level, PRECISION.add(1, PRECISION.divide(growth, HUNDRED)))


@dataclass(frozen=True)
class Member:
    growth_pct: Decimal | None
    level: Decimal | None
    previous_level: Decimal | None


@dataclass(frozen=True)
class GroupGrowth:
    growth_pct: Decimal | None
    members_covered: int
    members_total: int


def group_growth(members: Iterable[Member]) -> GroupGrowth:
    numerator = Decimal(0)
    denominator = Decimal(0)
    covered = total = 0
    for member in members:
        total += 1
        if member.growth_pct is None:
            continue
        w = weight(level=member.level, previous_level=member.previous_level, growth=member.growth_pct)
        if w is None or w <= 0:
            continue
        covered += 1
        numerator = PRECISION.add(numerator, PRECISION.multiply(w, member.growth_pct))
        denominator = PRECISION.add(denominator, w)
    if covered == 0:
        return GroupGrowth(None, 0, total)
    return GroupGrowth(PRECISION.divide(numerator, denominator), covered, total)


def in_bottom(rank: int | None, ranked_count: int, n: int = BOTTOM_N) -> bool:
    return rank is not None and rank > ranked_count - n


def stored(value: Decimal | None) -> Decimal | None:
    """Quantize to the stored scale (12 places); display rounding happens elsewhere."""
    return None if value is None else value.quantize(STORED_PLACES, context=PRECISION)
