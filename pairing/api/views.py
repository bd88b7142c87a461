"""Read-only endpoints for regions, programs, pairings and co-built parks."""

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.viewsets import ReadOnlyModelViewSet

from accounts.access import pairing_q
from accounts.api import ScopedQuerysetMixin
from pairing.models import CountyRole, Pairing, Park, ParkPartner, Program, Region

from .filters import PairingFilter, ParkFilter, ProgramFilter, RegionFilter
from .serializers import PairingSerializer, ParkSerializer, ProgramSerializer, RegionSerializer

TAGS = ["pairing"]


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List regions")),
    retrieve=extend_schema(
        summary=_("Get a region by adcode"),
        parameters=[
            OpenApiParameter("adcode", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("6-digit adcode."))
        ],
    ),
)
class RegionViewSet(ReadOnlyModelViewSet):
    """Administrative divisions (province, prefecture cities, county-level units) keyed by their 6-digit adcode
    (GB/T 2260). `province` lists every region within a province; `search` matches the name or the adcode."""

    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    lookup_field = "adcode"
    lookup_value_regex = "[0-9]{6}"
    filter_backends = [DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = RegionFilter
    search_fields = ["name", "adcode"]
    ordering_fields = ["adcode", "name"]


@extend_schema(tags=TAGS)
@extend_schema_view(list=extend_schema(summary=_("List programs")), retrieve=extend_schema(summary=_("Get a program")))
class ProgramViewSet(ReadOnlyModelViewSet):
    """Assistance programs, each owning its pairings, with how many pairings and designated weak counties it has."""

    queryset = Program.objects.annotate(
        pairing_count=Count("pairings", distinct=True),
        weak_county_count=Count("counties", filter=Q(counties__role=CountyRole.WEAK), distinct=True),
    ).order_by("-start_date", "code")  # an aggregate drops Meta.ordering; pages need a stable order
    serializer_class = ProgramSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProgramFilter


@extend_schema(tags=TAGS)
@extend_schema_view(list=extend_schema(summary=_("List pairings")), retrieve=extend_schema(summary=_("Get a pairing")))
class PairingViewSet(ScopedQuerysetMixin, ReadOnlyModelViewSet):
    """Strong → weak county pairings (结对) with their provenance: the source document for an official pairing;
    rows with `is_sample` true are demonstration data. `county` matches either side of the pairing."""

    queryset = Pairing.objects.select_related("program", "strong_county", "weak_county", "source")
    liaison_q = staticmethod(pairing_q)
    serializer_class = PairingSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = PairingFilter
    ordering_fields = ["start_date", "id"]


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List co-built parks")), retrieve=extend_schema(summary=_("Get a park"))
)
class ParkViewSet(ScopedQuerysetMixin, ReadOnlyModelViewSet):
    """Co-built and enclave parks (共建园区 / 飞地园区) with their partner counties' capital contributions and agreed
    tax and output shares, and the number of projects inside."""

    queryset = (
        Park.objects.select_related("pairing__program", "host_county")
        .prefetch_related(Prefetch("partners", queryset=ParkPartner.objects.select_related("county")))
        .annotate(project_count=Count("projects"))
        .order_by("pairing", "name", "id")
    )
    serializer_class = ParkSerializer
    liaison_q = staticmethod(lambda county: pairing_q(county, "pairing__"))
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = ParkFilter
    ordering_fields = ["name", "established_on", "id"]
