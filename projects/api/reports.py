"""``/api/v1/progress-reports/``: liaisons file and submit monthly reports; provincial officers approve or return.

Every write goes through ``projects.reports``. Optimistic concurrency: a report's ``ETag`` is its version; PUT,
PATCH and the workflow actions need ``If-Match`` with that ETag (428 without it, 412 when someone changed the report
since it was read) — never a silent overwrite.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from accounts.access import access_for, pairing_q
from accounts.api import ScopedQuerysetMixin
from accounts.models import Role
from common.api.fields import money_kwargs
from common.api.filters import AdcodeFilter, IntegerFilter, ProgramCodeFilter
from common.money import MoneyField
from projects.models import ProblemCategory, ProgressReport, Project, ReportStatus, Stage
from projects.reports import (
    REPORT_FIELDS,
    ReportData,
    StaleVersion,
    progress_report_approve,
    progress_report_return,
    progress_report_save,
    progress_report_submit,
    report_lock_reason,
    with_period_closed,
)

_money = MoneyField()


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("Someone else changed this record since you read it. Read it again and retry.")
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = _("Send the report's ETag in an If-Match header to change it.")
    default_code = "precondition_required"


def etag_of(report: ProgressReport) -> str:
    return f'"{report.pk}-{report.version}"'


def _money_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(**money_kwargs(kwargs))


class ProgressReportSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    county = serializers.CharField(source="project.county_id", read_only=True)
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reviewed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    # Declared here: a read-only model field loses `allow_blank`, and the schema would then refuse the empty
    # category of a report without problems.
    problem_category = serializers.ChoiceField(choices=ProblemCategory.choices, allow_blank=True, read_only=True)
    locked_because = serializers.SerializerMethodField(
        help_text=_("Why the report cannot be edited now (in review, approved, period closed); null if it can.")
    )

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "project",
            "project_code",
            "county",
            "period",
            "stage",
            "stage_back_reason",
            "actual_start_date",
            "actual_production_date",
            "cumulative_investment",
            "month_investment",
            "jobs_created",
            "output_value",
            "tax_paid",
            "problem_category",
            "problems",
            "status",
            "submitted_by",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "review_comment",
            "version",
            "locked_because",
            "is_sample",
        ]
        read_only_fields = fields

    def get_locked_because(self, report: ProgressReport) -> str | None:
        return report_lock_reason(report)


class ReportWriteSerializer(serializers.Serializer):
    """What a liaison enters. ``project`` and ``period`` only on creation: a report stays on its month."""

    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.none())
    period = serializers.CharField(max_length=7)
    stage = serializers.ChoiceField(choices=Stage.choices)
    stage_back_reason = serializers.CharField(required=False, allow_blank=True, default="")
    actual_start_date = serializers.DateField(required=False, allow_null=True, default=None)
    actual_production_date = serializers.DateField(required=False, allow_null=True, default=None)
    cumulative_investment = _money_field()
    month_investment = _money_field()
    jobs_created = serializers.IntegerField(required=False, default=0)
    output_value = _money_field(required=False, allow_null=True, default=None)
    tax_paid = _money_field(required=False, allow_null=True, default=None)
    problem_category = serializers.ChoiceField(
        choices=ProblemCategory.choices, required=False, allow_blank=True, default=""
    )
    problems = serializers.CharField(required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        access = access_for(request.user) if request else None
        # A project the writer may not report on does not exist for this payload: 400, not a leak.
        if access is not None and access.role == Role.OFFICER and "project" in self.fields:
            self.fields["project"].queryset = Project.objects.all()
        elif access is not None and access.is_liaison and "project" in self.fields:
            self.fields["project"].queryset = Project.objects.filter(county=access.county)
        if self.instance is not None:
            self.fields.pop("project", None)
            self.fields.pop("period", None)


class ReportChangeSerializer(ReportWriteSerializer):
    """What PUT and PATCH carry, as the schema shows it: a report stays on its project and month."""

    project = None
    period = None


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ProgressReportFilter(filters.FilterSet):
    project = IntegerFilter(field_name="project")
    program = ProgramCodeFilter(field_name="project__pairing__program__code")
    pairing = IntegerFilter(field_name="project__pairing")
    county = AdcodeFilter(field_name="project__county")
    period = filters.CharFilter(field_name="period")
    status = filters.ChoiceFilter(choices=ReportStatus.choices)

    class Meta:
        model = ProgressReport
        fields = ["project", "program", "pairing", "county", "period", "status"]


IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True, description=_("The ETag read with GET.")
)
CONCURRENCY_RESPONSES = {
    412: OpenApiResponse(description=_("Changed by someone else since it was read.")),
    428: OpenApiResponse(description=_("If-Match missing.")),
}


@extend_schema(tags=["projects"])
@extend_schema_view(
    list=extend_schema(summary=_("List progress reports")),
    retrieve=extend_schema(summary=_("Get a progress report (with its ETag)")),
    create=extend_schema(
        summary=_("File a draft report"), request=ReportWriteSerializer, responses={201: ProgressReportSerializer}
    ),
    update=extend_schema(
        summary=_("Replace a draft or returned report"),
        request=ReportChangeSerializer,
        parameters=[IF_MATCH],
        responses={200: ProgressReportSerializer, **CONCURRENCY_RESPONSES},
    ),
    partial_update=extend_schema(
        summary=_("Change fields of a draft or returned report"),
        request=ReportChangeSerializer,
        parameters=[IF_MATCH],
        responses={200: ProgressReportSerializer, **CONCURRENCY_RESPONSES},
    ),
    submit=extend_schema(
        summary=_("Submit for review"),
        request=None,
        parameters=[IF_MATCH],
        responses={200: ProgressReportSerializer, **CONCURRENCY_RESPONSES},
    ),
    approve=extend_schema(
        summary=_("Approve (provincial officer)"),
        request=CommentSerializer,
        parameters=[IF_MATCH],
        responses={200: ProgressReportSerializer, **CONCURRENCY_RESPONSES},
    ),
    return_=extend_schema(
        summary=_("Return with a comment (provincial officer)"),
        request=CommentSerializer,
        parameters=[IF_MATCH],
        responses={200: ProgressReportSerializer, **CONCURRENCY_RESPONSES},
    ),
)
class ProgressReportViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    GenericViewSet,
):
    """Monthly progress reports (进度填报). A liaison sees the reports of their county's pairings and writes those of
    projects located in their county; approval updates the project's stage, dates and completed investment."""

    queryset = with_period_closed(
        ProgressReport.objects.select_related("project__pairing", "submitted_by", "reviewed_by")
    ).order_by("-period", "project_id")  # served by report_period_project_idx (with the key the paginator adds)
    serializer_class = ProgressReportSerializer
    write_roles = frozenset({Role.OFFICER, Role.LIAISON})
    liaison_q = staticmethod(lambda county: pairing_q(county, "project__pairing__"))
    filterset_class = ProgressReportFilter
    filter_backends = [filters.DjangoFilterBackend]

    def _respond(self, report: ProgressReport, code: int = status.HTTP_200_OK) -> Response:
        report = self.get_queryset().get(pk=report.pk)
        response = Response(ProgressReportSerializer(report, context=self.get_serializer_context()).data, status=code)
        response["ETag"] = etag_of(report)
        return response

    def _expected_version(self, report: ProgressReport) -> int:
        header = self.request.headers.get("If-Match")
        if not header:
            raise PreconditionRequired()
        if header.strip() != etag_of(report):
            raise PreconditionFailed()
        return report.version

    def retrieve(self, request, *args, **kwargs) -> Response:
        report = self.get_object()
        if request.headers.get("If-None-Match") == etag_of(report):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag_of(report)})
        return self._respond(report)

    def create(self, request, *args, **kwargs) -> Response:
        incoming = ReportWriteSerializer(data=request.data, context=self.get_serializer_context())
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        project, period = data.pop("project"), data.pop("period")
        if ProgressReport.objects.filter(project=project, period=period).exists():
            raise exceptions.ValidationError(
                {"period": [_("A report for this project and month already exists; change that one.")]}
            )
        report = self._call(
            progress_report_save, project=project, period=period, data=ReportData(**data), by=request.user
        )
        return self._respond(report, status.HTTP_201_CREATED)

    def update(self, request, *args, partial: bool = False, **kwargs) -> Response:
        report = self.get_object()
        expected = self._expected_version(report)
        current = {field: getattr(report, field) for field in REPORT_FIELDS}
        incoming = ReportWriteSerializer(
            report, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        incoming.is_valid(raise_exception=True)
        values = {**current, **incoming.validated_data} if partial else {**incoming.validated_data}
        report = self._call(
            progress_report_save,
            project=report.project,
            period=report.period,
            data=ReportData(**{field: values.get(field, current[field]) for field in REPORT_FIELDS}),
            by=request.user,
            expected_version=expected,
        )
        return self._respond(report)

    def _call(self, service, **kwargs) -> ProgressReport:
        try:
            return service(**kwargs)
        except StaleVersion as exc:
            raise PreconditionFailed() from exc

    def _workflow(self, service, *, reviewers_only: bool = False, **kwargs) -> Response:
        report = self.get_object()  # a report the caller cannot see is a 404 before anything else
        if reviewers_only:
            self._reviewers_only()
        expected = self._expected_version(report)
        report = self._call(service, report=report, by=self.request.user, expected_version=expected, **kwargs)
        return self._respond(report)

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None) -> Response:
        return self._workflow(progress_report_submit)

    def _reviewers_only(self) -> None:
        # Who may review is answered before the precondition: a liaison asking to approve gets 403, not 428/412.
        if access_for(self.request.user).role != Role.OFFICER:
            raise exceptions.PermissionDenied(_("Only a provincial officer reviews progress reports."))

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None) -> Response:
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._workflow(progress_report_approve, reviewers_only=True, comment=body.validated_data["comment"])

    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None) -> Response:
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._workflow(progress_report_return, reviewers_only=True, comment=body.validated_data["comment"])
