"""Admin for projects (with their stage log and progress reports) and the other kinds of cooperation."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.admin import (
    ReadOnlyInline,
    SampleFilter,
    SampleMixin,
    ServiceAdmin,
    ServiceModelForm,
    TrackerModelAdmin,
    hide_sample_field,
    money_column,
    truncated_column,
    with_probed_dates,
)
from pairing.admin import PairingAdmin, ParkAdmin
from pairing.admin_filters import PairedCountyListFilter, PairingListFilter
from pairing.models import Park, Region

from .admin_review import ReviewWorkspaceMixin
from .models import (
    CrossCountyOrder,
    FinanceSupport,
    ProgressReport,
    Project,
    ProjectStageChange,
    PromotionEvent,
    ReportAttachment,
    ReportStatus,
    Secondment,
)
from .reports import (
    StaleVersion,
    may_open_attachments,
    progress_report_approve,
    progress_report_return,
    report_authors,
)
from .services import project_change_stage, project_create, project_version_claim
from .tasks import project_warning_refresh_task

PAIRING_RELATED = ["pairing__strong_county", "pairing__weak_county"]


class ProjectListInline(ReadOnlyInline):
    """The projects of a pairing or a park; they are created through the project form (its service)."""

    model = Project
    fields = ["code", "name", "enterprise", "county", "stage", "health", "money_planned_investment", "signed_date"]
    readonly_fields = fields
    verbose_name_plural = _("projects")

    money_planned_investment = money_column("planned_investment", _("planned investment"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("county")


# A pairing's and a park's change pages end with their projects. Projects adds the list to pairing's admins, so
# pairing (below projects in the app graph) needs to know nothing of projects.
PairingAdmin.inlines = [*PairingAdmin.inlines, ProjectListInline]
ParkAdmin.inlines = [*ParkAdmin.inlines, ProjectListInline]
STAGE_GATED_FIELDS = ("stage", "signed_date", "actual_start_date", "actual_production_date")
PERIOD_TEXT = re.compile(r"[0-9-]+")
SEARCH_KEYS_INLINE = 2000


# --- Search ----------------------------------------------------------------------------------------------------------
# The admin's own search ORs ``UPPER(column) LIKE '%term%'`` across the joined tables, so PostgreSQL reads every row
# of the list (100k projects, 1M reports nationally). These conditions are on the listed table's own columns — text
# that the trigram indexes of migration projects/0005 serve, keys of rows found in a small table — which the planner
# combines from indexes. They find the same rows as ``search_fields``.


def search_terms(search_term: str) -> list[str]:
    """The terms of a search as the admin splits them: on spaces, quotes keeping a phrase together."""
    terms = []
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit:
            terms.append(bit)
    return terms


def project_search_q(term: str) -> Q:
    """Projects whose code, name or enterprise contains ``term``, or located in a county whose name contains it or
    whose adcode it is (``search_fields`` of ``ProjectAdmin``)."""
    # Read first (a few rows of the registry), so that the condition is a list of keys the county index serves.
    counties = list(Region.objects.filter(name__icontains=term).values_list("adcode", flat=True))
    return (
        Q(code__icontains=term)
        | Q(name__icontains=term)
        | Q(enterprise__icontains=term)
        | Q(county_id__in=[*counties, term])
    )


def _keys_or_subquery(keys: QuerySet) -> list | QuerySet:
    """The keys themselves when they are few — the planner then reads each row by index, where the estimate of a
    LIKE would mislead it into walking the list's order index — else the subquery."""
    found = list(keys[: SEARCH_KEYS_INLINE + 1])
    return found if len(found) <= SEARCH_KEYS_INLINE else keys


def report_search_q(term: str) -> Q:
    """Reports of a project whose code, name or enterprise contains ``term``, or whose month contains it (only digits
    and hyphens can: a month is YYYY-MM)."""
    projects = Project.objects.filter(
        Q(code__icontains=term) | Q(name__icontains=term) | Q(enterprise__icontains=term)
    ).values_list("pk", flat=True)
    condition = Q(project_id__in=_keys_or_subquery(projects))
    if PERIOD_TEXT.fullmatch(term):
        condition |= Q(period__icontains=term)
    return condition


class StageChangeInline(ReadOnlyInline):
    model = ProjectStageChange
    fields = ["changed_at", "from_stage", "to_stage", "changed_by", "note"]
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("changed_by")


