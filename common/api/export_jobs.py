"""The API of export jobs (``common.export_jobs``): a list's Excel export too long for one request answers 202 with
its job; the job's owner reads its progress at ``/api/v1/exports/{id}/`` and downloads the workbook at
``…/download/`` once it is done. Nobody else finds the job (404), whatever their role."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from common import exports
from common.export_jobs import export_job_file_response
from common.models import ExportJob, ExportJobStatus


class ExportJobSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True, label=_("status (text)"))
    progress = serializers.IntegerField(read_only=True, label=_("progress (%)"))
    url = serializers.SerializerMethodField(label=_("address of the job"))
    download_url = serializers.SerializerMethodField(label=_("address of the file"))

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "status",
            "status_display",
            "message",
            "file_format",
            "rows_total",
            "rows_written",
            "progress",
            "created_at",
            "started_at",
            "finished_at",
            "url",
            "download_url",
        ]
        read_only_fields = fields

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, job: ExportJob) -> str:
        return self._absolute(reverse("export-detail", args=[job.pk]))

    def get_download_url(self, job: ExportJob) -> str | None:
        """Where the workbook is downloaded, once the job is done; null before."""
        if job.status != ExportJobStatus.DONE:
            return None
        return self._absolute(reverse("export-download", args=[job.pk]))


def export_queued_response(exc, context: dict) -> Response:
    """The 202 of a list whose export a job writes (``common.api.exceptions.ExportQueued``): the job, and its address
    in ``Location``."""
    data = ExportJobSerializer(exc.job, context={"request": context.get("request")}).data
    return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


@extend_schema_view(
    retrieve=extend_schema(
        summary="An export job",
        description="The status and progress of an Excel export too long for one request (a list asked for with "
        "`?format=xlsx` answers 202 with it), and once it is done the address of its workbook. Only the user who "
        "asked for the export finds the job; anyone else gets 404.",
    )
)
class ExportJobViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The signed-in user's own export jobs."""

    serializer_class = ExportJobSerializer
    # Any signed-in user reads their own jobs: who may export a list is decided by the list, when the job runs.
    permission_classes = [IsAuthenticated]
    queryset = ExportJob.objects.none()

    def get_queryset(self):
        return ExportJob.objects.filter(owner_id=self.request.user.pk)

    @extend_schema(
        summary="An export job's workbook",
        description="The workbook (`Content-Disposition: attachment`, named as the synchronous export would be on "
        "the day it was asked for); 404 until the job is done.",
        responses={
            (200, exports.MEDIA_TYPES[exports.XLSX]): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            404: OpenApiResponse(description="No such job of yours, or not done yet."),
        },
    )
    @action(detail=True, methods=["get"], url_path="download", renderer_classes=[JSONRenderer])
    def download(self, request: Request, pk=None):
        return export_job_file_response(self.get_object())
