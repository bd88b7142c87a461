"""Serializer fields shared by the API."""

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
