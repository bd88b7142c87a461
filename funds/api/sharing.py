"""Endpoints for pair industry funds' contributions and investments and for the co-built parks' tax and output.

Reads: every role; a county liaison only the rows of pairings their county is part of (either side). Writes (POST):
provincial and finance officers, through the services; corrections are new entries, so there is no PUT or DELETE.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.filters import OrderingFilter

from accounts.access import pairing_q
from accounts.api import MONEY_WRITERS, ScopedQuerysetMixin
from common.api.filters import AdcodeFilter, IntegerFilter
from common.api.viewsets import ServiceCreateViewSet
from funds import services
from funds.models import FundContribution, FundInvestment, ParkLedgerEntry, ParkLedgerShare

from . import sharing_serializers as s

TAGS = ["funds"]


class _ListRetrieveCreateViewSet(ScopedQuerysetMixin, ServiceCreateViewSet):
    """Pair funds' and parks' money records: created by provincial and finance officers, through the services."""

    write_roles = MONEY_WRITERS
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]


def _create_schema(input_serializer, output_serializer, summary):
    return extend_schema(
        summary=summary,
        request=input_serializer,
        responses={201: output_serializer, 400: OpenApiResponse(description=_("The rules refuse the entry."))},
    )


# --- Pair industry funds ---------------------------------------------------------------------------------------------


class FundContributionFilter(filters.FilterSet):
    fund = IntegerFilter(field_name="fund")
    pairing = IntegerFilter(field_name="fund__pairing")
    county = AdcodeFilter(field_name="county")
    year = IntegerFilter(field_name="fund__year")

    class Meta:
        model = FundContribution
        fields = ["fund", "pairing", "county", "year"]


class FundInvestmentFilter(filters.FilterSet):
    fund = IntegerFilter(field_name="fund")
    pairing = IntegerFilter(field_name="fund__pairing")
    project = IntegerFilter(field_name="project")
    year = IntegerFilter(field_name="fund__year")

    class Meta:
        model = FundInvestment
        fields = ["fund", "pairing", "project", "year"]


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List contributions to pair industry funds")),
    retrieve=extend_schema(summary=_("Get a fund contribution")),
    create=_create_schema(
        s.FundContributionCreateSerializer, s.FundContributionSerializer, _("Record a partner's contribution")
    ),
)
class FundContributionViewSet(_ListRetrieveCreateViewSet):
    """Capital the two counties of a pairing pay into their pair industry fund (出资); Σ contributions never pass
    the fund's total, also under concurrent writes, and nothing is booked once the fund's year is closed."""

    queryset = FundContribution.objects.select_related("fund", "county").order_by("fund", "paid_on", "id")
    serializer_class = s.FundContributionSerializer
    input_serializer_class = s.FundContributionCreateSerializer
    liaison_q = staticmethod(lambda county: pairing_q(county, "fund__pairing__"))
    filterset_class = FundContributionFilter
    ordering_fields = ["paid_on", "amount", "id"]

    def create_with(self, data: dict) -> FundContribution:
        return services.fund_contribution_create(**data)


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List investments of pair industry funds")),
    retrieve=extend_schema(summary=_("Get a fund investment")),
    create=_create_schema(
        s.FundInvestmentCreateSerializer, s.FundInvestmentSerializer, _("Record an investment in a project")
    ),
)
class FundInvestmentViewSet(_ListRetrieveCreateViewSet):
    """Money a pair industry fund puts into projects of its pairing (投资); Σ investments never pass what the
    partners have paid in."""

    queryset = FundInvestment.objects.select_related("fund", "project").order_by("fund", "invested_on", "id")
    serializer_class = s.FundInvestmentSerializer
    input_serializer_class = s.FundInvestmentCreateSerializer
    liaison_q = staticmethod(lambda county: pairing_q(county, "fund__pairing__"))
    filterset_class = FundInvestmentFilter
    ordering_fields = ["invested_on", "amount", "id"]

    def create_with(self, data: dict) -> FundInvestment:
        return services.fund_investment_create(**data)


# --- Co-built parks' tax and output ----------------------------------------------------------------------------------


class ParkLedgerFilter(filters.FilterSet):
    park = IntegerFilter(field_name="park")
    pairing = IntegerFilter(field_name="park__pairing")
    period = filters.CharFilter(field_name="period", label=_("Period (2025 or 2025-09)"))

    class Meta:
        model = ParkLedgerEntry
        fields = ["park", "pairing", "period"]


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List co-built parks' tax and output")),
    retrieve=extend_schema(summary=_("Get a park's tax and output for a period with the partners' shares")),
    create=_create_schema(
        s.ParkLedgerEntryCreateSerializer, s.ParkLedgerEntrySerializer, _("Record a park's tax and output")
    ),
)
class ParkLedgerViewSet(_ListRetrieveCreateViewSet):
    """A co-built park's tax revenue and output value per period (a year or a month), split between its partner
    counties at their agreed ratios to the fen, by the largest-remainder method, so the shares sum exactly to the
    park's figures. One entry per park and period."""

    queryset = (
        ParkLedgerEntry.objects.select_related("park", "recorded_by")
        .prefetch_related(Prefetch("shares", queryset=ParkLedgerShare.objects.select_related("county")))
        .order_by("park", "-period", "id")
    )
    serializer_class = s.ParkLedgerEntrySerializer
    input_serializer_class = s.ParkLedgerEntryCreateSerializer
    liaison_q = staticmethod(lambda county: pairing_q(county, "park__pairing__"))
    filterset_class = ParkLedgerFilter
    ordering_fields = ["period", "tax", "output", "id"]

    def create_with(self, data: dict) -> ParkLedgerEntry:
        return services.park_ledger_record(**data, by=self.request.user)
