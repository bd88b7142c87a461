"""Admin for projects (with their stage log and progress reports) and the other kinds of cooperation."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from common.admin import (
    ReadOnlyInline,
    SampleFilter,
    SampleMixin,
    ServiceAdmin,
    ServiceModelForm,
    TrackerModelAdmin,
    money_column,
)
from pairing.models import Park

from .models import (
    CrossCountyOrder,
    FinanceSupport,
    ProgressReport,
    Project,
    ProjectStageChange,
    PromotionEvent,
    Secondment,
)
from .services import project_change_stage, project_create

PAIRING_RELATED = ["pairing__strong_county", "pairing__weak_county"]
STAGE_GATED_FIELDS = ("stage", "signed_date", "actual_start_date", "actual_production_date")


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


@admin.register(Project)
class ProjectAdmin(SampleMixin, ServiceAdmin):
    form = ProjectForm
    list_display = [
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
    list_display_links = ["code", "name"]
    list_filter = ["stage", "health", "category", "pairing__program", SampleFilter]
    search_fields = ["code", "name", "enterprise", "county__name", "=county__adcode"]
    autocomplete_fields = ["pairing", "park", "county"]
    list_select_related = [*PAIRING_RELATED, "county"]
    date_hierarchy = "signed_date"
    ordering = ["pairing", "code"]
    inlines = [StageChangeInline, ProgressReportInline]

    money_planned_investment = money_column("planned_investment", _("planned investment"))
    money_completed_investment = money_column("completed_investment", _("completed investment"))

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
        (None, {"fields": ["description", "is_sample"]}),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Project | None = None):
        return self.change_fieldsets if obj is not None else self.add_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Project | None = None) -> list[str]:
        if obj is None:
            return []
        return ["pairing", "county", "is_sample", "money_planned_investment", "money_completed_investment"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related(*PAIRING_RELATED, "county", "park")

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


@admin.register(ProgressReport)
class ProgressReportAdmin(SampleMixin, TrackerModelAdmin):
    list_display = [
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
        "submitted_at",
        "sample_badge",
    ]
    list_filter = ["status", "stage", "problem_category", "project__pairing__program", SampleFilter]
    search_fields = ["project__code", "project__name", "project__enterprise", "period"]
    autocomplete_fields = ["project"]
    list_select_related = ["project"]
    date_hierarchy = "submitted_at"
    ordering = ["-period", "project"]
    # The review workflow (submit, approve, return) belongs to its services; here it is shown, not edited.
    readonly_fields = ["status", "submitted_by", "submitted_at", "reviewed_by", "reviewed_at", "review_comment"]
    fieldsets = [
        (None, {"fields": ["project", "period", "stage"]}),
        (
            _("Figures"),
            {
                "fields": [
                    ("cumulative_investment", "month_investment"),
                    "jobs_created",
                    ("output_value", "tax_paid"),
                ]
            },
        ),
        (_("Problems needing provincial coordination"), {"fields": ["problem_category", "problems"]}),
        (
            _("Review"),
            {"fields": ["status", ("submitted_by", "submitted_at"), ("reviewed_by", "reviewed_at"), "review_comment"]},
        ),
        (None, {"fields": ["is_sample"]}),
    ]

    money_cumulative_investment = money_column("cumulative_investment", _("cumulative investment"))
    money_month_investment = money_column("month_investment", _("investment this month"))
    money_output_value = money_column("output_value", _("output value"))
    money_tax_paid = money_column("tax_paid", _("tax paid"))

    def get_readonly_fields(self, request: HttpRequest, obj: ProgressReport | None = None) -> list[str]:
        fields = list(self.readonly_fields)
        if obj is not None:
            fields += ["project", "period"]
        return fields


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
    list_filter = ["pairing__program", SampleFilter]
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
    list_filter = ["pairing__program", SampleFilter]
    search_fields = ["title", "location"]
    autocomplete_fields = ["pairing"]
    list_select_related = PAIRING_RELATED
    date_hierarchy = "held_on"
    ordering = ["-held_on"]

    money_intended_investment = money_column("intended_investment", _("intended investment"))


@admin.register(Secondment)
class SecondmentAdmin(SampleMixin, TrackerModelAdmin):
    list_display = ["person", "kind", "post", "from_county", "to_county", "start_date", "end_date", "sample_badge"]
    list_filter = ["kind", "pairing__program", SampleFilter]
    search_fields = ["person", "post", "from_county__name", "to_county__name"]
    autocomplete_fields = ["pairing", "from_county", "to_county"]
    list_select_related = ["from_county", "to_county"]
    date_hierarchy = "start_date"
    ordering = ["-start_date"]


@admin.register(FinanceSupport)
class FinanceSupportAdmin(SampleMixin, TrackerModelAdmin):
    list_display = ["kind", "beneficiary", "pairing", "money_amount", "arranged_on", "sample_badge"]
    list_filter = ["kind", "pairing__program", SampleFilter]
    search_fields = ["beneficiary", "description"]
    autocomplete_fields = ["pairing"]
    list_select_related = PAIRING_RELATED
    date_hierarchy = "arranged_on"
    ordering = ["-arranged_on"]

    money_amount = money_column("amount", _("amount"))
