"""Serializer fields shared by the API."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.money import MoneyField


class MoneySerializerField(serializers.DecimalField):
    """Yuan as a decimal string, for annotated amounts that have no ``MoneyField`` behind them."""

    def __init__(self, **kwargs):
        model_field = MoneyField()
        kwargs.setdefault("max_digits", model_field.max_digits)
        kwargs.setdefault("decimal_places", model_field.decimal_places)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's, refusing a NUL character as its ``CharField`` does: PostgreSQL cannot compare text holding one, and
    the lookup would fail with a 500 instead of a 400."""

    default_error_messages = {"null_characters": _("Null characters are not allowed.")}

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("null_characters")
        return super().to_internal_value(data)
