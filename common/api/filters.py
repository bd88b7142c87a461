"""Filter pieces shared by the API's filter sets."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

adcode_validator = RegexValidator(r"^[0-9]{6}$", _("Enter a 6-digit adcode."))


class AdcodeFilter(filters.CharFilter):
    """A region given by its 6-digit adcode; anything else is a 400, not an empty page."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [adcode_validator])
        super().__init__(*args, **kwargs)


class ProgramCodeFilter(filters.CharFilter):
    """A program given by its code (``sd-2024``); ``field_name`` is the path to the program's code."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Program code"))
        super().__init__(*args, **kwargs)


# The range of the database's integer columns. Django keeps a query on a model's own integer field inside it, but
# not one through a foreign key (``?fund=10000000000000000000``): the driver would overflow, a 500.
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


class IntegerFilter(filters.NumberFilter):
    """A whole number such as a row id or a year; ``NumberFilter`` alone would accept ``1.5`` and truncate it. One
    outside the database's integer range is a 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", BIGINT_MIN)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)
