"""``/api/v1/cross-county-orders/``, ``/api/v1/promotion-events/`` and ``/api/v1/secondments/``: the other
cooperation that counts (产销对接, 协同招商, 干部挂职 / 人才交流).

Reads: every role; a county liaison only the records of the pairings their county is part of (either side) — the
others are absent from lists and a 404 on detail. Writes (POST): provincial officers for every pairing, county
liaisons for their own pairings, through ``projects.cooperation``; a pairing the writer may not write for does not
exist for the payload (400, not a leak). Corrections are new entries: there is no PUT, PATCH or DELETE.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.filters import OrderingFilter

from accounts.access import pairing_q
from accounts.api import ScopedQuerysetMixin
from accounts.models import Role
from common.api.fields import money_kwargs
from common.api.filters import AdcodeFilter, IntegerFilter, ProgramCodeFilter
from common.api.viewsets import ServiceCreateViewSet
from common.money import MoneyField
from pairing.models import Pairing, Region, RegionLevel
from projects.cooperation import (
    cross_county_order_create,
    pairings_writable_by,
    promotion_event_create,
    secondment_create,
)
from projects.models import CrossCountyOrder, PromotionEvent, Secondment, SecondmentKind

TAGS = ["projects"]
_money = MoneyField()


def _money_input(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(**money_kwargs(kwargs))


class CountyField(serializers.SlugRelatedField):
    """A county-level unit given by its 6-digit adcode."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("slug_field", "adcode")
        kwargs.setdefault("queryset", Region.objects.filter(level=RegionLevel.COUNTY))
        kwargs.setdefault("help_text", _("6-digit adcode of one of the pairing's two counties."))
        super().__init__(**kwargs)


# --- Output ----------------------------------------------------------------------------------------------------------


class _CooperationSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="pairing.program.code", read_only=True, help_text=_("Program code."))


class CrossCountyOrderSerializer(_CooperationSerializer):
    seller_county = serializers.CharField(source="seller_county_id", read_only=True, help_text=_("Adcode."))
    seller_county_name = serializers.CharField(source="seller_county.name", read_only=True)

    class Meta:
        model = CrossCountyOrder
        fields = [
            "id",
            "program",
            "pairing",
            "buyer",
            "seller",
            "seller_county",
            "seller_county_name",
            "goods",
            "amount",
            "signed_date",
            "is_sample",
        ]
        read_only_fields = fields


class PromotionEventSerializer(_CooperationSerializer):
    class Meta:
        model = PromotionEvent
        fields = [
            "id",
            "program",
            "pairing",
            "title",
            "held_on",
            "location",
            "projects_signed",
            "intended_investment",
            "is_sample",
        ]
        read_only_fields = fields


class SecondmentSerializer(_CooperationSerializer):
    from_county = serializers.CharField(source="from_county_id", read_only=True, help_text=_("Adcode."))
    from_county_name = serializers.CharField(source="from_county.name", read_only=True)
    to_county = serializers.CharField(source="to_county_id", read_only=True, help_text=_("Adcode."))
    to_county_name = serializers.CharField(source="to_county.name", read_only=True)

    class Meta:
        model = Secondment
        fields = [
            "id",
            "program",
            "pairing",
            "kind",
            "person",
            "from_county",
            "from_county_name",
            "to_county",
            "to_county_name",
            "post",
            "start_date",
            "end_date",
            "is_sample",
        ]
        read_only_fields = fields


# --- Input: shapes only; the rules are the services' ----------------------------------------------------------------


class _CooperationCreateSerializer(serializers.Serializer):
    pairing = serializers.PrimaryKeyRelatedField(
        queryset=Pairing.objects.none(), help_text=_("Pairing id: one the writer may record cooperation for.")
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        # A pairing the writer may not write for does not exist for this payload: 400, not a leak.
        self.fields["pairing"].queryset = pairings_writable_by(request.user if request else None)


class CrossCountyOrderCreateSerializer(_CooperationCreateSerializer):
    buyer = serializers.CharField(max_length=255)
    seller = serializers.CharField(max_length=255)
    seller_county = CountyField()
    goods = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    amount = _money_input(help_text=_("In yuan, greater than zero."))
    signed_date = serializers.DateField()


class PromotionEventCreateSerializer(_CooperationCreateSerializer):
    title = serializers.CharField(max_length=255)
    held_on = serializers.DateField()
    location = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    projects_signed = serializers.IntegerField(required=False, default=0, max_value=100_000)
    intended_investment = _money_input(required=False, default="0.00", help_text=_("In yuan."))


class SecondmentCreateSerializer(_CooperationCreateSerializer):
    kind = serializers.ChoiceField(choices=SecondmentKind.choices, required=False, default=SecondmentKind.CADRE)
    person = serializers.CharField(max_length=64)
    from_county = CountyField()
    to_county = CountyField()
    post = serializers.CharField(max_length=255)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True, default=None)


