"""Money: yuan as ``Decimal`` with two places, shown to people in 万元 (10⁴) or 亿元 (10⁸)."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

FEN = Decimal("0.01")
WAN = Decimal("10000")
YI = Decimal("100000000")


def yuan(value: str | int | Decimal) -> Decimal:
    """Build a yuan amount from a string or integer, quantized to the fen. Floats are refused on purpose."""
    if isinstance(value, float):
        raise TypeError("Money is never built from a float; pass a string.")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def _grouped(amount: Decimal, places: int) -> str:
    quantized = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{quantized:,.{places}f}"


def wan_number(amount: Decimal | None, places: int = 2) -> str:
    """¥1,234,500.00 → '123.45': the figure of a column whose header names the unit (万元)."""
    if amount is None:
        return "—"
    return _grouped(Decimal(amount) / WAN, places)


def format_wan(amount: Decimal | None, places: int = 2) -> str:
    """¥1,234,500.00 → '123.45 万元'."""
    if amount is None:
        return "—"
    return f"{_grouped(Decimal(amount) / WAN, places)} 万元"


def format_yi(amount: Decimal | None, places: int = 2) -> str:
    """¥300,000,000 → '3.00 亿元'."""
    if amount is None:
        return "—"
    return f"{_grouped(Decimal(amount) / YI, places)} 亿元"


def format_money(amount: Decimal | None) -> str:
    """The unit a Chinese report would use: 亿元 from one hundred million, otherwise 万元."""
    if amount is None:
        return "—"
    # Decide on the rounded figure, so ¥99,999,999.99 reads 1.00 亿元 rather than 10,000.00 万元.
    in_wan = (Decimal(amount) / WAN).quantize(FEN, rounding=ROUND_HALF_UP)
    if abs(in_wan) >= YI / WAN:
        return format_yi(amount)
    return format_wan(amount)


class MoneyField(models.DecimalField):
    """Yuan, two decimal places; large enough for provincial totals."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 16)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("help_text", _("In yuan."))
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        """People type 万元 on every model form (the admin's included); the field cleans it to yuan."""
        from common.forms import WanField, WanInput

        defaults = {"form_class": WanField, "widget": WanInput, "help_text": ""}
        # Skip DecimalField.formfield: its DecimalField/NumberInput would take over.
        return models.Field.formfield(self, **{**defaults, **kwargs})

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "common.money.MoneyField", args, kwargs
