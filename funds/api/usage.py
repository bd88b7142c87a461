"""Read-only usage endpoints: how a fund and a special-bond plan are used, county by county.

``GET /api/v1/fund-usage/{fund_id}/`` and ``GET /api/v1/bond-usage/{plan_id}/`` return ``funds.selectors``'
results. Officers, finance officers and leaders see every county; a county liaison sees only their own county's row
(and its totals), and a fund or plan with nothing for their county does not exist for them (404).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP

from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from accounts.access import access_for
from accounts.api import ScopedQuerysetMixin
from common.api.fields import MoneySerializerField
from funds.models import Allocation, BondPlan, BondQuota, Fund, FundKind
from funds.selectors import bond_usage, fund_usage
from projects.models import Stage


class RateField(serializers.DecimalField):
    """A percentage as a decimal string with two places (rounded half up); null when there is no base."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 6)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("rounding", ROUND_HALF_UP)
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)


# --- Funds ---------------------------------------------------------------------------------------------------------


class FundFiguresSerializer(serializers.Serializer):
    allocations = serializers.IntegerField(read_only=True, help_text=_("Number of allocations."))
    allocated = MoneySerializerField(help_text=_("Allocated, in yuan."))
    disbursed = MoneySerializerField(help_text=_("Paid out of those allocations, in yuan."))
    remaining = MoneySerializerField(help_text=_("Allocated less disbursed, in yuan."))
    disbursement_rate_pct = RateField(help_text=_("Disbursed as a percentage of allocated."))


class CountyFundUsageSerializer(FundFiguresSerializer):
    county = serializers.CharField(source="county.adcode", read_only=True, help_text=_("County adcode."))
    county_name = serializers.CharField(source="county.name", read_only=True)


class FundUsageSerializer(serializers.Serializer):
    fund = serializers.IntegerField(source="fund.pk", read_only=True, help_text=_("Fund id."))
    program = serializers.CharField(source="fund.program.code", read_only=True, help_text=_("Program code."))
    year = serializers.IntegerField(source="fund.year", read_only=True)
    kind = serializers.ChoiceField(source="fund.kind", choices=FundKind.choices, read_only=True)
    name = serializers.CharField(source="fund.name", read_only=True)
    total = MoneySerializerField(help_text=_("The fund's total, in yuan."))
    allocated = MoneySerializerField(help_text=_("Allocated to weak counties, in yuan."))
    unallocated = MoneySerializerField(
        allow_null=True, help_text=_("Total less allocated, in yuan; null for a county liaison.")
    )
    disbursed = MoneySerializerField(help_text=_("Paid out of the fund's allocations, in yuan."))
    undisbursed = MoneySerializerField(help_text=_("Allocated but not yet paid out, in yuan."))
    surplus = MoneySerializerField(
        allow_null=True,
        help_text=_("Total less disbursed, in yuan: what a year-end reward run shares; null for a county liaison."),
    )
    disbursement_rate_pct = RateField(help_text=_("Disbursed as a percentage of allocated."))
    counties = CountyFundUsageSerializer(many=True, read_only=True, help_text=_("One row per weak county."))
    counties_total = FundFiguresSerializer(read_only=True, help_text=_("The sums of the rows in counties."))


def fund_usage_liaison_q(county: str) -> Q:
    """A liaison sees the funds that allocated something to their county."""
    return Q(Exists(Allocation.objects.filter(fund=OuterRef("pk"), county=county)))


