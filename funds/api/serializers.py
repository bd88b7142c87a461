"""Read serializers for funds."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.api.fields import MoneySerializerField
from funds.models import Fund


class FundSerializer(serializers.ModelSerializer):
    program = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text=_("Program code."))
    unallocated = MoneySerializerField(help_text=_("Total less allocated, in yuan."))
    disbursed = MoneySerializerField(help_text=_("Paid out of the fund's allocations so far, in yuan."))

    class Meta:
        model = Fund
        fields = [
            "id",
            "program",
            "year",
            "kind",
            "pairing",
            "name",
            "total",
            "allocated",
            "unallocated",
            "disbursed",
            "is_sample",
        ]
        read_only_fields = fields
