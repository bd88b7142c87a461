"""The annual evaluation reports (县域经济发展评价报告): ask for one, follow its progress, download its HTML and PDF.

Who: provincial officers ask for reports (POST); finance officers and leaders read them. A report covers the whole
program (every weak county's figures: for the provincial roles only) or one weak county (``county``). A county
liaison reads only the county reports of their own pairings — the weak county's, whichever side of the pairing the
liaison is on — and meets nothing else: a program-wide report, or another county's, is absent from the list and a
404 with its downloads. Other roles get 403.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.viewsets import GenericViewSet

from accounts.access import pairing_q
from accounts.api import OFFICERS, ScopedQuerysetMixin
from common.api.fields import SlugRelatedField
from common.api.filters import IntegerFilter, ProgramCodeFilter
from pairing.models import CountyRole, Pairing, Program, Region

from ..downloads import report_file_response
from ..evaluation import evaluation_report_request
from ..models import EvaluationReport, ReportStatus

TAGS = ["reporting"]


class EvaluationReportSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="program.code", read_only=True, help_text=_("Program code."))
    program_name = serializers.CharField(source="program.name", read_only=True)
    county = serializers.CharField(
        source="county_id",
        read_only=True,
        allow_null=True,
        help_text=_("The weak county (adcode) the report is about; null for the whole program."),
    )
    county_name = serializers.CharField(source="county.name", read_only=True, allow_null=True, default=None)
    requested_by = serializers.CharField(
        source="requested_by.get_username", read_only=True, allow_null=True, default=None
    )
    html_url = serializers.SerializerMethodField(help_text=_("The HTML document, once the report is ready."))
    pdf_url = serializers.SerializerMethodField(help_text=_("The PDF, once the report is ready."))

    class Meta:
        model = EvaluationReport
        fields = [
            "id",
            "program",
            "program_name",
            "county",
            "county_name",
            "year",
            "status",
            "progress",
            "step",
            "error",
            "requested_by",
            "requested_at",
            "started_at",
            "finished_at",
            "html_url",
            "pdf_url",
        ]
        read_only_fields = fields

    def _url(self, report: EvaluationReport, kind: str) -> str | None:
        if report.status != ReportStatus.DONE or not getattr(report, kind):
            return None
        return reverse(f"evaluation-report-{kind}", args=[report.pk], request=self.context.get("request"))

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_html_url(self, report: EvaluationReport) -> str | None:
        return self._url(report, "html")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_pdf_url(self, report: EvaluationReport) -> str | None:
        return self._url(report, "pdf")


class EvaluationReportDetailSerializer(EvaluationReportSerializer):
    figures = serializers.JSONField(
        read_only=True,
        help_text=_(
            "The numbers the report states, at full precision (decimals as strings), with its narrative; empty until "
            "the report is ready."
        ),
    )

    class Meta(EvaluationReportSerializer.Meta):
        fields = [*EvaluationReportSerializer.Meta.fields, "figures"]
        read_only_fields = fields


class EvaluationReportRequestSerializer(serializers.Serializer):
    program = SlugRelatedField(slug_field="code", queryset=Program.objects.all(), help_text=_("Program code."))
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text=_("The year evaluated."))
    county = SlugRelatedField(
        slug_field="adcode",
        queryset=Region.objects.filter(program_roles__role=CountyRole.WEAK).distinct(),
        required=False,
        allow_null=True,
        help_text=_("A weak county's adcode for its own report; leave it out for the whole program."),
    )


class EvaluationReportFilter(filters.FilterSet):
    program = ProgramCodeFilter(field_name="program__code")
    year = IntegerFilter(min_value=2000, max_value=2100)

    class Meta:
        model = EvaluationReport
        fields = ["program", "year", "county", "status"]


class _FileRenderer(BaseRenderer):
    """Lets a client ask for the file's type in ``Accept``. Files are served as they are; only errors reach a
    renderer, and they are JSON whatever was asked for, as the schema declares them."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = JSONRenderer.media_type
        return JSONRenderer().render(data, JSONRenderer.media_type, renderer_context)


class HTMLFileRenderer(_FileRenderer):
    media_type = "text/html"
    format = "html"


class PDFFileRenderer(_FileRenderer):
    media_type = "application/pdf"
    format = "pdf"


def _download_schema(media_type: str, body, summary) -> dict:
    return {
        "summary": summary,
        "responses": {
            (200, media_type): OpenApiResponse(response=body, description=_("The document.")),
            404: OpenApiResponse(description=_("No such report visible to the caller, or it is not ready.")),
        },
    }


def _liaison_reports(county: str) -> Q:
    """The county reports of the liaison's own pairings: the report's county is the weak side of a pairing of the
    report's program that the liaison's county is part of. Program-wide reports (no county) never match."""
    mine = Pairing.objects.filter(program=OuterRef("program"), weak_county=OuterRef("county")).filter(pairing_q(county))
    return Q(county__isnull=False) & Q(Exists(mine))


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List evaluation reports")),
    retrieve=extend_schema(summary=_("Get an evaluation report: status, progress and figures")),
    create=extend_schema(
        summary=_("Ask for an annual evaluation report"),
        description=_(
            "Queues the report of a program and year and answers 202 with it; while one for the same program and "
            "year is queued or being generated, that one is answered instead of a second. Follow `progress` and "
            "`status` on the report; `html_url` and `pdf_url` appear when it is ready."
        ),
        request=EvaluationReportRequestSerializer,
        responses={202: EvaluationReportSerializer},
    ),
    html=extend_schema(**_download_schema("text/html", OpenApiTypes.STR, _("Download the report as HTML"))),
    pdf=extend_schema(**_download_schema("application/pdf", OpenApiTypes.BINARY, _("Download the report as PDF"))),
)
class EvaluationReportViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Annual evaluation reports of the programs (县域经济发展评价报告), generated in the background as HTML and PDF.
    Provincial officers ask for them, of the whole program or of one weak county; the provincial roles read them
    all, a county liaison the county reports of their own pairings only."""

    queryset = EvaluationReport.objects.select_related("program", "county", "requested_by").order_by(
        "-requested_at", "-pk"
    )
    serializer_class = EvaluationReportSerializer
    write_roles = OFFICERS
    liaison_q = staticmethod(_liaison_reports)
    filterset_class = EvaluationReportFilter
    ordering_fields = ["requested_at", "year"]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return EvaluationReportDetailSerializer
        return super().get_serializer_class()

    def create(self, request: Request, *args, **kwargs) -> Response:
        incoming = EvaluationReportRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        report = evaluation_report_request(
            program=incoming.validated_data["program"],
            year=incoming.validated_data["year"],
            county=incoming.validated_data.get("county"),
            requested_by=request.user,
        )
        report = self.get_queryset().get(pk=report.pk)
        return Response(self.get_serializer(report).data, status=status.HTTP_202_ACCEPTED)

    def _file(self, kind: str):
        report = self.get_object()
        if report.status != ReportStatus.DONE:
            raise NotFound(_("The report is not ready: it is %(status)s.") % {"status": report.get_status_display()})
        return report_file_response(report, kind)

    @action(detail=True, methods=["get"], url_path="html", renderer_classes=[JSONRenderer, HTMLFileRenderer])
    def html(self, request: Request, pk=None):
        return self._file("html")

    @action(detail=True, methods=["get"], url_path="pdf", renderer_classes=[JSONRenderer, PDFFileRenderer])
    def pdf(self, request: Request, pk=None):
        return self._file("pdf")
