"""Money helpers: yuan built from strings, shown in 万元 / 亿元 with separators and half-up rounding."""

from decimal import Decimal

import pytest

from common.money import format_money, format_wan, format_yi, yuan


class TestYuan:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("1234.5", Decimal("1234.50")),
            ("0.005", Decimal("0.01")),  # half-up, not banker's rounding (which would give 0.00)
            ("0.015", Decimal("0.02")),
            ("0.025", Decimal("0.03")),  # banker's rounding would give 0.02
            ("-0.025", Decimal("-0.03")),
            ("0.004", Decimal("0.00")),
            (200000000, Decimal("200000000.00")),
            (Decimal("3.14159"), Decimal("3.14")),
        ],
    )
    def test_quantizes_to_the_fen_half_up(self, value, expected):
        result = yuan(value)

        assert result == expected
        assert result.as_tuple().exponent == -2

    def test_refuses_floats(self):
        with pytest.raises(TypeError):
            yuan(0.1)

    def test_string_keeps_exact_value_a_float_would_lose(self):
        assert yuan("0.1") + yuan("0.2") == yuan("0.3")


class TestFormatWan:
    @pytest.mark.parametrize(
        ("amount", "expected"),
        [
            (Decimal("1234500"), "123.45 万元"),
            (Decimal("0"), "0.00 万元"),
            (Decimal("250"), "0.03 万元"),  # 0.025 万 rounds half-up
            (Decimal("249.99"), "0.02 万元"),
            (Decimal("-250"), "-0.03 万元"),
            (Decimal("123456789012.34"), "12,345,678.90 万元"),
            (Decimal("200000000"), "20,000.00 万元"),
        ],
    )
    def test_formats(self, amount, expected):
        assert format_wan(amount) == expected

    def test_places(self):
        assert format_wan(Decimal("1234500"), places=0) == "123 万元"
        assert format_wan(Decimal("1235000"), places=0) == "124 万元"  # 123.5 rounds up
        assert format_wan(Decimal("1234500"), places=1) == "123.5 万元"

    def test_none_is_a_dash(self):
        assert format_wan(None) == "—"

    def test_accepts_integers(self):
        assert format_wan(50000) == "5.00 万元"


class TestFormatYi:
    @pytest.mark.parametrize(
        ("amount", "expected"),
        [
            (Decimal("300000000"), "3.00 亿元"),
            (Decimal("2000000000"), "20.00 亿元"),
            (Decimal("12345678901234"), "123,456.79 亿元"),
            (Decimal("1500000"), "0.02 亿元"),  # 0.015 亿 rounds half-up
            (Decimal("-200000000"), "-2.00 亿元"),
        ],
    )
    def test_formats(self, amount, expected):
        assert format_yi(amount) == expected

    def test_none_is_a_dash(self):
        assert format_yi(None) == "—"


class TestFormatMoney:
    @pytest.mark.parametrize(
        ("amount", "expected"),
        [
            (Decimal("100000000"), "1.00 亿元"),  # from one hundred million on: 亿元
            (Decimal("99999999"), "1.00 亿元"),  # rounds to 10,000.00 万元: shown as 亿元
            (Decimal("99994999.99"), "9,999.50 万元"),  # just below: still 万元
            (Decimal("50000000"), "5,000.00 万元"),
            (Decimal("-300000000"), "-3.00 亿元"),  # the unit follows the magnitude
            (Decimal("-5000"), "-0.50 万元"),
            (Decimal("0"), "0.00 万元"),
        ],
    )
    def test_picks_the_unit(self, amount, expected):
        assert format_money(amount) == expected

    def test_none_is_a_dash(self):
        assert format_money(None) == "—"