@extend_schema(tags=["funds"])
class FundUsageViewSet(ScopedQuerysetMixin, GenericViewSet):
    """How a fund is used: its total, allocated, disbursed and what is left, and the same per weak county.
    Amounts in yuan. A county liaison sees only their own county's row, and the fund's figures are their county's
    (the total, the fund's announced size, stays; unallocated and surplus, which would give the province's figures
    away, are null)."""

    queryset = Fund.objects.select_related("program")
    serializer_class = FundUsageSerializer
    liaison_q = staticmethod(fund_usage_liaison_q)
    lookup_url_kwarg = "fund_id"
    lookup_value_regex = r"[0-9]+"
    filter_backends: list = []
    pagination_class = None

    @extend_schema(
        summary=_("Get a fund's usage"),
        parameters=[OpenApiParameter("fund_id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("Fund id."))],
        responses=FundUsageSerializer,
    )
    def retrieve(self, request: Request, fund_id: str) -> Response:
        fund = get_object_or_404(self.get_queryset(), pk=fund_id)
        access = access_for(request.user)
        usage = fund_usage(fund=fund, county=access.county if access.is_liaison else None)
        return Response(self.get_serializer(usage).data)


# --- Special bonds -------------------------------------------------------------------------------------------------


class BondIssueUsageSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="issue.pk", read_only=True)
    project = serializers.IntegerField(source="issue.project_id", read_only=True, allow_null=True)
    project_code = serializers.CharField(source="issue.project.code", read_only=True, allow_null=True)
    project_name = serializers.CharField(source="issue.project.name", read_only=True, allow_null=True)
    project_stage = serializers.ChoiceField(
        source="issue.project.stage", choices=Stage.choices, read_only=True, allow_null=True
    )
    project_not_started = serializers.BooleanField(
        read_only=True, help_text=_("Issued for a project still in the pipeline or only signed.")
    )
    amount = MoneySerializerField(source="issue.amount", help_text=_("In yuan."))
    issue_date = serializers.DateField(source="issue.issue_date", read_only=True)
    term_years = serializers.IntegerField(source="issue.term_years", read_only=True)
    rate_pct = serializers.DecimalField(
        source="issue.rate_pct", max_digits=5, decimal_places=3, read_only=True, help_text=_("Coupon rate (%).")
    )


class BondFiguresSerializer(serializers.Serializer):
    quota = MoneySerializerField(help_text=_("Quota, in yuan."))
    issued = MoneySerializerField(help_text=_("Issued against the quota, in yuan."))
    remaining = MoneySerializerField(help_text=_("Quota less issued, in yuan."))
    usage_rate_pct = RateField(help_text=_("Issued as a percentage of the quota."))
    issue_count = serializers.IntegerField(read_only=True)
    issues_not_started = serializers.IntegerField(
        read_only=True, help_text=_("Issues for projects that have not started.")
    )


class CountyBondUsageSerializer(BondFiguresSerializer):
    county = serializers.CharField(source="county.adcode", read_only=True, help_text=_("County adcode."))
    county_name = serializers.CharField(source="county.name", read_only=True)
    issues = BondIssueUsageSerializer(many=True, read_only=True)


class BondUsageSerializer(serializers.Serializer):
    plan = serializers.IntegerField(source="plan.pk", read_only=True, help_text=_("Special-bond plan id."))
    program = serializers.CharField(source="plan.program.code", read_only=True, help_text=_("Program code."))
    year = serializers.IntegerField(source="plan.year", read_only=True)
    total = MoneySerializerField(help_text=_("The plan's total quota, in yuan."))
    assigned = MoneySerializerField(help_text=_("Assigned to counties, in yuan."))
    unassigned = MoneySerializerField(help_text=_("Total less assigned, in yuan."))
    issued = MoneySerializerField(help_text=_("Issued, in yuan."))
    unissued = MoneySerializerField(help_text=_("Assigned but not yet issued, in yuan."))
    usage_rate_pct = RateField(help_text=_("Issued as a percentage of assigned."))
    counties = CountyBondUsageSerializer(many=True, read_only=True, help_text=_("One row per county quota."))
    counties_total = BondFiguresSerializer(read_only=True, help_text=_("The sums of the rows in counties."))


def bond_usage_liaison_q(county: str) -> Q:
    """A liaison sees the plans that gave their county a quota."""
    return Q(Exists(BondQuota.objects.filter(plan=OuterRef("pk"), county=county)))


@extend_schema(tags=["funds"])
class BondUsageViewSet(ScopedQuerysetMixin, GenericViewSet):
    """How a special-bond plan is used: its quota, what is assigned and issued, and per county the quota, issued,
    remaining, usage rate and issues, with bonds for projects that have not started flagged. Amounts in yuan; a
    county liaison sees only their own county's row."""

    queryset = BondPlan.objects.select_related("program")
    serializer_class = BondUsageSerializer
    liaison_q = staticmethod(bond_usage_liaison_q)
    lookup_url_kwarg = "plan_id"
    lookup_value_regex = r"[0-9]+"
    filter_backends: list = []
    pagination_class = None

    @extend_schema(
        summary=_("Get a special-bond plan's usage"),
        parameters=[
            OpenApiParameter("plan_id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("Special-bond plan id."))
        ],
        responses=BondUsageSerializer,
    )
    def retrieve(self, request: Request, plan_id: str) -> Response:
        plan = get_object_or_404(self.get_queryset(), pk=plan_id)
        access = access_for(request.user)
        usage = bond_usage(plan=plan, county=access.county if access.is_liaison else None)
        return Response(self.get_serializer(usage).data)
