"""Did the pairing change the weak counties' trajectory? The stored impact estimates of a program and indicator."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from common.api.openapi import AutoSchema
from impact.selectors import impact_counties, impact_result

from .serializers import ImpactChartSerializer, ImpactQuerySerializer, ImpactSerializer

TAGS = ["impact"]
NOT_YET = OpenApiResponse(description=_("No impact estimate for this program and indicator yet."))


class OneObjectSchema(AutoSchema):
    """The list route answers one object (the program's estimates), not an array of them."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class ImpactViewSet(viewsets.ViewSet):
    """Synthetic control per weak county and a pooled difference-in-differences with its event study, recomputed
    after every gap recomputation that changes figures. A liaison sees the pooled figures and the weak counties of
    their own pairings."""

    schema = OneObjectSchema()

    def _payload(self, request: Request) -> dict:
        query = ImpactQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        program, indicator = query.validated_data["program"], query.validated_data["indicator"]
        result = impact_result(program=program, indicator=indicator)
        if result is None:
            raise NotFound(_("No impact estimate for this program and indicator yet."))
        return {
            "program": program,
            "indicator": indicator,
            "first_treated_period": result.first_treated_period,
            "pre_periods": result.pre_periods,
            "post_periods": result.post_periods,
            "pooled": result.pooled,
            "counties": list(impact_counties(result=result, user=request.user)),
        }

    @extend_schema(
        tags=TAGS,
        summary=_("Impact estimates of a program for one indicator"),
        parameters=[ImpactQuerySerializer],
        responses=ImpactSerializer,
    )
    def list(self, request: Request) -> Response:
        return Response(ImpactSerializer(self._payload(request)).data)

    @extend_schema(
        tags=TAGS,
        summary=_("The impact charts: actual and synthetic growth, placebo ratios"),
        parameters=[ImpactQuerySerializer],
        responses={200: ImpactChartSerializer, 404: NOT_YET},
    )
    @action(detail=False)
    def chart(self, request: Request) -> Response:
        return Response(ImpactChartSerializer(self._payload(request)).data)
