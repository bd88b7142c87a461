"""Year-end surplus rewards (docs/domain.md §4): the pure arithmetic of ``funds.reward``, no database.

The properties check ``split_largest_remainder`` against an independent reference in ``fractions.Fraction``: the
water level λ with Σ min(capᵢ, λ·wᵢ) = total, found by walking the keys in order of capᵢ / wᵢ. The worked examples
use the sources' fund size — ¥200,000,000 with ¥163,450,000 disbursed leaves ¥36,550,000 — and made-up main-tax
figures whose shares are worked out by hand in the comments (in fen: S = 3,655,000,000 fen).
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from funds.reward import (
    CountyInput,
    RewardRule,
    RewardRuleError,
    WeightBasis,
    compute_reward,
    fund_surplus,
    split_explained,
    split_largest_remainder,
)
from tests.conftest import property_examples

D = Decimal
FEN = Fraction(1, 100)
FUND_TOTAL = D("200000000.00")
DISBURSED = D("163450000.00")
SURPLUS = D("36550000.00")

# --- strategies and the reference ------------------------------------------------------------------------------------

# A pool of adcodes rather than a regex: generating the data is most of the run time.
adcodes = st.sampled_from([f"37{city:02d}{unit:02d}" for city in range(1, 18) for unit in (2, 3, 21, 81)])


def scaled(places: int, high: int, low: int = 0) -> st.SearchStrategy[Decimal]:
    """Decimals with ``places`` places from ``low`` to ``high``, built from integers (faster than st.decimals)."""
    return st.integers(min_value=low * 10**places, max_value=high * 10**places).map(lambda n: D(n).scaleb(-places))


# Increments in yuan, stored rates (12 places) and small integers, which make many equal remainders (ties).
weight_values = st.one_of(scaled(2, 10**10), scaled(12, 500), st.integers(min_value=0, max_value=4).map(D))
positive_weights = weight_values.map(lambda weight: weight or D(1))
# At least one positive weight, so that any total can be shared.
weight_maps = st.builds(
    lambda first, rest: {**rest, first[0]: first[1]},
    st.tuples(adcodes, positive_weights),
    st.dictionaries(adcodes, weight_values, max_size=9),
)
# A few fen (every fen is fought over) up to ten times the sources' fund.
totals = st.one_of(scaled(2, 1), scaled(2, 2 * 10**9))


def reference_exact(total: Decimal, weights: dict[str, Decimal], caps: dict[str, Decimal] | None = None):
    """Exact water-filled shares as Fractions: each key gets min(capᵢ, λ·wᵢ) with λ the level that spends total."""
    caps = caps or {}
    exact = {key: Fraction(0) for key in weights}
    pending = {key: Fraction(weight) for key, weight in weights.items() if weight > 0}
    remaining = Fraction(total)
    for key in sorted((key for key in pending if key in caps), key=lambda key: Fraction(caps[key]) / pending[key]):
        level = remaining / sum(pending.values())
        if Fraction(caps[key]) / pending[key] >= level:
            break
        exact[key] = Fraction(caps[key])
        remaining -= exact[key]
        del pending[key]
    if pending:
        level = remaining / sum(pending.values())
        for key, weight in pending.items():
            exact[key] = level * weight
    return exact


def fraction_of_fen(value: Fraction) -> Fraction:
    fen = value / FEN
    return fen - (fen.numerator // fen.denominator)


def assert_whole_fen_and_exact_sum(total: Decimal, shares: dict[str, Decimal]) -> None:
    assert sum(shares.values(), D("0")) == total
    for share in shares.values():
        assert share >= 0
        assert share.as_tuple().exponent == -2


# --- properties ------------------------------------------------------------------------------------------------------


@settings(max_examples=property_examples(1000), deadline=None)
@given(totals, weight_maps)
def test_uncapped_split_sums_exactly_and_is_largest_remainder(total, weights):
    shares = split_largest_remainder(total, weights)
    exact = reference_exact(total, weights)

    assert list(shares) == sorted(weights)
    assert_whole_fen_and_exact_sum(total, shares)
    for key, share in shares.items():
        assert abs(Fraction(share) - exact[key]) < FEN, (key, share, exact[key])
        assert Fraction(share) in {
            exact[key] - fraction_of_fen(exact[key]) * FEN,
            exact[key] - fraction_of_fen(exact[key]) * FEN + FEN,
        }
    # Hamilton: nobody left without the extra fen has a better claim (a larger remainder, or an equal one and a
    # smaller adcode) than somebody who got it.
    got = {key for key, share in shares.items() if Fraction(share) > exact[key]}
    for winner in got:
        for loser in set(shares) - got:
            claim_w, claim_l = fraction_of_fen(exact[winner]), fraction_of_fen(exact[loser])
            assert claim_w > claim_l or (claim_w == claim_l and winner < loser), (winner, loser)


@settings(max_examples=property_examples(1000), deadline=None)
@given(totals, weight_maps, st.data())
def test_split_does_not_depend_on_the_order_of_the_weights(total, weights, data):
    shuffled = dict(data.draw(st.permutations(list(weights.items()))))
    caps = data.draw(st.one_of(st.none(), st.just({key: total for key in weights})))

    first = split_largest_remainder(total, weights, caps=caps)
    again = split_largest_remainder(total, shuffled, caps=caps)

    assert list(first.items()) == list(again.items())


@st.composite
def capped_problems(draw):
    """Weights, caps for some keys (whole fen) and a total the caps can absorb."""
    weights = draw(weight_maps)
    caps = {}
    for key in weights:
        if draw(st.booleans()):
            caps[key] = draw(scaled(2, 2 * 10**8))
    positive = [key for key, weight in weights.items() if weight > 0]
    if all(key in caps for key in positive):
        capacity = sum((caps[key] for key in positive), D("0"))
        total = draw(st.integers(min_value=0, max_value=int(capacity * 100)).map(lambda n: D(n).scaleb(-2)))
    else:
        total = draw(totals)
    return total, weights, caps


@settings(max_examples=property_examples(1000), deadline=None)
@given(capped_problems())
def test_capped_split_never_exceeds_a_cap_and_follows_the_water_level(problem):
    total, weights, caps = problem

    split = split_explained(total, weights, caps=caps)
    exact = reference_exact(total, weights, caps)

    assert_whole_fen_and_exact_sum(total, split.shares)
    for key, share in split.shares.items():
        if key in caps:
            assert share <= caps[key], (key, share, caps[key])
        assert abs(Fraction(share) - exact[key]) < FEN, (key, share, exact[key])
    for key in split.capped:
        assert split.shares[key] == caps[key]
    # Reading only, but it must agree with the reference to its 10 places.
    for key, value in split.exact.items():
        assert abs(Fraction(value) - exact[key]) <= Fraction(1, 2 * 10**10)


# The split itself is covered above with 1,000 examples; this checks the wiring around it.
@settings(max_examples=property_examples(300), deadline=None)
@given(
    scaled(2, 5 * 10**8),
    st.lists(
        st.tuples(
            st.one_of(st.none(), scaled(2, 10**9, 10**6)),
            st.one_of(st.none(), scaled(2, 10**9, 10**6)),
            st.one_of(st.none(), scaled(1, 40, -30)),
        ),
        min_size=1,
        max_size=10,
    ),
    st.sampled_from(list(WeightBasis)),
    st.one_of(st.none(), scaled(2, 5 * 10**8, 10**7)),
)
def test_compute_reward_pays_the_whole_surplus_to_eligible_counties_only(surplus, figures, basis, cap):
    counties = [
        CountyInput(f"3714{index:02d}", f"county {index}", current, previous, growth, "2025 annual")
        for index, (current, previous, growth) in reversed(list(enumerate(figures)))
    ]
    rule = RewardRule(basis=basis, cap=cap)

    try:
        result = compute_reward(surplus, counties, rule)
    except RewardRuleError as error:
        assert error.code in {"no_eligible_county", "caps_too_low"}
        return

    assert [row.adcode for row in result.counties] == sorted(county.adcode for county in counties)
    assert result.total_shared == result.surplus
    for row in result.counties:
        assert row.eligible == (row.weight is not None and row.weight > 0)
        if not row.eligible:
            assert row.share == 0 and row.reason and row.reason_code
        if cap is not None:
            assert row.share <= cap
    json.dumps(result.as_json())


# --- split_largest_remainder by hand ---------------------------------------------------------------------------------


class TestSplitByHand:
    def test_a_fen_left_over_goes_to_the_largest_remainder(self):
        # ¥1.00 = 100 fen by 3 : 2 : 2 → 42.857…, 28.571…, 28.571… fen → floors 42 + 28 + 28 = 98, 2 fen left.
        # Remainders 6/7, 4/7, 4/7: the first fen to 6/7, the second to the tie 4/7, to the smaller key.
        shares = split_largest_remainder(D("1.00"), {"371603": D(2), "370405": D(3), "371328": D(2)})

        assert shares == {"370405": D("0.43"), "371328": D("0.29"), "371603": D("0.28")}

    def test_a_tie_over_several_fen_goes_to_the_smallest_adcodes_first(self):
        # 100 fen by six equal weights → 16⅔ fen each: floors 6 × 16 = 96, 4 fen left, all remainders ⅔:
        # the four smallest adcodes get 17 fen, the last two 16.
        keys = ["371603", "370322", "371428", "370405", "371423", "371328"]
        shares = split_largest_remainder(D("1.00"), dict.fromkeys(keys, D(1)))

        assert shares == {
            "370322": D("0.17"),
            "370405": D("0.17"),
            "371328": D("0.17"),
            "371423": D("0.17"),
            "371428": D("0.16"),
            "371603": D("0.16"),
        }

    def test_the_tie_order_can_be_given(self):
        shares = split_largest_remainder(D("0.10"), {"a": D(1), "b": D(1), "c": D(1)}, tie_key=lambda k: -ord(k))

        assert shares == {"c": D("0.04"), "b": D("0.03"), "a": D("0.03")}

    def test_zero_weights_get_nothing(self):
        assert split_largest_remainder(D("5.00"), {"a": D(0), "b": D("2.5")}) == {"a": D("0.00"), "b": D("5.00")}

    def test_a_zero_total_gives_zeros(self):
        assert split_largest_remainder(D("0"), {"a": D(1), "b": D(0)}) == {"a": D("0.00"), "b": D("0.00")}
        assert split_largest_remainder(D("0.00"), {"a": D(0)}) == {"a": D("0.00")}
        assert split_largest_remainder(D("0.00"), {}) == {}

    @pytest.mark.parametrize("weights", [{}, {"a": D(0), "b": D("0.00")}])
    def test_money_and_no_positive_weight_is_refused(self, weights):
        with pytest.raises(RewardRuleError) as error:
            split_largest_remainder(D("0.01"), weights)

        assert error.value.code == "no_weight"

    @pytest.mark.parametrize(
        ("total", "weights"),
        [
            (D("-0.01"), {"a": D(1)}),
            (D("1.005"), {"a": D(1)}),  # not whole fen
            (D("1.00"), {"a": D(-1), "b": D(2)}),
            (D("NaN"), {"a": D(1)}),
            (D("1.00"), {"a": D("Infinity")}),
        ],
    )
    def test_bad_amounts_are_refused(self, total, weights):
        with pytest.raises(RewardRuleError) as error:
            split_largest_remainder(total, weights)

        assert error.value.code == "invalid"

    def test_floats_are_refused(self):
        with pytest.raises(TypeError):
            split_largest_remainder(1.0, {"a": D(1)})
        with pytest.raises(TypeError):
            split_largest_remainder(D("1.00"), {"a": 0.5})

    def test_a_cap_is_held_and_the_excess_re_shared(self):
        # ¥10.00 by 8 : 1 : 1 → 8.00, 1.00, 1.00; cap a at ¥5.00 → the ¥5.00 left by 1 : 1 → 2.50 each.
        shares = split_largest_remainder(D("10.00"), {"a": D(8), "b": D(1), "c": D(1)}, caps={"a": D("5.00")})

        assert shares == {"a": D("5.00"), "b": D("2.50"), "c": D("2.50")}

    def test_caps_that_add_up_to_the_total_exactly_are_all_paid(self):
        shares = split_largest_remainder(D("3.00"), {"a": D(5), "b": D(1)}, caps={"a": D("1.00"), "b": D("2.00")})

        assert shares == {"a": D("1.00"), "b": D("2.00")}

    def test_caps_too_low_are_refused_rather_than_money_left_over(self):
        with pytest.raises(RewardRuleError) as error:
            split_largest_remainder(D("3.00"), {"a": D(1), "b": D(1)}, caps={"a": D("1.00"), "b": D("1.99")})

        assert error.value.code == "caps_too_low"
        with translation.override("en"):
            assert str(error.value) == (
                "The caps add up to ¥2.99, less than the ¥3.00 to share; ¥0.01 would be left unallocated."
            )

    def test_a_zero_weight_cannot_absorb_money_whatever_its_cap(self):
        with pytest.raises(RewardRuleError) as error:
            split_largest_remainder(D("5.00"), {"a": D(0), "b": D(1)}, caps={"a": D("100.00"), "b": D("1.00")})

        assert error.value.code == "caps_too_low"

    def test_an_uncapped_key_absorbs_whatever_the_caps_leave(self):
        shares = split_largest_remainder(D("5.00"), {"a": D(9), "b": D(1)}, caps={"a": D("1.00")})

        assert shares == {"a": D("1.00"), "b": D("4.00")}

    def test_a_cap_for_an_unknown_key_is_refused(self):
        with pytest.raises(RewardRuleError):
            split_largest_remainder(D("1.00"), {"a": D(1)}, caps={"b": D("1.00")})

    def test_keys_the_tie_key_cannot_tell_apart_are_refused(self):
        with pytest.raises(RewardRuleError):
            split_largest_remainder(D("1.00"), {"a": D(1), "b": D(1)}, tie_key=lambda key: 0)


# --- the reward run by hand ------------------------------------------------------------------------------------------


def county(adcode, name, current, previous, growth, release="2025 annual statistics (sample figures)"):
    return CountyInput(
        adcode=adcode,
        name=name,
        main_tax_current=None if current is None else D(current),
        main_tax_previous=None if previous is None else D(previous),
        growth_pct=None if growth is None else D(growth),
        release=release,
    )


# Made-up main-tax figures for six weak counties (yuan).
TAIERZHUANG = county("370405", "台儿庄区", "440000000.00", "400000000.00", "10.0")  # +40,000,000
MENGYIN = county("371328", "蒙阴县", "280000000.00", "250000000.00", "12.0")  # +30,000,000
WUCHENG = county("371428", "武城县", "220000000.00", "200000000.00", "10.0")  # +20,000,000
ZHANHUA = county("371603", "沾化区", "175500000.00", "180000000.00", "-2.5")  # growth below 0
QINGYUN = county("371423", "庆云县", "150000000.00", None, None)  # growth not published
# A reported growth on a comparable basis can be positive while the levels fall.
GAOQING = county("370322", "高青县", "300000000.00", "301500000.00", "1.2")  # −1,500,000


def test_fund_surplus_of_the_sources_fund():
    assert fund_surplus(fund_total=FUND_TOTAL, disbursed=DISBURSED) == SURPLUS


def test_a_fund_overspent_has_no_surplus():
    with pytest.raises(RewardRuleError) as error:
        fund_surplus(fund_total=D("100.00"), disbursed=D("100.01"))

    assert error.value.code == "overspent"


class TestIncrementBasis:
    """Weights 40M : 30M : 20M = 4 : 3 : 2 of Σ 90,000,000.

    In fen, 3,655,000,000 × 4/9 = 1,624,444,444 rest 4/9; × 3/9 = 1,218,333,333 rest 3/9; × 2/9 = 812,222,222
    rest 2/9. Floors sum to 3,654,999,999 fen, so 1 fen is left and goes to 台儿庄 (largest remainder 4/9).
    Rounding each share half-up would give 16,244,444.44 + 12,183,333.33 + 8,122,222.22 = 36,549,999.99: a fen short.
    """

    @pytest.fixture
    def result(self):
        counties = [ZHANHUA, MENGYIN, GAOQING, TAIERZHUANG, QINGYUN, WUCHENG]
        return compute_reward(SURPLUS, counties, RewardRule(), fund_total=FUND_TOTAL, disbursed=DISBURSED)

    def test_shares(self, result):
        assert result.shares == {
            "370322": D("0.00"),
            "370405": D("16244444.45"),
            "371328": D("12183333.33"),
            "371423": D("0.00"),
            "371428": D("8122222.22"),
            "371603": D("0.00"),
        }
        assert result.total_shared == SURPLUS
        assert result.total_weight == D("90000000.00")

    def test_rows(self, result):
        rows = {row.adcode: row for row in result.counties}
        taierzhuang = rows["370405"]
        assert (taierzhuang.increment, taierzhuang.weight) == (D("40000000.00"), D("40000000.00"))
        assert taierzhuang.exact_share == D("16244444.4444444444")
        assert taierzhuang.extra_fen and not rows["371328"].extra_fen
        assert taierzhuang.release == "2025 annual statistics (sample figures)"
        assert rows["371328"].exact_share == D("12183333.3333333333")
        assert not any(row.capped for row in result.counties)

    def test_who_is_not_eligible_and_why(self, result):
        rows = {row.adcode: row for row in result.counties}
        with translation.override("en"):
            reasons = {row.adcode: (row.reason_code, str(row.reason)) for row in result.counties if not row.eligible}

        assert reasons == {
            "370322": (
                "weight_not_positive",
                "The main-tax increment of ¥-1500000.00 is not positive, so it cannot be a weight.",
            ),
            "371423": ("growth_unknown", "Main-tax growth is unknown, so the county cannot be assessed."),
            "371603": ("growth_not_above_threshold", "Main-tax growth of -2.50% is not above the threshold of 0%."),
        }
        assert rows["370322"].increment == D("-1500000.00")
        assert rows["370322"].weight is None
        assert rows["371423"].increment is None

    def test_explainer(self, result):
        with translation.override("en"):
            steps = result.as_json()["explainer"]

        assert [step["code"] for step in steps] == [
            "surplus",
            "eligibility",
            "weights",
            "exact_shares",
            "rounding",
            "result",
        ]
        surplus, eligibility, weights, exact, rounding, final = steps
        assert surplus == {
            "step": "Surplus = fund total − disbursed",
            "code": "surplus",
            "fund_total": "200000000.00",
            "disbursed": "163450000.00",
            "surplus": "36550000.00",
            "formula": "200000000.00 − 163450000.00 = 36550000.00",
        }
        assert eligibility["eligible_count"] == 3
        assert weights["step"] == "Weight basis: main-tax increment (current − previous, in yuan)"
        assert weights["weights"][0]["formula"] == "440000000.00 − 400000000.00 = 40000000.00"
        assert weights["formula"] == "40000000.00 + 30000000.00 + 20000000.00 = 90000000.00"
        assert exact["step"] == "Exact share = surplus × weight ÷ Σ weights"
        assert exact["shares"][0]["formula"] == ("36550000.00 × 40000000.00 ÷ 90000000.00 = 16244444.4444444444")
        assert rounding["step"] == "Rounding: largest remainder, 1 fen handed out by remainder"
        assert rounding["truncated_total"] == "36549999.99"
        assert rounding["formula"] == "36550000.00 − 36549999.99 = 0.01"
        assert [(row["adcode"], row["remainder_fen"], row["extra_fen"]) for row in rounding["order"]] == [
            ("370405", "0.4444444444", True),
            ("371328", "0.3333333333", False),
            ("371428", "0.2222222222", False),
        ]
        assert final["formula"] == "16244444.45 + 12183333.33 + 8122222.22 = 36550000.00"

    def test_the_explainer_is_enough_to_redo_every_figure(self, result):
        steps = {step["code"]: step for step in result.as_json()["explainer"]}
        surplus = D(steps["surplus"]["fund_total"]) - D(steps["surplus"]["disbursed"])
        total_weight = sum(D(row["weight"]) for row in steps["weights"]["weights"])

        for row in steps["exact_shares"]["shares"]:
            redone = (surplus * D(row["weight"]) / total_weight).quantize(D("1e-10"))
            assert redone == D(row["exact_share"])
        for row in steps["rounding"]["order"]:
            extra = D("0.01") if row["extra_fen"] else D(0)
            assert D(row["truncated"]) + extra == D(row["share"]) == result.shares[row["adcode"]]
        assert total_weight == D(steps["weights"]["total_weight"])
        assert sum(D(row["share"]) for row in steps["result"]["shares"]) == surplus

    def test_as_json_is_plain_json(self, result):
        data = result.as_json()

        assert json.loads(json.dumps(data)) == data
        assert data["rule"] == {"threshold_pct": "0", "basis": "increment", "cap": None}
        assert data["counties"][1]["share"] == "16244444.45"
        assert data["counties"][1]["exact_share"] == "16244444.4444444444"


def test_a_tie_on_the_last_fen_goes_to_the_smaller_adcode():
    # Three equal increments of 25,000,000: each 3,655,000,000 / 3 = 1,218,333,333 fen rest ⅓; 1 fen left, three
    # equal remainders → 370322 (smallest adcode) gets 12,183,333.34, whatever the input order.
    counties = [
        county("371603", "沾化区", "125000000.00", "100000000.00", "25.0"),
        county("370405", "台儿庄区", "225000000.00", "200000000.00", "12.5"),
        county("370322", "高青县", "275000000.00", "250000000.00", "10.0"),
    ]

    result = compute_reward(SURPLUS, counties, RewardRule())

    assert result.shares == {"370322": D("12183333.34"), "370405": D("12183333.33"), "371603": D("12183333.33")}
    assert [row.extra_fen for row in result.counties] == [True, False, False]


def test_rate_basis_with_a_threshold():
    # Threshold 5%: 371428 at exactly 5.0% is not above it, 371603 at 4.5% is below. Weights 10 + 12 + 8 = 30;
    # 庆云 has no levels but its rate is known, which is all the rate basis needs.
    # In fen: × 10/30 = 1,218,333,333 rest ⅓; × 12/30 = 1,462,000,000 exactly; × 8/30 = 974,666,666 rest ⅔.
    # Floors 3,654,999,999: the 1 fen left goes to 庆云 (⅔).
    counties = [
        TAIERZHUANG,
        MENGYIN,
        county("371423", "庆云县", None, None, "8.0"),
        county("371428", "武城县", "210000000.00", "200000000.00", "5.0"),
        county("371603", "沾化区", "188100000.00", "180000000.00", "4.5"),
    ]

    result = compute_reward(SURPLUS, counties, RewardRule(threshold_pct=D("5"), basis="rate"))

    assert result.rule.basis is WeightBasis.RATE
    assert result.shares == {
        "370405": D("12183333.33"),
        "371328": D("14620000.00"),
        "371423": D("9746666.67"),
        "371428": D("0.00"),
        "371603": D("0.00"),
    }
    assert result.total_weight == D("30.0")
    rows = {row.adcode: row for row in result.counties}
    assert rows["371423"].extra_fen
    assert {code for code in (rows["371428"].reason_code, rows["371603"].reason_code)} == {"growth_not_above_threshold"}
    with translation.override("en"):
        assert str(rows["371428"].reason) == "Main-tax growth of 5.00% is not above the threshold of 5%."
        weights = result.as_json()["explainer"][2]
    assert weights["step"] == "Weight basis: main-tax growth rate (in %)"
    assert weights["formula"] == "10.0 + 12.0 + 8.0 = 30.0"


def test_rate_basis_refuses_a_non_positive_rate_even_above_a_negative_threshold():
    counties = [TAIERZHUANG, county("371603", "沾化区", None, None, "-1.0")]

    result = compute_reward(SURPLUS, counties, RewardRule(threshold_pct=D("-3"), basis=WeightBasis.RATE))

    assert result.shares == {"370405": SURPLUS, "371603": D("0.00")}
    assert result.counties[1].reason_code == "weight_not_positive"


def test_increment_basis_needs_both_levels():
    counties = [TAIERZHUANG, county("371423", "庆云县", "150000000.00", None, "6.0")]

    result = compute_reward(SURPLUS, counties, RewardRule())

    assert result.counties[1].reason_code == "increment_unknown"
    assert result.shares["370405"] == SURPLUS


class TestCapWithResharing:
    """Increments 60M : 20M : 10M : 5M (Σ 95M), cap ¥12,000,000 a county.

    Round 1: 台儿庄 36,550,000 × 60/95 = 23,084,210.53 > cap → held at 12,000,000 (蒙阴 7,694,736.84 is under).
    Round 2: pool 24,550,000 by 20 : 10 : 5 → 蒙阴 24,550,000 × 20/35 = 14,028,571.43 > cap → held.
    Round 3: pool 12,550,000 by 10 : 5 → 武城 8,366,666.666…, 沾化 4,183,333.333…; in fen 836,666,666 rest ⅔ and
    418,333,333 rest ⅓, floors 1,254,999,999: the fen left goes to 武城.
    12,000,000 + 12,000,000 + 8,366,666.67 + 4,183,333.33 = 36,550,000.00.
    """

    COUNTIES = [
        county("370405", "台儿庄区", "460000000.00", "400000000.00", "15.0"),
        county("371328", "蒙阴县", "270000000.00", "250000000.00", "8.0"),
        county("371428", "武城县", "210000000.00", "200000000.00", "5.0"),
        county("371603", "沾化区", "185000000.00", "180000000.00", "2.8"),
    ]

    @pytest.fixture
    def result(self):
        return compute_reward(SURPLUS, self.COUNTIES, RewardRule(cap=D("12000000")))

    def test_shares(self, result):
        assert result.shares == {
            "370405": D("12000000.00"),
            "371328": D("12000000.00"),
            "371428": D("8366666.67"),
            "371603": D("4183333.33"),
        }
        assert [row.capped for row in result.counties] == [True, True, False, False]
        assert [row.extra_fen for row in result.counties] == [False, False, True, False]
        assert result.counties[0].exact_share == D("12000000")

    def test_explainer_shows_each_round(self, result):
        with translation.override("en"):
            steps = result.as_json()["explainer"]

        assert [step["code"] for step in steps] == [
            "surplus",
            "eligibility",
            "weights",
            "exact_shares",
            "cap",
            "exact_shares",
            "cap",
            "exact_shares",
            "rounding",
            "result",
        ]
        first_cap, second_cap = (step for step in steps if step["code"] == "cap")
        assert first_cap["capped"] == [
            {
                "adcode": "370405",
                "name": "台儿庄区",
                "exact_share": "23084210.5263157895",
                "excess": "11084210.5263157895",
            }
        ]
        assert first_cap["formula"] == "36550000.00 − 12000000.00 = 24550000.00"
        assert second_cap["capped"][0]["exact_share"] == "14028571.4285714286"
        assert second_cap["formula"] == "24550000.00 − 12000000.00 = 12550000.00"
        last_round = [step for step in steps if step["code"] == "exact_shares"][-1]
        assert last_round["step"] == (
            "Round 3, re-share: exact share = remaining pool × weight ÷ Σ weights of the counties not held at the cap"
        )
        assert last_round["pool"] == "12550000.00"
        assert last_round["total_weight"] == "15000000.00"
        assert steps[-2]["step"] == "Rounding: largest remainder, 1 fen handed out by remainder"

    def test_a_cap_nobody_reaches_is_reported(self):
        result = compute_reward(SURPLUS, self.COUNTIES, RewardRule(cap=D("30000000.00")))

        assert result.shares["370405"] == D("23084210.53")
        caps = [step for step in result.explainer if step["code"] == "cap"]
        assert len(caps) == 1 and caps[0]["capped"] == []

    def test_a_cap_too_low_for_the_surplus_is_refused(self):
        # 4 eligible × ¥9,000,000 = ¥36,000,000 < ¥36,550,000: ¥550,000 would have nowhere to go.
        with pytest.raises(RewardRuleError) as error:
            compute_reward(SURPLUS, self.COUNTIES, RewardRule(cap=D("9000000")))

        assert error.value.code == "caps_too_low"
        with translation.override("en"):
            assert "allows at most ¥36000000.00, less than the surplus of ¥36550000.00" in str(error.value)


def test_no_eligible_county_and_a_surplus_is_refused():
    with pytest.raises(RewardRuleError) as error:
        compute_reward(SURPLUS, [ZHANHUA, QINGYUN], RewardRule())

    assert error.value.code == "no_eligible_county"


def test_a_zero_surplus_pays_nothing_and_says_why():
    result = compute_reward(D("0.00"), [ZHANHUA, QINGYUN], RewardRule())

    assert result.shares == {"371423": D("0.00"), "371603": D("0.00")}
    assert [step["code"] for step in result.explainer] == ["surplus", "eligibility", "nothing_to_share", "result"]
    json.dumps(result.as_json())


def test_a_zero_surplus_with_eligible_counties_pays_zeros():
    result = compute_reward(D("0.00"), [TAIERZHUANG, MENGYIN], RewardRule())

    assert result.shares == {"370405": D("0.00"), "371328": D("0.00")}
    assert result.as_json()["explainer"][-2]["leftover_fen"] == 0


def test_the_surplus_must_match_the_fund():
    with pytest.raises(RewardRuleError) as error:
        compute_reward(D("36550000.01"), [TAIERZHUANG], RewardRule(), fund_total=FUND_TOTAL, disbursed=DISBURSED)

    assert error.value.code == "surplus_mismatch"


def test_a_county_listed_twice_is_refused():
    with pytest.raises(RewardRuleError) as error:
        compute_reward(SURPLUS, [TAIERZHUANG, MENGYIN, TAIERZHUANG], RewardRule())

    assert error.value.code == "invalid"
    assert "370405" in str(error.value)


@pytest.mark.parametrize(
    "kwargs",
    [{"basis": "share"}, {"cap": D("-1.00")}, {"cap": D("0.001")}, {"threshold_pct": D("NaN")}],
)
def test_a_bad_rule_is_refused(kwargs):
    with pytest.raises(RewardRuleError):
        RewardRule(**kwargs)