class ProgressReportInline(ReadOnlyInline):
    model = ProgressReport
    fields = [
        "period",
        "stage",
        "money_cumulative_investment",
        "money_month_investment",
        "jobs_created",
        "problem_category",
        "status",
    ]
    readonly_fields = fields
    ordering = ["-period"]

    money_cumulative_investment = money_column("cumulative_investment", _("cumulative investment"))
    money_month_investment = money_column("month_investment", _("investment this month"))


class ProjectForm(ServiceModelForm):
    service_field_names = {"note": "stage_note"}

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    stage_note = forms.CharField(
        label=_("reason for the stage change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the stage log; required when moving a project back to an earlier stage."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "county" in self.fields:
            # The service places the project in the pairing's weak county when none is given.
            self.fields["county"].required = False
            self.fields["county"].help_text = _("Empty: the pairing's weak county.")
        if self.instance.pk and "park" in self.fields:
            self.fields["park"].queryset = Park.objects.filter(pairing_id=self.instance.pairing_id)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version


@admin.register(Project)
class ProjectAdmin(SampleMixin, SimpleHistoryAdmin, ServiceAdmin):
    form = ProjectForm
    # The page shows what fits at 1440 px (the name cut, whole in its tooltip); the export keeps every column.
    list_display = [
        "code",
        "name_short",
        "sample_badge",
        "stage",
        "health",
        "pairing",
        "money_planned_investment",
        "money_completed_investment",
    ]
    export_list_display = [
        "code",
        "name",
        "enterprise",
        "pairing",
        "county",
        "stage",
        "health",
        "money_planned_investment",
        "money_completed_investment",
        "signed_date",
        "sample_badge",
    ]
    list_display_links = ["code", "name_short"]
    list_filter = [
        "stage",
        "health",
        "category",
        "pairing__program",
        ("pairing", PairingListFilter),
        ("county", PairedCountyListFilter),
        SampleFilter,
    ]
    search_fields = ["code", "name", "enterprise", "county__name", "=county__adcode"]
    autocomplete_fields = ["pairing", "park", "county"]
    list_select_related = [*PAIRING_RELATED, "county"]
    date_hierarchy = "signed_date"
    ordering = ["pairing_id", "code"]  # project_pairing_code_idx; "pairing" would sort through the program
    inlines = [StageChangeInline, ProgressReportInline]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        for term in search_terms(search_term):
            found = Project.objects.filter(project_search_q(term)).values_list("pk", flat=True)
            queryset = queryset.filter(pk__in=_keys_or_subquery(found))
        return queryset, False

    name_short = truncated_column("name", Project._meta.get_field("name").verbose_name)
    money_planned_investment = money_column("planned_investment", _("planned investment"), unit="header")
    money_completed_investment = money_column("completed_investment", _("completed investment"), unit="header")

    add_fieldsets = [
        (None, {"fields": ["pairing", "code", "name", "enterprise", "industry", "category", "county", "park"]}),
        (_("Investment"), {"fields": ["planned_investment"]}),
        (
            _("Stage and dates"),
            {
                "fields": [
                    "stage",
                    "signed_date",
                    ("planned_start_date", "planned_production_date"),
                    ("actual_start_date", "actual_production_date"),
                ]
            },
        ),
        (None, {"fields": ["description", "is_sample"]}),
    ]
    change_fieldsets = [
        (None, {"fields": ["code", "name", "pairing", "county", "park", "enterprise", "industry", "category"]}),
        (
            _("Investment"),
            {"fields": ["planned_investment", "money_planned_investment", "money_completed_investment"]},
        ),
        (
            _("Stage and dates"),
            {
                "fields": [
                    ("stage", "health"),
                    "stage_note",
                    "signed_date",
                    ("planned_start_date", "planned_production_date"),
                    ("actual_start_date", "actual_production_date"),
                ],
                "description": _("A change of stage is recorded in the stage log below with your name."),
            },
        ),
        (None, {"fields": ["description", "is_sample", "seen_version"]}),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Project | None = None):
        return hide_sample_field(self.change_fieldsets if obj is not None else self.add_fieldsets, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Project | None = None) -> list[str]:
        if obj is None:
            return []
        return ["pairing", "county", "is_sample", "money_planned_investment", "money_completed_investment"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return with_probed_dates(super().get_queryset(request).select_related(*PAIRING_RELATED, "county", "park"))

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> Project:
        data = form.cleaned_data
        return project_create(
            pairing=data["pairing"],
            code=data["code"],
            name=data["name"],
            county=data.get("county"),
            park=data.get("park"),
            enterprise=data.get("enterprise", ""),
            industry=data.get("industry", ""),
            category=data["category"],
            planned_investment=data["planned_investment"],
            signed_date=data.get("signed_date"),
            planned_start_date=data.get("planned_start_date"),
            planned_production_date=data.get("planned_production_date"),
            actual_start_date=data.get("actual_start_date"),
            actual_production_date=data.get("actual_production_date"),
            stage=data["stage"],
            description=data.get("description", ""),
            is_sample=data.get("is_sample", False),
            by=request.user,
        )

    def perform_save(self, request: HttpRequest, form: forms.ModelForm, obj: Project, change: bool) -> Project:
        if change:
            # Optimistic lock: the save goes ahead only if nobody changed the project since this form was opened.
            seen = form.cleaned_data.get("seen_version")
            if seen is not None:
                project_version_claim(project=obj, seen_version=seen)
        saved = super().perform_save(request, form, obj, change)
        if change and "health" in form.changed_data:
            # The warning colour follows the health mark (projects.warnings): reclassify now, not at tonight's run.
            # Robust: should the broker be down, the change is saved and the daily refresh catches up.
            transaction.on_commit(lambda: project_warning_refresh_task.delay(saved.pk), robust=True)
        return saved

    def change_via_service(self, request: HttpRequest, form: forms.ModelForm, obj: Project) -> None:
        if "stage" not in form.changed_data:
            return
        data = form.cleaned_data
        moved = project_change_stage(
            project=obj,
            to_stage=data["stage"],
            by=request.user,
            signed_date=data.get("signed_date"),
            actual_start_date=data.get("actual_start_date"),
            actual_production_date=data.get("actual_production_date"),
            note=data.get("stage_note", ""),
        )
        # The plain save that follows must write what the service decided, not what the form held.
        for field in STAGE_GATED_FIELDS:
            setattr(obj, field, getattr(moved, field))


class ReportReviewForm(ServiceModelForm):
    """The report is read-only here; the reviewer decides and comments. ``version`` is what the reviewer saw."""

    decision = forms.ChoiceField(
        label=_("decision"),
        required=False,
        choices=[("", "—"), ("approve", _("Approve")), ("return", _("Return to the liaison"))],
    )
    comment = forms.CharField(
        label=_("comment to the liaison"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when returning: say what must be corrected."),
    )
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version


class AttachmentInline(ReadOnlyInline):
    model = ReportAttachment
    fields = ["download", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    def get_formset(self, request: HttpRequest, obj: ProgressReport | None = None, **kwargs):
        # Inline instances are made per request: the viewer decides whether names are links.
        self.links = may_open_attachments(request.user)
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description=_("file"))
    def download(self, obj: ReportAttachment) -> str:
        # Through the view that checks the viewer (the files are not public), as a download.
        if not getattr(self, "links", False):
            return obj.original_name  # escaped by the admin, like every value
        url = reverse("projects:report_attachment", args=[obj.pk])
        return format_html('<a href="{}" download>{}</a>', url, obj.original_name)


@admin.register(ProgressReport)
class ProgressReportAdmin(ReviewWorkspaceMixin, SampleMixin, SimpleHistoryAdmin, ServiceAdmin):
    """Provincial review: open a submitted report, approve it or return it with a comment (one service each; the
    approval moves the project). Reports are filed by liaisons on their pages or through the API. The review
    workspace (``admin_review``) is the queue and one page per report."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("review/", view(self.review_queue_view), name="projects_progressreport_review_queue"),
            path("<int:report_id>/review/", view(self.review_view), name="projects_progressreport_review"),
            *super().get_urls(),
        ]

    form = ReportReviewForm
    change_list_template = "admin/projects/progressreport/change_list.html"
    # The page shows what fits at 1440 px (the project cut, whole in its tooltip); the export keeps every column.
    list_display = [
        "project_short",
        "sample_badge",
        "period",
        "status",
        "stage",
        "money_cumulative_investment",
        "money_month_investment",
        "submitted_on",
    ]
    export_list_display = [
        "project",
        "period",
        "stage",
        "money_cumulative_investment",
        "money_month_investment",
        "jobs_created",
        "money_output_value",
        "money_tax_paid",
        "problem_category",
        "status",
        "submitted_by",
        "submitted_at",
        "sample_badge",
    ]
    list_display_links = ["project_short"]
    list_filter = [
        "status",
        "stage",
        "problem_category",
        "project__pairing__program",
        ("project__pairing", PairingListFilter),
        ("project__county", PairedCountyListFilter),
        SampleFilter,
    ]
    search_fields = ["project__code", "project__name", "project__enterprise", "period"]
    list_select_related = ["project", "submitted_by"]
    date_hierarchy = "submitted_at"  # report_submitted_at_idx
    # report_period_project_idx; "project" would sort through the project's pairing and code. Month and project
    # identify a report, so the changelist adds no key of its own.
    ordering = ["-period", "project_id"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        for term in search_terms(search_term):
            queryset = queryset.filter(report_search_q(term))
        return queryset, False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return with_probed_dates(super().get_queryset(request))

    def get_ordering(self, request: HttpRequest) -> list[str]:
        # Drilled down to a year, month or day of submission: newest submission first, read backwards from
        # report_submitted_at_idx. In month-then-project order PostgreSQL would walk the month index until it met
        # enough reports submitted in that span (most of the table for an early month).
        if any(key.startswith(f"{self.date_hierarchy}__") for key in request.GET):
            return ["-submitted_at", "-id"]
        return self.ordering

    inlines = [AttachmentInline]
    actions = ["approve_selected"]
    report_fields = [
        "project",
        "period",
        "stage",
        "stage_back_reason",
        "actual_start_date",
        "actual_production_date",
        "money_cumulative_investment",
        "money_month_investment",
        "jobs_created",
        "money_output_value",
        "money_tax_paid",
        "problem_category",
        "problems",
        "status",
        "submitted_by",
        "submitted_at",
        "authors",
        "reviewed_by",
        "reviewed_at",
        "review_comment",
        "version",
        "is_sample",
    ]
    fieldsets = [
        (None, {"fields": ["project", "period", ("stage", "stage_back_reason")]}),
        (
            _("Figures"),
            {
                "fields": [
                    ("money_cumulative_investment", "money_month_investment"),
                    "jobs_created",
                    ("money_output_value", "money_tax_paid"),
                    ("actual_start_date", "actual_production_date"),
                ]
            },
        ),
        (_("Problems needing provincial coordination"), {"fields": ["problem_category", "problems"]}),
        (
            _("Review"),
            {
                "fields": [
                    "status",
                    ("submitted_by", "submitted_at"),
                    "authors",
                    ("reviewed_by", "reviewed_at"),
                    "review_comment",
                    "decision",
                    "comment",
                    "seen_version",
                ]
            },
        ),
        (None, {"fields": ["version", "is_sample"]}),
    ]

    money_cumulative_investment = money_column("cumulative_investment", _("cumulative investment"), unit="header")
    money_month_investment = money_column("month_investment", _("investment this month"), unit="header")
    project_short = truncated_column(
        "project", ProgressReport._meta.get_field("project").verbose_name, ordering="project__code"
    )

    @admin.display(description=ProgressReport._meta.get_field("submitted_at").verbose_name, ordering="submitted_at")
    def submitted_on(self, obj: ProgressReport) -> str:
        # The day is enough on the list (Beijing time); the change page and the export keep the time.
        return timezone.localdate(obj.submitted_at).isoformat() if obj.submitted_at else "—"

    money_output_value = money_column("output_value", _("output value"))
    money_tax_paid = money_column("tax_paid", _("tax paid"))

    @admin.display(description=_("written or changed by"))
    def authors(self, obj: ProgressReport) -> str:
        # None of them may approve the report (projects.reports._check_reviewer).
        names = [part.user.get_username() for part in report_authors(obj) if part.user is not None]
        return ", ".join(names) or "—"

    def get_readonly_fields(self, request: HttpRequest, obj: ProgressReport | None = None) -> list[str]:
        return self.report_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ProgressReport | None = None) -> bool:
        return False

    def response_change(self, request: HttpRequest, obj: ProgressReport) -> HttpResponseRedirect:
        """Say which decision was recorded (the generic "changed successfully" would not), then back to the list."""
        decision = request.POST.get("decision")
        if decision == "approve":
            self.message_user(request, _("Report %(report)s approved.") % {"report": obj}, messages.SUCCESS)
        elif decision == "return":
            message = _("Report %(report)s returned to the liaison with your comment.") % {"report": obj}
            self.message_user(request, message, messages.SUCCESS)
        else:
            self.message_user(request, _("No decision was recorded."), messages.WARNING)
        changelist = reverse("admin:projects_progressreport_changelist")
        return HttpResponseRedirect(
            add_preserved_filters(
                {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}, changelist
            )
        )

    def perform_save(self, request: HttpRequest, form: forms.ModelForm, obj: ProgressReport, change: bool):
        data = form.cleaned_data
        decision = data.get("decision")
        if not decision:
            return obj
        expected = data.get("seen_version")
        # When another officer decided since this page was opened, the report is no longer submitted either; the
        # reviewer must be told someone else changed it (the services' StaleVersion below), not only that it
        # cannot be reviewed.
        stale = expected is not None and expected != obj.version
        if obj.status != ReportStatus.SUBMITTED and not stale:
            raise ValidationError({"decision": _("Only a submitted report can be reviewed.")})
        try:
            if decision == "approve":
                return progress_report_approve(
                    report=obj, by=request.user, comment=data.get("comment", ""), expected_version=expected
                )
            return progress_report_return(
                report=obj, by=request.user, comment=data.get("comment", ""), expected_version=expected
            )
        except StaleVersion as exc:
            raise ValidationError(str(exc)) from exc
        except PermissionDenied as exc:
            raise ValidationError({"decision": str(exc)}) from exc

    @admin.action(description=_("Approve the selected submitted reports"), permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        approved = 0
        for report in queryset.filter(status=ReportStatus.SUBMITTED):
            try:
                progress_report_approve(report=report, by=request.user)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{report}: {'; '.join(getattr(exc, 'messages', [str(exc)]))}", "error")
            else:
                approved += 1
        self.message_user(request, _("%(n)d reports approved.") % {"n": approved})


@admin.register(CrossCountyOrder)
class CrossCountyOrderAdmin(SampleMixin, TrackerModelAdmin):
    list_display = [
        "buyer",
        "seller",
        "seller_county",
        "goods",
        "pairing",
        "money_amount",
        "signed_date",
        "sample_badge",
    ]
    list_filter = ["pairing__program", ("pairing", PairingListFilter), SampleFilter]
    search_fields = ["buyer", "seller", "goods", "seller_county__name"]
    autocomplete_fields = ["pairing", "seller_county"]
    list_select_related = [*PAIRING_RELATED, "seller_county"]
    date_hierarchy = "signed_date"
    ordering = ["-signed_date"]

    money_amount = money_column("amount", _("amount"))


@admin.register(PromotionEvent)
class PromotionEventAdmin(SampleMixin, TrackerModelAdmin):
    list_display = [
        "title",
        "pairing",
        "held_on",
        "location",
        "projects_signed",
        "money_intended_investment",
        "sample_badge",
    ]
    list_filter = ["pairing__program", ("pairing", PairingListFilter), SampleFilter]
    search_fields = ["title", "location"]
    autocomplete_fields = ["pairing"]
    list_select_related = PAIRING_RELATED
    date_hierarchy = "held_on"
    ordering = ["-held_on"]

    money_intended_investment = money_column("intended_investment", _("intended investment"))


@admin.register(Secondment)
class SecondmentAdmin(SampleMixin, TrackerModelAdmin):
    list_display = ["person", "kind", "post", "from_county", "to_county", "start_date", "end_date", "sample_badge"]
    list_filter = ["kind", "pairing__program", ("pairing", PairingListFilter), SampleFilter]
    search_fields = ["person", "post", "from_county__name", "to_county__name"]
    autocomplete_fields = ["pairing", "from_county", "to_county"]
    list_select_related = ["from_county", "to_county"]
    date_hierarchy = "start_date"
    ordering = ["-start_date"]


@admin.register(FinanceSupport)
class FinanceSupportAdmin(SampleMixin, TrackerModelAdmin):
    list_display = ["kind", "beneficiary", "pairing", "money_amount", "arranged_on", "sample_badge"]
    list_filter = ["kind", "pairing__program", ("pairing", PairingListFilter), SampleFilter]
    search_fields = ["beneficiary", "description"]
    autocomplete_fields = ["pairing"]
    list_select_related = PAIRING_RELATED
    date_hierarchy = "arranged_on"
    ordering = ["-arranged_on"]

    money_amount = money_column("amount", _("amount"))


from . import admin_bulletins  # noqa: E402,F401,I001  the bulletins admin registers itself
from . import admin_warnings  # noqa: E402,F401  the warnings admin registers itself
