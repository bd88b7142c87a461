"""Serializers for funds, their ledgers, special bonds and reward runs. Input serializers only parse and check
shapes; the rules are the services'."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.api.fields import MoneySerializerField, SlugRelatedField, in_yuan, money_kwargs
from common.money import MoneyField
from funds.models import (
    Allocation,
    BondIssue,
    BondPlan,
    BondQuota,
    Disbursement,
    Fund,
    FundKind,
    RewardBasis,
    RewardRun,
    RewardRunAction,
    RewardRunEdit,
    RewardRunParticipant,
    RewardRunRole,
    RewardShare,
)
from pairing.models import Pairing, Program, Region, RegionLevel
from projects.models import Project

_money = MoneyField()


def money_input(**kwargs) -> serializers.DecimalField:
    """Yuan as a decimal string (or number) with at most two decimals."""
    return serializers.DecimalField(**money_kwargs(kwargs))


class CountyField(SlugRelatedField):
    """A county-level unit given by its 6-digit adcode."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "adcode")
        kwargs.setdefault("queryset", Region.objects.filter(level=RegionLevel.COUNTY))
        kwargs.setdefault("help_text", _("6-digit adcode of a county-level unit."))
        super().__init__(**kwargs)


class FundSerializer(serializers.ModelSerializer):
    program = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text=_("Program code."))
    allocated = MoneySerializerField(
        source="shown_allocated",
        help_text=_("Allocated to weak counties, in yuan; for a county liaison, to their county only."),
    )
    unallocated = MoneySerializerField(
        source="shown_unallocated",
        allow_null=True,
        help_text=_("Total less allocated, in yuan; null for a county liaison."),
    )
    disbursed = MoneySerializerField(
        source="shown_disbursed",
        help_text=_("Paid out of the fund's allocations so far, in yuan; for a county liaison, to their county only."),
    )
    closed = serializers.SerializerMethodField(
        help_text=_("The year is closed: nothing more is allocated or paid (POST close-year / reopen-year).")
    )

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
            "closed",
            "is_sample",
        ]
        read_only_fields = fields

    def get_closed(self, fund: Fund) -> bool:
        return fund.frozen_at is not None


class FundCreateSerializer(serializers.Serializer):
    program = SlugRelatedField(slug_field="code", queryset=Program.objects.all())
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    kind = serializers.ChoiceField(choices=FundKind.choices, default=FundKind.GUIDANCE)
    total = money_input()
    name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    pairing = serializers.PrimaryKeyRelatedField(queryset=Pairing.objects.all(), required=False, allow_null=True)


class AllocationSerializer(serializers.ModelSerializer):
    county = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    date = serializers.DateField(source="allocated_on", read_only=True)
    remaining = serializers.SerializerMethodField(help_text=_("Amount less disbursed, in yuan."))

    class Meta:
        model = Allocation
        fields = [
            "id",
            "fund",
            "county",
            "county_name",
            "project",
            "amount",
            "disbursed",
            "remaining",
            "date",
            "document_no",
            "purpose",
            "is_sample",
        ]
        read_only_fields = fields

    def get_remaining(self, allocation: Allocation) -> str:
        return format(allocation.amount - allocation.disbursed, "f")


class AllocationCreateSerializer(serializers.Serializer):
    fund = serializers.PrimaryKeyRelatedField(queryset=Fund.objects.all())
    county = CountyField()
    amount = money_input()
    date = serializers.DateField()
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all(), required=False, allow_null=True)
    document_no = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    purpose = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class DisbursementSerializer(serializers.ModelSerializer):
    date = serializers.DateField(source="paid_on", read_only=True)
    county = serializers.CharField(source="allocation.county_id", read_only=True)
    fund = serializers.IntegerField(source="allocation.fund_id", read_only=True)

    class Meta:
        model = Disbursement
        fields = ["id", "allocation", "fund", "county", "amount", "date", "document_no", "purpose", "is_sample"]
        read_only_fields = fields


class DisbursementCreateSerializer(serializers.Serializer):
    allocation = serializers.PrimaryKeyRelatedField(queryset=Allocation.objects.all())
    amount = money_input()
    date = serializers.DateField()
    document_no = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    purpose = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class BondPlanSerializer(serializers.ModelSerializer):
    program = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = BondPlan
        fields = ["id", "program", "year", "total", "assigned", "is_sample"]
        read_only_fields = fields


class BondPlanCreateSerializer(serializers.Serializer):
    program = SlugRelatedField(slug_field="code", queryset=Program.objects.all())
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    total = money_input()


class BondQuotaSerializer(serializers.ModelSerializer):
    county = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    year = serializers.IntegerField(source="plan.year", read_only=True)

    class Meta:
        model = BondQuota
        fields = ["id", "plan", "year", "county", "county_name", "quota", "issued", "is_sample"]
        read_only_fields = fields


class BondQuotaCreateSerializer(serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=BondPlan.objects.all())
    county = CountyField()
    quota = money_input()


class BondIssueSerializer(serializers.ModelSerializer):
    county = serializers.CharField(source="quota.county_id", read_only=True)

    class Meta:
        model = BondIssue
        fields = ["id", "quota", "county", "project", "amount", "issue_date", "term_years", "rate_pct", "is_sample"]
        read_only_fields = fields


