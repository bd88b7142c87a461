"""Form fields shared by the admin and the liaison pages: money is typed in 万元 and stored in yuan.

People think in 万元 and paste figures with thousands separators; the database keeps yuan to the fen. ``WanField``
turns "1,000.5" into ``Decimal("10005000.00")`` exactly (never through a float), and ``WanInput`` puts the unit beside
the box so nobody types yuan into a 万元 box or the reverse. Every ``common.money.MoneyField`` gets this field on a
model form (the admin's included); the API keeps yuan.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from common.money import FEN, WAN

WAN_PLACES = 6  # 万元 to six places is yuan to the fen: every stored amount can be shown and saved back unchanged
WAN_LIMIT = Decimal("1e10")  # 10¹⁰ 万元 = 10¹⁴ yuan: the largest MoneyField (16 digits, 2 places)
# Separators and full-width characters people paste from spreadsheets and Chinese input methods.
_TYPED = str.maketrans({",": None, "，": None, " ": None, "\u00a0": None, "\u3000": None, "－": "-", "．": "."})


def typed_number(text: str) -> str:
    """A number as people type it (thousands separators, full-width characters) in plain ASCII."""
    return text.translate(_TYPED)


def wan_text(amount: Decimal | None) -> str:
    """Yuan → the 万元 figure a person types: at least two decimals, at most six (exact to the fen)."""
    if amount is None:
        return ""
    text = f"{(Decimal(amount) / WAN).quantize(Decimal(1).scaleb(-WAN_PLACES)):f}"
    whole, _dot, decimals = text.partition(".")
    return f"{whole}.{decimals.rstrip('0').ljust(2, '0')}"


class WanInput(forms.TextInput):
    """A text box for an amount in 万元 with the unit written beside it."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(
            attrs={"inputmode": "decimal", "autocomplete": "off", "class": "amount wan-amount", **(attrs or {})}
        )

    def render(self, name, value, attrs=None, renderer=None) -> str:
        box = super().render(name, value, attrs, renderer)
        return format_html('<span class="wan-field">{}<span class="unit">{}</span></span>', box, _("10k yuan"))


class WanField(forms.CharField):
    """An amount in 万元, cleaned to yuan as an exact ``Decimal``: separators accepted, at most six decimal places
    (the fen), negatives refused unless ``allow_negative``."""

    default_error_messages = {
        "invalid": _("Enter an amount in 万元, e.g. 1234.5678."),
        "places": _("Enter at most six decimal places (万元 to the fen)."),
        "too_large": _("The amount is too large."),
        "negative": _("The amount cannot be negative."),
    }

    def __init__(self, *, allow_negative: bool = False, **kwargs) -> None:
        self.allow_negative = allow_negative
        # What a model field's formfield() passes for a DecimalField has no meaning for a text box.
        for ignored in ("max_digits", "decimal_places", "min_value", "max_value", "step_size", "localize"):
            kwargs.pop(ignored, None)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "amount"})
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return wan_text(value)
        return value

    def to_python(self, value) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        text = typed_number(text)
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not amount.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if abs(amount) >= WAN_LIMIT:
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -WAN_PLACES:
            raise ValidationError(self.error_messages["places"], code="places")
        if amount < 0 and not self.allow_negative:
            raise ValidationError(self.error_messages["negative"], code="negative")
        # Exact: at most six decimal places times 10⁴ leaves at most two.
        return (amount * WAN).quantize(FEN)

    def has_changed(self, initial, data) -> bool:
        try:
            return self.to_python(data) != (
                Decimal(initial).quantize(FEN) if initial not in self.empty_values else None
            )
        except ValidationError:
            return True
