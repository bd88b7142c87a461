"""The reporting API: the figures behind the dashboard's cards and charts, and the targets with their actuals.

Every figure is computed when asked from the same data as the rest of the API, scoped to the caller: a liaison's
cards, map lines and funnel cover the pairings their county is in; statistics (gaps, ranks) are reference data that
every role reads in full.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import RolePermission
from reporting import selectors
from reporting.boundaries import province_geojson
from reporting.models import Target

from .serializers import (
    BoundaryQuerySerializer,
    FunnelSerializer,
    GapBarSerializer,
    MapSerializer,
    ProgramPeriodQuerySerializer,
    ProgramQuerySerializer,
    ProgramSummarySerializer,
    TargetSerializer,
    TrendQuerySerializer,
    TrendSerializer,
)

TAGS = ["reports"]


def _query(serializer_class, request: Request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class ReportViewSet(viewsets.ViewSet):
    """Figures for reporting tools and the dashboard, computed from the data when asked and scoped to the caller."""

    permission_classes = [RolePermission]

    @extend_schema(
        tags=TAGS,
        summary=_("The program's card figures for a period"),
        description=_(
            "Pairings, weak counties, projects by stage, planned and completed investment, the period's year's "
            "guidance fund (allocated, disbursed), special bonds (quota, issued), cross-county orders, warnings by "
            "colour and the weak counties' GDP growth against the province. Projects and warnings as they stand "
            "today; money for the period's year. A liaison's figures cover their pairings and the money paid to "
            "their county."
        ),
        parameters=[ProgramPeriodQuerySerializer],
        responses=ProgramSummarySerializer,
    )
    @action(detail=False, url_path="program-summary")
    def program_summary(self, request: Request) -> Response:
        params = _query(ProgramPeriodQuerySerializer, request)
        summary = selectors.program_summary(program=params["program"], period=params["period"], user=request.user)
        return Response(ProgramSummarySerializer(summary).data)

    @extend_schema(
        tags=TAGS,
        summary=_("The map: every county with its role and GDP gap, and the pairing lines"),
        parameters=[ProgramPeriodQuerySerializer],
        responses=MapSerializer,
    )
    @action(detail=False, url_path="map")
    def map(self, request: Request) -> Response:
        params = _query(ProgramPeriodQuerySerializer, request)
        data = selectors.map_data(program=params["program"], period=params["period"], user=request.user)
        return Response(MapSerializer(data).data)

    @extend_schema(
        tags=TAGS,
        summary=_("County boundaries of a province (GeoJSON)"),
        description=_("A FeatureCollection; each feature's properties hold its adcode and name. Cached for a day."),
        parameters=[BoundaryQuerySerializer],
        responses={(200, "application/geo+json"): OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    @action(detail=False, url_path="boundaries")
    def boundaries(self, request: Request) -> HttpResponse:
        params = _query(BoundaryQuerySerializer, request)
        response = HttpResponse(province_geojson(params["province"]), content_type="application/geo+json")
        response["Cache-Control"] = "private, max-age=86400"
        return response

    @extend_schema(
        tags=TAGS,
        summary=_("Each weak county's gap to the province per indicator"),
        parameters=[ProgramPeriodQuerySerializer],
        responses=GapBarSerializer(many=True),
    )
    @action(detail=False, url_path="gap-bars")
    def gap_bars(self, request: Request) -> Response:
        params = _query(ProgramPeriodQuerySerializer, request)
        rows = selectors.gap_bars(program=params["program"], period=params["period"])
        return Response(GapBarSerializer(rows, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary=_("Each weak county's gap and rank across the years"),
        parameters=[TrendQuerySerializer],
        responses=TrendSerializer(many=True),
    )
    @action(detail=False, url_path="trends")
    def trends(self, request: Request) -> Response:
        params = _query(TrendQuerySerializer, request)
        rows = selectors.gap_trends(program=params["program"], indicator=params["indicator"])
        return Response(TrendSerializer(rows, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary=_("Projects that reached each stage"),
        parameters=[ProgramQuerySerializer],
        responses=FunnelSerializer(many=True),
    )
    @action(detail=False, url_path="funnel")
    def funnel(self, request: Request) -> Response:
        params = _query(ProgramQuerySerializer, request)
        rows = selectors.project_funnel(program=params["program"], user=request.user)
        return Response(FunnelSerializer(rows, many=True).data)


class TargetFilter(filters.FilterSet):
    program = filters.CharFilter(field_name="program__code", label=_("Program code"))
    county = filters.CharFilter(field_name="county_id", label=_("County adcode"))

    class Meta:
        model = Target
        fields = ["program", "county", "year", "metric"]


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List targets with their actuals")),
    retrieve=extend_schema(summary=_("Get a target with its actual")),
)
class TargetViewSet(viewsets.ReadOnlyModelViewSet):
    """Targets per weak county and year (baseline, target, direction) with the actual computed from the data and
    whether it is met. Provincial officers set targets in the admin; a liaison sees those of their pairings."""

    serializer_class = TargetSerializer
    permission_classes = [RolePermission]
    filterset_class = TargetFilter
    ordering_fields = ["year", "county", "metric", "id"]
    ordering = ["program", "county", "year", "metric", "indicator", "id"]

    def get_queryset(self):
        return selectors.scoped_targets(user=self.request.user)
