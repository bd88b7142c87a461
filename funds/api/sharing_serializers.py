"""Serializers for pair industry funds' contributions and investments and for the co-built parks' tax and output
ledger. The input serializers only parse and check shapes; the rules are the services'."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.api.fields import SlugRelatedField, money_kwargs
from common.money import MoneyField
from funds.models import Fund, FundContribution, FundInvestment, ParkLedgerEntry, ParkLedgerShare
from pairing.api.serializers import RegionRefSerializer
from pairing.models import Park, Region, RegionLevel
from projects.models import Project

_money = MoneyField()


def money_input(**kwargs) -> serializers.DecimalField:
    """Yuan as a decimal string (or number) with at most two decimals."""
    return serializers.DecimalField(**money_kwargs(kwargs))


def _document_no() -> serializers.CharField:
    return serializers.CharField(
        max_length=128, required=False, allow_blank=True, default="", help_text=_("Number of the payment document.")
    )


def _is_sample() -> serializers.BooleanField:
    return serializers.BooleanField(default=False, help_text=_("Demonstration data, not a documented record."))


# --- Pair industry funds ---------------------------------------------------------------------------------------------


class FundContributionSerializer(serializers.ModelSerializer):
    county = serializers.SlugRelatedField(slug_field="adcode", read_only=True, help_text=_("Adcode of the county."))
    county_name = serializers.CharField(source="county.name", read_only=True)
    pairing = serializers.IntegerField(source="fund.pairing_id", read_only=True, help_text=_("The fund's pairing."))

    class Meta:
        model = FundContribution
        fields = ["id", "fund", "pairing", "county", "county_name", "amount", "paid_on", "document_no", "is_sample"]
        read_only_fields = fields


class FundContributionCreateSerializer(serializers.Serializer):
    fund = serializers.PrimaryKeyRelatedField(queryset=Fund.objects.all(), help_text=_("Id of a pair industry fund."))
    county = SlugRelatedField(
        slug_field="adcode",
        queryset=Region.objects.filter(level=RegionLevel.COUNTY),
        help_text=_("Adcode of the paying county: one of the two counties of the fund's pairing."),
    )
    amount = money_input(help_text=_("In yuan, greater than zero."))
    paid_on = serializers.DateField()
    document_no = _document_no()
    is_sample = _is_sample()


class FundInvestmentSerializer(serializers.ModelSerializer):
    pairing = serializers.IntegerField(source="fund.pairing_id", read_only=True, help_text=_("The fund's pairing."))
    project_code = serializers.CharField(source="project.code", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)

    class Meta:
        model = FundInvestment
        fields = [
            "id",
            "fund",
            "pairing",
            "project",
            "project_code",
            "project_name",
            "amount",
            "invested_on",
            "document_no",
            "is_sample",
        ]
        read_only_fields = fields


class FundInvestmentCreateSerializer(serializers.Serializer):
    fund = serializers.PrimaryKeyRelatedField(queryset=Fund.objects.all(), help_text=_("Id of a pair industry fund."))
    project = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.all(), help_text=_("Id of a project of the fund's pairing.")
    )
    amount = money_input(help_text=_("In yuan, greater than zero."))
    invested_on = serializers.DateField()
    document_no = _document_no()
    is_sample = _is_sample()


# --- Co-built parks' tax and output ----------------------------------------------------------------------------------


class ParkLedgerShareSerializer(serializers.ModelSerializer):
    county = RegionRefSerializer(read_only=True)

    class Meta:
        model = ParkLedgerShare
        fields = ["county", "tax_share_pct", "tax", "output_share_pct", "output"]
        read_only_fields = fields


class ParkLedgerEntrySerializer(serializers.ModelSerializer):
    pairing = serializers.IntegerField(source="park.pairing_id", read_only=True, help_text=_("The park's pairing."))
    park_name = serializers.CharField(source="park.name", read_only=True)
    recorded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text=_("Username of who recorded the figures.")
    )
    shares = ParkLedgerShareSerializer(
        many=True,
        read_only=True,
        help_text=_("Each partner county's part at the ratios agreed when recorded; they sum exactly to the park's."),
    )

    class Meta:
        model = ParkLedgerEntry
        fields = [
            "id",
            "park",
            "park_name",
            "pairing",
            "period",
            "tax",
            "output",
            "note",
            "shares",
            "recorded_by",
            "recorded_at",
            "is_sample",
        ]
        read_only_fields = fields


class ParkLedgerEntryCreateSerializer(serializers.Serializer):
    park = serializers.PrimaryKeyRelatedField(queryset=Park.objects.all(), help_text=_("Id of the co-built park."))
    period = serializers.CharField(max_length=7, help_text=_("A year (2025) or a month (2025-09), not in the future."))
    tax = money_input(help_text=_("The park's tax revenue for the period, in yuan."))
    output = money_input(help_text=_("The park's output value for the period, in yuan."))
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    is_sample = _is_sample()