class BondIssueCreateSerializer(serializers.Serializer):
    quota = serializers.PrimaryKeyRelatedField(queryset=BondQuota.objects.all())
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all(), required=False, allow_null=True)
    amount = money_input()
    issue_date = serializers.DateField()
    term_years = serializers.IntegerField(min_value=1, max_value=50)
    rate_pct = serializers.DecimalField(max_digits=5, decimal_places=3, min_value=0, max_value=20)


class RewardShareSerializer(serializers.ModelSerializer):
    county = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    main_tax_growth_pct = serializers.DecimalField(
        source="growth_pct", max_digits=24, decimal_places=12, read_only=True, allow_null=True
    )

    class Meta:
        model = RewardShare
        fields = [
            "county",
            "county_name",
            "main_tax",
            "main_tax_previous",
            "main_tax_growth_pct",
            "increment",
            "release",
            "eligible",
            "reason",
            "weight",
            "exact_share",
            "capped",
            "share",
        ]
        read_only_fields = fields


class RewardRunEditSerializer(serializers.ModelSerializer):
    by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text=_("Empty: the scheduled year-end job.")
    )
    action = serializers.ChoiceField(choices=RewardRunAction.choices, read_only=True)
    changes = serializers.JSONField(
        read_only=True,
        help_text=_("The rule as started, or each changed rule field as [before, after]; empty for a recomputation."),
    )

    class Meta:
        model = RewardRunEdit
        fields = ["by", "at", "action", "changes"]
        read_only_fields = fields


class RewardRunParticipantSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    role = serializers.ChoiceField(choices=RewardRunRole.choices, read_only=True)

    class Meta:
        model = RewardRunParticipant
        fields = ["user", "role"]
        read_only_fields = fields


class RewardRunSerializer(serializers.ModelSerializer):
    shares = serializers.SerializerMethodField()
    edits = serializers.SerializerMethodField(
        help_text=_("Every start, recomputation and rule change of the draft: who, when, what; empty for a liaison.")
    )
    participants = serializers.SerializerMethodField(
        help_text=_(
            "Each person with a hand in the run, once: editors of the draft and its approver; an editor "
            "never approves. Empty for a county liaison."
        )
    )
    explainer = serializers.SerializerMethodField(
        help_text=_("Every input, weight and step of the arithmetic, in order; empty for a county liaison.")
    )
    disbursed = MoneySerializerField(
        allow_null=True, help_text=_("Disbursed from the fund when the run was computed, in yuan; null for a liaison.")
    )
    surplus = MoneySerializerField(
        allow_null=True, help_text=_("Fund total less disbursed: what the run shares, in yuan; null for a liaison.")
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = RewardRun
        fields = [
            "id",
            "fund",
            "status",
            "period",
            "threshold_pct",
            "basis",
            "cap",
            "fund_total",
            "disbursed",
            "surplus",
            "shares",
            "explainer",
            "created_by",
            "created_at",
            "computed_at",
            "approved_by",
            "approved_at",
            "edits",
            "participants",
        ]
        extra_kwargs = {"cap": {"help_text": in_yuan(RewardRun._meta.get_field("cap").help_text)}}
        read_only_fields = fields

    def _liaison_county(self) -> str | None:
        from accounts.access import access_for

        access = access_for(self.context["request"].user)
        return access.county if access.is_liaison else None

    def to_representation(self, run: RewardRun) -> dict:
        data = super().to_representation(run)
        if self._liaison_county():
            # Σ disbursed across the counties is the province's figure, and the surplus gives it away with the
            # (public) fund total: a county liaison reads their own line only.
            data["disbursed"] = data["surplus"] = None
        return data

    @extend_schema_field(RewardShareSerializer(many=True))
    def get_shares(self, run: RewardRun) -> list[dict]:
        # A liaison sees their own county's line only.
        county = self._liaison_county()
        shares = [share for share in run.shares.all() if county is None or share.county_id == county]
        return RewardShareSerializer(shares, many=True).data

    @extend_schema_field(OpenApiTypes.ANY)
    def get_explainer(self, run: RewardRun) -> list[dict]:
        return [] if self._liaison_county() else run.explainer

    @extend_schema_field(RewardRunEditSerializer(many=True))
    def get_edits(self, run: RewardRun) -> list[dict]:
        return [] if self._liaison_county() else RewardRunEditSerializer(run.edits.all(), many=True).data

    @extend_schema_field(RewardRunParticipantSerializer(many=True))
    def get_participants(self, run: RewardRun) -> list[dict]:
        if self._liaison_county():
            return []
        return RewardRunParticipantSerializer(run.participants.all(), many=True).data


class RewardRunDiscardedSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The discarded run's id (it no longer exists)."))
    fund = serializers.IntegerField(help_text=_("Its fund, which can have a new draft."))
    discarded = serializers.BooleanField()


class YearCloseSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("true: you have read what closing the year does (nothing more is allocated or paid)."),
    )

    def validate_confirm(self, value: bool) -> bool:
        if not value:
            from funds.services import year_close_consequences

            fund = self.context["fund"]
            raise serializers.ValidationError(
                [_("Confirm closing the %(year)s year (confirm: true).") % {"year": fund.year}]
                + [str(line) for line in year_close_consequences(fund)]
            )
        return value


class RewardRunCreateSerializer(serializers.Serializer):
    fund = serializers.PrimaryKeyRelatedField(queryset=Fund.objects.all())
    threshold_pct = serializers.DecimalField(max_digits=8, decimal_places=4, required=False)
    basis = serializers.ChoiceField(choices=RewardBasis.choices, required=False)
    cap = money_input(required=False, allow_null=True, min_value=0)
