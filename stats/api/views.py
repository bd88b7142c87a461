"""Growth gaps against the provincial average, and the statistics behind them."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.api.filters import AdcodeFilter
from stats.models import StatValue
from stats.selectors import gap_history, gap_rows, gaps_summary

from .serializers import (
    GapHistorySerializer,
    GapQuerySerializer,
    GapRowSerializer,
    GapSummarySerializer,
    HistoryQuerySerializer,
    StatValueSerializer,
    SummaryQuerySerializer,
)

TAGS = ["stats"]


class GapViewSet(viewsets.ViewSet):
    """Growth of every county-level unit of a program's province against the province's own growth, with ranks by
    level (1 = largest), rank change from the year before and the bottom ten. Recomputed after every statistics
    import and nightly."""

    @extend_schema(
        tags=TAGS,
        summary=_("Gaps of every county-level unit for one indicator and period"),
        parameters=[GapQuerySerializer],
        responses=GapRowSerializer(many=True),
        examples=[
            OpenApiExample(
                "台儿庄区, GDP 2025",
                response_only=True,
                value=[
                    {
                        "region": "370405",
                        "name": "台儿庄区",
                        "role": "weak",
                        "growth_pct": "5.581000000000",
                        "growth_derived": False,
                        "province_growth_pct": "5.000000000000",
                        "gap_pp": "0.581000000000",
                        "level": "19300000000.00",
                        "rank": 131,
                        "previous_rank": 127,
                        "rank_change": -4,
                        "in_bottom_ten": True,
                        "release": "preliminary",
                        "release_as_of": None,
                    }
                ],
            )
        ],
    )
    def list(self, request: Request) -> Response:
        query = GapQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        rows = gap_rows(program=params["program"], period=params["period"], indicator=params["indicator"])
        if params.get("role"):
            rows = [row for row in rows if row.role == params["role"]]
        if params.get("region"):
            rows = [row for row in rows if row.region.adcode == params["region"]]
        return Response(GapRowSerializer(rows, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary=_("The program's weak counties as a group against the province"),
        parameters=[SummaryQuerySerializer],
        responses=GapSummarySerializer,
    )
    @action(detail=False)
    def summary(self, request: Request) -> Response:
        query = SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        program, period = query.validated_data["program"], query.validated_data["period"]
        summary = gaps_summary(program=program, period=period)
        payload = {"program": program.code, "period": period, **summary}
        payload["indicators"] = {code: vars(figures) for code, figures in summary["indicators"].items()}
        return Response(GapSummarySerializer(payload).data)

    @extend_schema(
        tags=TAGS,
        summary=_("One county's gaps and ranks across periods"),
        parameters=[HistoryQuerySerializer],
        responses=GapHistorySerializer(many=True),
    )
    @action(detail=False)
    def history(self, request: Request) -> Response:
        query = HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        results = gap_history(region=query.validated_data["region"], indicator=query.validated_data.get("indicator"))
        return Response(GapHistorySerializer(results, many=True).data)


class StatValueFilter(filters.FilterSet):
    region = filters.CharFilter(field_name="region_id")
    province = AdcodeFilter(method="within_province", label=_("Province adcode"))

    class Meta:
        model = StatValue
        fields = ["region", "indicator", "period", "release"]

    def within_province(self, queryset, name, value):
        # Through the region's adcode: Django has no `startswith` on the foreign key column itself.
        return queryset.filter(region__adcode__startswith=value[:2])


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List published statistics")), retrieve=extend_schema(summary=_("Get a statistic"))
)
class StatValueViewSet(viewsets.ReadOnlyModelViewSet):
    """Published figures per region, indicator, period and release (preliminary or revised); every release is
    kept, and the gaps use the latest."""

    queryset = StatValue.objects.all().order_by("indicator", "period", "region_id", "release")
    serializer_class = StatValueSerializer
    filterset_class = StatValueFilter
