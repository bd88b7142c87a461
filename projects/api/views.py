"""Read-only endpoint for cooperation projects."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.viewsets import ReadOnlyModelViewSet

from accounts.access import pairing_q
from accounts.api import ScopedQuerysetMixin
from projects.models import Project, ProjectStageChange

from .filters import ProjectFilter
from .serializers import ProjectDetailSerializer, ProjectSerializer


@extend_schema(tags=["projects"])
@extend_schema_view(
    list=extend_schema(summary=_("List projects")),
    retrieve=extend_schema(summary=_("Get a project with its stage log")),
)
class ProjectViewSet(ScopedQuerysetMixin, ReadOnlyModelViewSet):
    """Transfer and cooperation projects (产业转移签约项目 / 产业帮扶重点项目) with their stage
    (pipeline → signed → under construction → in production → at capacity) and health; investment in yuan.
    The detail adds the stage log. `search` matches the code, name or enterprise."""

    queryset = Project.objects.select_related("pairing__program", "county")
    filter_backends = [DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = ProjectFilter
    liaison_q = staticmethod(lambda county: pairing_q(county, "pairing__"))
    search_fields = ["code", "name", "enterprise"]
    ordering_fields = ["code", "signed_date", "planned_investment"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            stage_log = ProjectStageChange.objects.select_related("changed_by")
            queryset = queryset.prefetch_related(Prefetch("stage_changes", queryset=stage_log))
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ProjectDetailSerializer
        return ProjectSerializer
