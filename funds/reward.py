"""Year-end surplus rewards (docs/domain.md §4) as pure arithmetic: no database, no models.

At the fund year's close the surplus S = fund total − Σ disbursed goes to the weak counties whose main-tax growth is
above a threshold, in proportion to a weight — the county's main-tax increment (current − previous, yuan) or its
growth rate (%) — optionally capped per county with the excess re-shared among the others, and rounded to the fen
with the largest-remainder (Hamilton) method so that the shares sum to S exactly.

Money enters and leaves as ``Decimal`` yuan with two places. Inside, amounts are integer fen and the weights are
scaled to integers by one common power of ten, so every share is an exact fraction ``pool_fen × wᵢ / Σw`` and every
comparison (against a cap, between remainders, for a tie) is integer arithmetic. No float is built anywhere; a float
passed in is refused with ``TypeError``, as ``common.money.yuan`` does.

The service that runs a reward reads the fund and the statistics, calls ``compute_reward`` and stores the inputs, the
rule, the rows and ``RewardResult.as_json()`` (the explainer) with the run.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any, Generic, TypeVar

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

K = TypeVar("K", bound=Hashable)

# Decimal places of the exact (unrounded) shares and remainders shown in the explainer. The rounding itself never
# looks at these: it compares exact integer remainders.
EXACT_PLACES = 10

# Subtraction of two yuan levels without the default context's 28-digit limit getting in the way.
_WIDE = Context(prec=60)


class RewardRuleError(ValueError):
    """The inputs or the rule do not allow a reward to be computed. ``code`` tells the cases apart:

    - ``invalid``: an amount or weight that is negative, not whole fen, not finite; duplicate keys; a bad rule;
    - ``no_weight``: money to share but no key (county) with a positive weight;
    - ``no_eligible_county``: a positive surplus and no eligible county;
    - ``caps_too_low``: the caps cannot absorb the total — the money would otherwise be left unallocated;
    - ``overspent``: more disbursed than the fund holds;
    - ``surplus_mismatch``: the surplus given is not fund total − disbursed.
    """

    def __init__(self, message: Any, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


class WeightBasis(StrEnum):
    INCREMENT = "increment"
    RATE = "rate"


# --- integer fen and scaled weights ----------------------------------------------------------------------------------


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal built from a string (or an int), not {type(value).__name__}.")
    value = Decimal(value)
    if not value.is_finite():
        raise RewardRuleError(f"{what} must be a finite number; got {value}.", code="invalid")
    return value


def _integer_and_exponent(value: Decimal) -> tuple[int, int]:
    sign, digits, exponent = value.as_tuple()
    number = int("".join(map(str, digits)))
    return (-number if sign else number), int(exponent)


def _exact(integer: int, places: int) -> Decimal:
    """integer × 10⁻ᵖˡᵃᶜᵉˢ as a Decimal, built digit by digit so no context can round it."""
    return Decimal((1 if integer < 0 else 0, tuple(int(c) for c in str(abs(integer))), -places))


def _to_fen(amount: Any, what: str) -> int:
    amount = _decimal(amount, what)
    number, exponent = _integer_and_exponent(amount)
    shift = exponent + 2
    if shift >= 0:
        fen = number * 10**shift
    else:
        fen, rest = divmod(number, 10**-shift)
        if rest:
            raise RewardRuleError(
                f"{what} must be a whole number of fen (two decimal places); got {amount}.", code="invalid"
            )
    if fen < 0:
        raise RewardRuleError(f"{what} cannot be negative; got {amount}.", code="invalid")
    return fen


def _yuan(fen: int) -> Decimal:
    return _exact(fen, 2)


def _ratio(numerator: int, denominator: int, places: int = EXACT_PLACES) -> Decimal:
    """numerator / denominator to ``places`` decimals, half-even, by integer division (both ≥ 0, denominator > 0)."""
    quotient, rest = divmod(numerator * 10**places, denominator)
    if 2 * rest > denominator or (2 * rest == denominator and quotient % 2):
        quotient += 1
    return _exact(quotient, places)


def _exact_yuan(numerator_fen: int, denominator: int) -> Decimal:
    return _ratio(numerator_fen, denominator * 100)


def _plain(value: Decimal | None) -> str:
    return "—" if value is None else format(value, "f")


def _two_places(value: Decimal) -> str:
    """A rate as people read it in a reason: two decimals (the arithmetic keeps every digit)."""
    return format(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")


def _by_key(key: Any) -> Any:
    return key


# --- the split -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapRound(Generic[K]):
    """One round of water-filling: ``pool`` is shared by weight among ``shared_among`` (exact shares in ``exact``);
    the keys in ``capped`` came out above their cap, are held at it from now on, and the rest of the pool is re-shared
    among the others in the next round. The last round caps nobody."""

    number: int
    pool: Decimal
    total_weight: Decimal
    shared_among: tuple[K, ...]
    exact: dict[K, Decimal]
    capped: tuple[K, ...]


@dataclass(frozen=True)
class Split(Generic[K]):
    """A split with everything needed to explain it. Amounts are yuan; ``exact``, ``remainders`` have
    ``EXACT_PLACES`` decimals and are for reading only.

    - ``exact``: the water-filled exact share (a capped key: its cap; a zero weight: 0);
    - ``truncated``: the exact share cut down to the fen; ``remainders``: what was cut off, as a fraction of a fen,
      for the keys shared by weight in the last round (capped keys have none: their cap is whole fen);
    - ``leftover_fen``: total − Σ truncated, in fen; ``extra_fen``: the keys that got one fen each, in the order
      they were handed out (largest remainder first, ties by ``tie_key``).
    """

    total: Decimal
    total_weight: Decimal
    shares: dict[K, Decimal]
    exact: dict[K, Decimal]
    truncated: dict[K, Decimal]
    remainders: dict[K, Decimal]
    capped: frozenset[K]
    rounds: tuple[CapRound[K], ...]
    leftover_fen: int
    extra_fen: tuple[K, ...]


def _integer_weights(weights: Mapping[K, Any]) -> tuple[dict[K, int], int]:
    """The weights times one common power of ten, as integers, and that power."""
    parsed: dict[K, tuple[int, int]] = {}
    for key, weight in weights.items():
        value = _decimal(weight, f"the weight of {key!r}")
        if value < 0:
            raise RewardRuleError(f"the weight of {key!r} cannot be negative; got {value}.", code="invalid")
        parsed[key] = _integer_and_exponent(value)
    scale = max([0, *(-exponent for _number, exponent in parsed.values())])
    return {key: number * 10 ** (exponent + scale) for key, (number, exponent) in parsed.items()}, scale


def split_explained(
    total: Decimal,
    weights: Mapping[K, Decimal],
    *,
    caps: Mapping[K, Decimal] | None = None,
    tie_key: Callable[[K], Any] = _by_key,
) -> Split[K]:
    """``split_largest_remainder`` with the working shown; see there for the rules."""
    total_fen = _to_fen(total, "the total")
    integer_weights, scale = _integer_weights(weights)
    order = sorted(integer_weights, key=tie_key)
    if any(tie_key(a) == tie_key(b) for a, b in pairwise(order)):
        raise RewardRuleError("tie_key must tell every key apart, or ties could not be broken.", code="invalid")
    cap_fen: dict[K, int] = {}
    for key, cap in (caps or {}).items():
        if key not in integer_weights:
            raise RewardRuleError(f"a cap is given for {key!r}, which has no weight.", code="invalid")
        cap_fen[key] = _to_fen(cap, f"the cap of {key!r}")

    positive = [key for key in order if integer_weights[key] > 0]
    if total_fen > 0 and not positive:
        raise RewardRuleError(_("There is money to share but no positive weight to share it by."), code="no_weight")
    if total_fen > 0 and all(key in cap_fen for key in positive):
        capacity = sum(cap_fen[key] for key in positive)
        if capacity < total_fen:
            raise RewardRuleError(
                format_lazy(
                    _(
                        "The caps add up to ¥{capacity}, less than the ¥{total} to share; ¥{short} would be left "
                        "unallocated."
                    ),
                    capacity=_plain(_yuan(capacity)),
                    total=_plain(_yuan(total_fen)),
                    short=_plain(_yuan(total_fen - capacity)),
                ),
                code="caps_too_low",
            )

    # Water-filling: share the pool by weight; everyone above their cap is held at it (all of them at once: taking
    # them out only raises the others' shares, so none of them could fall back under) and the rest is re-shared.
    pool = total_fen
    active = positive
    held: dict[K, int] = {}
    rounds: list[CapRound[K]] = []
    while active:
        weight_sum = sum(integer_weights[key] for key in active)
        over = tuple(
            key for key in active if key in cap_fen and pool * integer_weights[key] > cap_fen[key] * weight_sum
        )
        rounds.append(
            CapRound(
                number=len(rounds) + 1,
                pool=_yuan(pool),
                total_weight=_exact(weight_sum, scale),
                shared_among=tuple(active),
                exact={key: _exact_yuan(pool * integer_weights[key], weight_sum) for key in active},
                capped=over,
            )
        )
        if not over:
            break
        for key in over:
            held[key] = cap_fen[key]
            pool -= cap_fen[key]
        active = [key for key in active if key not in held]
    # Each round hands the held keys less than their exact share, so the pool stays positive; with the capacity
    # checked above at least one key is therefore left to take it.
    assert active or pool == 0

    # Largest remainder over the last round. All remainders share the denominator Σw, so comparing the integer
    # remainders compares the fractions. An exact share at or under a whole-fen cap truncates to at most cap − 1
    # when it has a remainder, so the extra fen never lifts a share above its cap.
    floors: dict[K, int] = {}
    rests: dict[K, int] = {}
    extra: tuple[K, ...] = ()
    weight_sum = sum(integer_weights[key] for key in active)
    if active:
        for key in active:
            floors[key], rests[key] = divmod(pool * integer_weights[key], weight_sum)
        leftover = pool - sum(floors.values())
        extra = tuple(sorted(active, key=lambda key: (-rests[key], tie_key(key)))[:leftover])
    else:
        leftover = 0

    shares: dict[K, Decimal] = {}
    exact: dict[K, Decimal] = {}
    truncated: dict[K, Decimal] = {}
    for key in order:
        if key in held:
            fen, exact[key], truncated[key] = held[key], _exact_yuan(held[key], 1), _yuan(held[key])
        elif key in floors:
            fen = floors[key] + (1 if key in extra else 0)
            exact[key] = _exact_yuan(pool * integer_weights[key], weight_sum)
            truncated[key] = _yuan(floors[key])
        else:
            fen, exact[key], truncated[key] = 0, _exact_yuan(0, 1), _yuan(0)
        shares[key] = _yuan(fen)
    return Split(
        total=_yuan(total_fen),
        total_weight=_exact(sum(integer_weights.values()), scale),
        shares=shares,
        exact=exact,
        truncated=truncated,
        remainders={key: _ratio(rests[key], weight_sum) for key in order if key in rests},
        capped=frozenset(held),
        rounds=tuple(rounds),
        leftover_fen=leftover,
        extra_fen=extra,
    )


def split_largest_remainder(
    total: Decimal,
    weights: Mapping[K, Decimal],
    *,
    caps: Mapping[K, Decimal] | None = None,
    tie_key: Callable[[K], Any] = _by_key,
) -> dict[K, Decimal]:
    """Split ``total`` (yuan, whole fen, ≥ 0) among the keys of ``weights`` (each ≥ 0) in proportion to the weights.

    - Every share is whole fen and the shares sum to ``total`` exactly: each exact share is cut down to the fen and
      the fen left over go one each to the largest remainders (Hamilton); equal remainders go in ``tie_key`` order
      (by default the key itself: for adcodes, the smallest first). Each share is within ¥0.01 of its exact share.
    - ``caps`` (yuan, whole fen, for some or all keys): a share above its cap is held at the cap and the excess is
      re-shared by weight among the keys not held, until nobody is over (water-filling). A capped key gets exactly
      its cap; no share ever exceeds its cap; each share is within ¥0.01 of its water-filled exact share.
    - A zero weight gets ¥0.00. A ``total`` of 0 gives all zeros (also with no keys or only zero weights).
    - Raises ``RewardRuleError``: a positive total and no positive weight (``no_weight``); caps that cannot absorb
      the total, i.e. every key with a positive weight is capped and those caps sum to less than the total
      (``caps_too_low``) — money is never silently left over; negative or sub-fen amounts (``invalid``).

    The result is keyed in ``tie_key`` order, whatever the order of ``weights``.
    """
    return split_explained(total, weights, caps=caps, tie_key=tie_key).shares


# --- the rule and the reward -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RewardRule:
    """Eligible: main-tax growth above ``threshold_pct`` (unknown growth: not eligible). Weight: the main-tax
    increment in yuan (``increment``) or the growth rate in % (``rate``); a weight that is not positive makes the
    county not eligible. ``cap``: the most one county can receive, in yuan (None: no cap)."""

    threshold_pct: Decimal = Decimal("0")
    basis: WeightBasis = WeightBasis.INCREMENT
    cap: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold_pct", _decimal(self.threshold_pct, "threshold_pct"))
        try:
            object.__setattr__(self, "basis", WeightBasis(self.basis))
        except ValueError:
            choices = ", ".join(repr(str(basis)) for basis in WeightBasis)
            raise RewardRuleError(f"basis must be one of {choices}; got {self.basis!r}.", code="invalid") from None
        if self.cap is not None:
            object.__setattr__(self, "cap", _yuan(_to_fen(self.cap, "cap")))


@dataclass(frozen=True)
class CountyInput:
    """One weak county's figures as read for the run. ``growth_pct`` is the main-tax growth as the statistics rules
    resolved it (reported, else derived from the levels); this module does not derive it. ``release`` names the
    statistical release the figures come from, so the run can say which numbers it used."""

    adcode: str
    name: str
    main_tax_current: Decimal | None
    main_tax_previous: Decimal | None
    growth_pct: Decimal | None
    release: str = ""


@dataclass(frozen=True)
class Assessment:
    eligible: bool
    increment: Decimal | None
    weight: Decimal | None
    reason: Any = None  # a lazy text when not eligible
    reason_code: str = ""


def assess_county(county: CountyInput, rule: RewardRule) -> Assessment:
    """Whether ``county`` is eligible under ``rule`` and with what weight; if not, why, in words.

    Checked in this order: growth unknown → growth not above the threshold → (increment basis) increment unknown or
    not positive / (rate basis) growth not positive.
    """
    growth = None if county.growth_pct is None else _decimal(county.growth_pct, f"{county.adcode} growth_pct")
    increment = None
    if county.main_tax_current is not None and county.main_tax_previous is not None:
        current = _decimal(county.main_tax_current, f"{county.adcode} main_tax_current")
        previous = _decimal(county.main_tax_previous, f"{county.adcode} main_tax_previous")
        increment = _WIDE.subtract(current, previous)

    def no(code: str, reason: Any) -> Assessment:
        return Assessment(False, increment, None, reason, code)

    if growth is None:
        return no("growth_unknown", _("Main-tax growth is unknown, so the county cannot be assessed."))
    if growth <= rule.threshold_pct:
        return no(
            "growth_not_above_threshold",
            format_lazy(
                _("Main-tax growth of {growth}% is not above the threshold of {threshold}%."),
                growth=_two_places(growth),
                threshold=_plain(rule.threshold_pct.normalize()),
            ),
        )
    if rule.basis == WeightBasis.INCREMENT:
        if increment is None:
            return no(
                "increment_unknown",
                _("The main-tax increment is unknown: the current or the previous main-tax level is missing."),
            )
        if increment <= 0:
            return no(
                "weight_not_positive",
                format_lazy(
                    _("The main-tax increment of ¥{increment} is not positive, so it cannot be a weight."),
                    increment=_plain(increment),
                ),
            )
        return Assessment(True, increment, increment)
    if growth <= 0:
        return no(
            "weight_not_positive",
            # xgettext:no-python-format
            format_lazy(
                _("Main-tax growth of {growth}% is not positive, so it cannot be a weight."), growth=_two_places(growth)
            ),
        )
    return Assessment(True, increment, growth)


def fund_surplus(*, fund_total: Decimal, disbursed: Decimal) -> Decimal:
    """Surplus = fund total − Σ disbursed, in yuan; refused if more was disbursed than the fund holds."""
    total_fen = _to_fen(fund_total, "the fund total")
    disbursed_fen = _to_fen(disbursed, "the amount disbursed")
    if disbursed_fen > total_fen:
        raise RewardRuleError(
            format_lazy(
                _("¥{disbursed} was disbursed from a fund of ¥{total}: there is no surplus to reward."),
                disbursed=_plain(_yuan(disbursed_fen)),
                total=_plain(_yuan(total_fen)),
            ),
            code="overspent",
        )
    return _yuan(total_fen - disbursed_fen)


@dataclass(frozen=True)
class CountyReward:
    """One county's line of a run. ``exact_share`` is the water-filled share before rounding (``EXACT_PLACES``
    decimals); ``share`` is what is paid, to the fen; ``extra_fen``: it got one of the fen handed out by remainder."""

    adcode: str
    name: str
    release: str
    growth_pct: Decimal | None
    increment: Decimal | None
    weight: Decimal | None
    exact_share: Decimal
    share: Decimal
    capped: bool
    extra_fen: bool
    eligible: bool
    reason: Any = None
    reason_code: str = ""

    def as_json(self) -> dict[str, Any]:
        return _jsonable({field: getattr(self, field) for field in self.__dataclass_fields__})


@dataclass(frozen=True)
class RewardResult:
    """A computed run: every input county in adcode order, the sums, and the explainer — an ordered list of steps,
    each a dict with ``step`` (the text, lazy), ``code`` (a stable name: surplus, eligibility, weights,
    exact_shares, cap, rounding, result, nothing_to_share) and the numbers involved, enough to redo every figure by
    hand."""

    surplus: Decimal
    rule: RewardRule
    counties: tuple[CountyReward, ...]
    total_weight: Decimal
    explainer: tuple[dict[str, Any], ...]
    fund_total: Decimal | None = None
    disbursed: Decimal | None = None

    @property
    def shares(self) -> dict[str, Decimal]:
        return {county.adcode: county.share for county in self.counties}

    @property
    def total_shared(self) -> Decimal:
        return _yuan(sum(_to_fen(county.share, "a share") for county in self.counties))

    def as_json(self) -> dict[str, Any]:
        """Plain str/int/bool/None/list/dict: decimals as strings, texts in the active language."""
        return _jsonable(
            {
                "surplus": self.surplus,
                "fund_total": self.fund_total,
                "disbursed": self.disbursed,
                "rule": {"threshold_pct": self.rule.threshold_pct, "basis": self.rule.basis, "cap": self.rule.cap},
                "total_weight": self.total_weight,
                "total_shared": self.total_shared,
                "counties": [county.as_json() for county in self.counties],
                "explainer": list(self.explainer),
            }
        )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str | Promise):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    raise TypeError(f"{type(value).__name__} has no JSON form here.")


def compute_reward(
    surplus: Decimal,
    counties: Sequence[CountyInput],
    rule: RewardRule,
    *,
    fund_total: Decimal | None = None,
    disbursed: Decimal | None = None,
) -> RewardResult:
    """Share ``surplus`` among the eligible ``counties`` under ``rule``; the shares sum to the surplus exactly.

    Pass ``fund_total`` and ``disbursed`` (both or neither) to have the explainer start from them; the surplus must
    then equal their difference. Raises ``RewardRuleError``: a positive surplus and no eligible county
    (``no_eligible_county``); a cap so low that the eligible counties cannot absorb the surplus (``caps_too_low``);
    duplicate adcodes or bad amounts (``invalid``). A zero surplus gives every county ¥0.00.
    """
    surplus = _yuan(_to_fen(surplus, "the surplus"))
    if (fund_total is None) != (disbursed is None):
        raise RewardRuleError("Give both fund_total and disbursed, or neither.", code="invalid")
    if fund_total is not None:
        fund_total, disbursed = _yuan(_to_fen(fund_total, "the fund total")), _yuan(_to_fen(disbursed, "disbursed"))
        if fund_surplus(fund_total=fund_total, disbursed=disbursed) != surplus:
            raise RewardRuleError(
                format_lazy(
                    _("The surplus ¥{surplus} is not the fund total ¥{total} less the ¥{disbursed} disbursed."),
                    surplus=_plain(surplus),
                    total=_plain(fund_total),
                    disbursed=_plain(disbursed),
                ),
                code="surplus_mismatch",
            )

    ordered = sorted(counties, key=lambda county: county.adcode)
    duplicates = sorted({a.adcode for a, b in pairwise(ordered) if a.adcode == b.adcode})
    if duplicates:
        raise RewardRuleError(f"Each county can appear once; repeated: {', '.join(duplicates)}.", code="invalid")
    assessments = {county.adcode: assess_county(county, rule) for county in ordered}
    weights = {adcode: a.weight for adcode, a in assessments.items() if a.eligible}

    if surplus > 0 and not weights:
        raise RewardRuleError(
            format_lazy(
                _("No county is eligible for a reward, so the surplus of ¥{surplus} cannot be shared."),
                surplus=_plain(surplus),
            ),
            code="no_eligible_county",
        )
    if rule.cap is not None and rule.cap * len(weights) < surplus:
        raise RewardRuleError(
            format_lazy(
                _(
                    "A cap of ¥{cap} for each of the {count} eligible counties allows at most ¥{capacity}, less than "
                    "the surplus of ¥{surplus}: raise the cap or drop it."
                ),
                cap=_plain(rule.cap),
                count=len(weights),
                capacity=_plain(rule.cap * len(weights)),
                surplus=_plain(surplus),
            ),
            code="caps_too_low",
        )

    caps = None if rule.cap is None else dict.fromkeys(weights, rule.cap)
    split = split_explained(surplus, weights, caps=caps)
    extra = set(split.extra_fen)
    rows = tuple(
        CountyReward(
            adcode=county.adcode,
            name=county.name,
            release=county.release,
            growth_pct=county.growth_pct,
            increment=assessments[county.adcode].increment,
            weight=assessments[county.adcode].weight,
            exact_share=split.exact.get(county.adcode, _exact_yuan(0, 1)),
            share=split.shares.get(county.adcode, _yuan(0)),
            capped=county.adcode in split.capped,
            extra_fen=county.adcode in extra,
            eligible=assessments[county.adcode].eligible,
            reason=assessments[county.adcode].reason,
            reason_code=assessments[county.adcode].reason_code,
        )
        for county in ordered
    )
    return RewardResult(
        surplus=surplus,
        rule=rule,
        counties=rows,
        total_weight=split.total_weight,
        explainer=_explain(surplus, fund_total, disbursed, rule, ordered, rows, split),
        fund_total=fund_total,
        disbursed=disbursed,
    )


# --- the explainer ---------------------------------------------------------------------------------------------------


def _explain(
    surplus: Decimal,
    fund_total: Decimal | None,
    disbursed: Decimal | None,
    rule: RewardRule,
    inputs: list[CountyInput],
    rows: tuple[CountyReward, ...],
    split: Split[str],
) -> tuple[dict[str, Any], ...]:
    by_adcode = {row.adcode: row for row in rows}
    levels = {county.adcode: county for county in inputs}
    eligible = [row for row in rows if row.eligible]
    steps: list[dict[str, Any]] = []

    if fund_total is not None and disbursed is not None:
        steps.append(
            {
                "step": _("Surplus = fund total − disbursed"),
                "code": "surplus",
                "fund_total": fund_total,
                "disbursed": disbursed,
                "surplus": surplus,
                "formula": f"{_plain(fund_total)} − {_plain(disbursed)} = {_plain(surplus)}",
            }
        )
    else:
        steps.append({"step": _("Surplus of the fund year, as given"), "code": "surplus", "surplus": surplus})

    steps.append(
        {
            "step": format_lazy(
                _("Eligibility: main-tax growth above {threshold}%; a county whose growth is unknown is not eligible"),
                threshold=_plain(rule.threshold_pct),
            ),
            "code": "eligibility",
            "threshold_pct": rule.threshold_pct,
            "eligible_count": len(eligible),
            "counties": [
                {
                    "adcode": row.adcode,
                    "name": row.name,
                    "release": row.release,
                    "growth_pct": row.growth_pct,
                    "eligible": row.eligible,
                    "reason": row.reason,
                }
                for row in rows
            ],
        }
    )
    if not eligible:
        steps.append(
            {"step": _("No county is eligible and the surplus is zero: nothing to share"), "code": "nothing_to_share"}
        )
        steps.append(_result_step(surplus, rows))
        return tuple(steps)

    if rule.basis == WeightBasis.INCREMENT:
        basis_text = _("Weight basis: main-tax increment (current − previous, in yuan)")

        def weight_formula(row: CountyReward) -> str:
            county = levels[row.adcode]
            return f"{_plain(county.main_tax_current)} − {_plain(county.main_tax_previous)} = {_plain(row.weight)}"
    else:
        basis_text = _("Weight basis: main-tax growth rate (in %)")

        def weight_formula(row: CountyReward) -> str:
            return f"{_plain(row.weight)}%"

    steps.append(
        {
            "step": basis_text,
            "code": "weights",
            "basis": rule.basis,
            "weights": [
                {"adcode": row.adcode, "name": row.name, "weight": row.weight, "formula": weight_formula(row)}
                for row in eligible
            ],
            "total_weight": split.total_weight,
            "formula": " + ".join(_plain(row.weight) for row in eligible) + f" = {_plain(split.total_weight)}",
        }
    )

    for cap_round in split.rounds:
        if cap_round.number == 1:
            text = _("Exact share = surplus × weight ÷ Σ weights")
        else:
            text = format_lazy(
                _(
                    "Round {round}, re-share: exact share = remaining pool × weight ÷ Σ weights of the counties not "
                    "held at the cap"
                ),
                round=cap_round.number,
            )
        steps.append(
            {
                "step": text,
                "code": "exact_shares",
                "round": cap_round.number,
                "pool": cap_round.pool,
                "total_weight": cap_round.total_weight,
                "shares": [
                    {
                        "adcode": adcode,
                        "name": by_adcode[adcode].name,
                        "weight": by_adcode[adcode].weight,
                        "exact_share": cap_round.exact[adcode],
                        "formula": f"{_plain(cap_round.pool)} × {_plain(by_adcode[adcode].weight)} ÷ "
                        f"{_plain(cap_round.total_weight)} = {_plain(cap_round.exact[adcode])}",
                    }
                    for adcode in cap_round.shared_among
                ],
            }
        )
        if cap_round.capped:
            assert rule.cap is not None
            held = rule.cap * len(cap_round.capped)
            steps.append(
                {
                    "step": format_lazy(
                        _(
                            "Cap of ¥{cap}: {count} above it, held at the cap; the rest of the pool is re-shared among "
                            "the others"
                        ),
                        count=len(cap_round.capped),
                        cap=_plain(rule.cap),
                    ),
                    "code": "cap",
                    "round": cap_round.number,
                    "cap": rule.cap,
                    "capped": [
                        {
                            "adcode": adcode,
                            "name": by_adcode[adcode].name,
                            "exact_share": cap_round.exact[adcode],
                            "excess": cap_round.exact[adcode] - rule.cap,
                        }
                        for adcode in cap_round.capped
                    ],
                    "held": held,
                    "remaining_pool": cap_round.pool - held,
                    "formula": f"{_plain(cap_round.pool)} − {_plain(held)} = {_plain(cap_round.pool - held)}",
                }
            )
    if rule.cap is not None and not split.capped:
        steps.append(
            {
                "step": format_lazy(_("Cap: no county's share is above the cap of ¥{cap}"), cap=_plain(rule.cap)),
                "code": "cap",
                "round": 1,
                "cap": rule.cap,
                "capped": [],
            }
        )

    truncated_total = sum((split.truncated[row.adcode] for row in eligible), Decimal("0.00"))
    by_remainder = sorted(split.remainders, key=lambda adcode: (-split.remainders[adcode], adcode))
    steps.append(
        {
            "step": format_lazy(
                _("Rounding: largest remainder, {count} fen handed out by remainder"), count=split.leftover_fen
            ),
            "code": "rounding",
            "method": _(
                "Each exact share is cut down to the fen; the fen left over go one each to the counties with "
                "the largest remainders, equal remainders to the smaller adcode first. A county held at the cap "
                "receives exactly the cap."
            ),
            "truncated_total": truncated_total,
            "leftover_fen": split.leftover_fen,
            "formula": f"{_plain(surplus)} − {_plain(truncated_total)} = {_plain(surplus - truncated_total)}",
            "order": [
                {
                    "adcode": adcode,
                    "name": by_adcode[adcode].name,
                    "truncated": split.truncated[adcode],
                    "remainder_fen": split.remainders[adcode],
                    "extra_fen": by_adcode[adcode].extra_fen,
                    "share": by_adcode[adcode].share,
                }
                for adcode in by_remainder
            ],
        }
    )
    steps.append(_result_step(surplus, rows))
    return tuple(steps)


def _result_step(surplus: Decimal, rows: tuple[CountyReward, ...]) -> dict[str, Any]:
    paid = [row for row in rows if row.eligible]
    total = sum((row.share for row in rows), Decimal("0.00"))
    return {
        "step": _("Result: the shares sum to the surplus exactly"),
        "code": "result",
        "shares": [{"adcode": row.adcode, "name": row.name, "share": row.share, "capped": row.capped} for row in paid],
        "total": total,
        "surplus": surplus,
        "formula": " + ".join(_plain(row.share) for row in paid) + f" = {_plain(total)}" if paid else _plain(total),
    }