# --- Filters ---------------------------------------------------------------------------------------------------------


class _CooperationFilter(filters.FilterSet):
    program = ProgramCodeFilter(field_name="pairing__program__code")
    pairing = IntegerFilter(field_name="pairing")
    county = AdcodeFilter(method="filter_county", label=_("County adcode, strong or weak side of the pairing"))
    is_sample = filters.BooleanFilter()

    def filter_county(self, queryset, name: str, value: str):
        return queryset.filter(pairing_q(value, "pairing__"))


class CrossCountyOrderFilter(_CooperationFilter):
    class Meta:
        model = CrossCountyOrder
        fields = ["program", "pairing", "county", "is_sample"]


class PromotionEventFilter(_CooperationFilter):
    class Meta:
        model = PromotionEvent
        fields = ["program", "pairing", "county", "is_sample"]


class SecondmentFilter(_CooperationFilter):
    kind = filters.ChoiceFilter(choices=SecondmentKind.choices)

    class Meta:
        model = Secondment
        fields = ["program", "pairing", "county", "kind", "is_sample"]


# --- Views -----------------------------------------------------------------------------------------------------------


class _CooperationViewSet(ScopedQuerysetMixin, ServiceCreateViewSet):
    """Cooperation records: created by provincial officers for every pairing and by county liaisons for their own,
    through ``projects.cooperation``."""

    write_roles = frozenset({Role.OFFICER, Role.LIAISON})
    liaison_q = staticmethod(lambda county: pairing_q(county, "pairing__"))
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]


def _create_schema(input_serializer, output_serializer, summary):
    return extend_schema(
        summary=summary,
        request=input_serializer,
        responses={
            201: output_serializer,
            400: OpenApiResponse(description=_("The rules refuse the entry, or the pairing is not one of yours.")),
        },
    )


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List cross-county orders")),
    retrieve=extend_schema(summary=_("Get a cross-county order")),
    create=_create_schema(
        CrossCountyOrderCreateSerializer, CrossCountyOrderSerializer, _("Record a cross-county order")
    ),
)
class CrossCountyOrderViewSet(_CooperationViewSet):
    """Cross-county orders and purchase agreements between firms of a pairing's two counties (产销对接 / 合作订单):
    buyer, seller and the seller's county, goods, amount in yuan and signing date. `county` matches either side of
    the pairing."""

    queryset = CrossCountyOrder.objects.select_related("pairing__program", "seller_county").order_by(
        "-signed_date", "-id"
    )
    serializer_class = CrossCountyOrderSerializer
    input_serializer_class = CrossCountyOrderCreateSerializer
    filterset_class = CrossCountyOrderFilter
    ordering_fields = ["signed_date", "amount", "id"]

    def create_with(self, data: dict) -> CrossCountyOrder:
        return cross_county_order_create(**data, by=self.request.user)


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List joint promotion events")),
    retrieve=extend_schema(summary=_("Get a joint promotion event")),
    create=_create_schema(
        PromotionEventCreateSerializer, PromotionEventSerializer, _("Record a joint promotion event")
    ),
)
class PromotionEventViewSet(_CooperationViewSet):
    """Joint investment-promotion events of a pairing (协同招商): title, date held, place, projects signed there and
    the intended investment in yuan. `county` matches either side of the pairing."""

    queryset = PromotionEvent.objects.select_related("pairing__program").order_by("-held_on", "-id")
    serializer_class = PromotionEventSerializer
    input_serializer_class = PromotionEventCreateSerializer
    filterset_class = PromotionEventFilter
    ordering_fields = ["held_on", "intended_investment", "id"]

    def create_with(self, data: dict) -> PromotionEvent:
        return promotion_event_create(**data, by=self.request.user)


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List secondments and talent exchanges")),
    retrieve=extend_schema(summary=_("Get a secondment")),
    create=_create_schema(SecondmentCreateSerializer, SecondmentSerializer, _("Record a secondment")),
)
class SecondmentViewSet(_CooperationViewSet):
    """Cadre secondments and talent exchanges between a pairing's two counties (干部挂职 / 人才交流): the person,
    the county they come from and go to, the post and the period. `county` matches either side of the pairing."""

    queryset = Secondment.objects.select_related("pairing__program", "from_county", "to_county").order_by(
        "-start_date", "-id"
    )
    serializer_class = SecondmentSerializer
    input_serializer_class = SecondmentCreateSerializer
    filterset_class = SecondmentFilter
    ordering_fields = ["start_date", "id"]

    def create_with(self, data: dict) -> Secondment:
        return secondment_create(**data, by=self.request.user)
