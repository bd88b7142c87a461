"""Serializer fields shared by the API."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override
from rest_framework import serializers

from common.money import MoneyField


def in_yuan(help_text=None):
    """A money field's description for the API schema: what it is, then its unit (the API's amounts are yuan, while
    people type 万元 on the forms)."""
    unit = MoneyField().help_text
    if not help_text:
        return unit
    with override("en"):
        if "yuan" in str(help_text):
            return help_text
    return format_lazy("{} {}", help_text, unit)


def money_kwargs(kwargs: dict) -> dict:
    """``kwargs`` of a yuan ``DecimalField``: the MoneyField's digits and a description that names the unit."""
    model_field = MoneyField()
    kwargs.setdefault("max_digits", model_field.max_digits)
    kwargs.setdefault("decimal_places", model_field.decimal_places)
    kwargs["help_text"] = in_yuan(kwargs.get("help_text"))
    return kwargs


class MoneySerializerField(serializers.DecimalField):
    """Yuan as a decimal string, for annotated amounts that have no ``MoneyField`` behind them."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**money_kwargs(kwargs))


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's, refusing a NUL character as its ``CharField`` does: PostgreSQL cannot compare text holding one, and
    the lookup would fail with a 500 instead of a 400."""

    default_error_messages = {"null_characters": _("Null characters are not allowed.")}

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("null_characters")
        return super().to_internal_value(data)
