"""Read-only endpoint for the projects' current red / yellow / blue warnings, with their reasons."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.viewsets import ReadOnlyModelViewSet

from accounts.access import pairing_q
from accounts.api import ScopedQuerysetMixin
from common.api.filters import BIGINT_MAX, AdcodeFilter, IntegerFilter, ProgramCodeFilter
from projects.models import ProjectWarning, WarningColour

SEVERITY_ORDER = Case(
    When(colour=WarningColour.RED, then=Value(0)),
    When(colour=WarningColour.YELLOW, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


class WarningReasonSerializer(serializers.Serializer):
    code = serializers.CharField(
        read_only=True,
        help_text=_(
            "marked_stalled, marked_lagging (the officers' health mark), signed_not_started, reports_overdue, "
            "production_late, investment_behind or on_track (for blue)."
        ),
    )
    text = serializers.CharField(read_only=True, help_text=_("The reason in words, with its numbers."))


class ProjectWarningSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="project_id", read_only=True, help_text=_("Project id."))
    code = serializers.CharField(source="project.code", read_only=True, help_text=_("Project code."))
    name = serializers.CharField(source="project.name", read_only=True, help_text=_("Project name."))
    program = serializers.CharField(source="project.pairing.program.code", read_only=True, help_text=_("Program code."))
    county = serializers.CharField(
        source="project.county_id", read_only=True, help_text=_("Adcode of the project's location county.")
    )
    county_name = serializers.CharField(
        source="project.county.name", read_only=True, help_text=_("Name of the location county.")
    )
    reasons = WarningReasonSerializer(many=True, read_only=True, help_text=_("Every reason, worst first."))

    class Meta:
        model = ProjectWarning
        fields = [
            "project",
            "code",
            "name",
            "program",
            "county",
            "county_name",
            "colour",
            "reasons",
            "since",
            "checked_on",
        ]
        read_only_fields = fields


class ProjectWarningFilter(filters.FilterSet):
    colour = filters.MultipleChoiceFilter(choices=WarningColour.choices, label=_("Colour (repeat for several)"))
    program = ProgramCodeFilter(field_name="project__pairing__program__code")
    pairing = IntegerFilter(field_name="project__pairing")
    county = AdcodeFilter(field_name="project__county", label=_("Location county adcode"))

    class Meta:
        model = ProjectWarning
        fields = ["colour", "program", "pairing", "county"]


@extend_schema(tags=["projects"])
@extend_schema_view(
    list=extend_schema(summary=_("List project warnings")),
    retrieve=extend_schema(
        summary=_("Get a project's warning"),
        parameters=[OpenApiParameter("project", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("Project id."))],
    ),
)
class ProjectWarningViewSet(ScopedQuerysetMixin, ReadOnlyModelViewSet):
    """The current red / yellow / blue warning (红黄蓝预警) of every active project, refreshed daily: red first, then
    yellow, then blue, each with every reason in words (worst first). A warning is looked up by its project's id.
    A county liaison sees the warnings of the projects of the pairings their county is part of."""

    queryset = (
        ProjectWarning.objects.select_related("project__pairing__program", "project__county")
        .annotate(severity=SEVERITY_ORDER)
        .order_by("severity", "project__code")
    )
    serializer_class = ProjectWarningSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProjectWarningFilter
    lookup_field = "project"
    lookup_value_regex = "[0-9]+"
    liaison_q = staticmethod(lambda county: pairing_q(county, "project__pairing__"))

    def get_object(self) -> ProjectWarning:
        # The lookup goes through the project's foreign key, which Django does not keep inside the integer range:
        # an id no project can have is a 404 here, not an overflow in the database driver.
        if int(self.kwargs[self.lookup_field]) > BIGINT_MAX:
            raise Http404
        return super().get_object()
