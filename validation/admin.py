"""Officers edit the rules of each program and read what the rules found, per county and month."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from common.admin import TrackerModelAdmin

from .models import RuleOutcome, ValidationRule


@admin.register(ValidationRule)
class ValidationRuleAdmin(TrackerModelAdmin):
    list_display = ["program", "kind", "field", "severity", "parameters", "active", "note"]
    list_display_links = ["kind"]
    list_filter = ["program", "kind", "severity", "active"]
    list_select_related = ["program"]
    list_editable = ["severity", "active"]
    search_fields = ["note"]
    fieldsets = [
        (None, {"fields": ["program", "kind", "field", "severity", "active"]}),
        (
            _("Parameters (as the kind needs)"),
            {"fields": [("minimum", "maximum"), ("earliest", "latest"), "max_words", "threshold"]},
        ),
        (None, {"fields": ["note"]}),
    ]

    @admin.display(description=_("parameters"))
    def parameters(self, obj: ValidationRule) -> str:
        parts = []
        for name in ("minimum", "maximum", "earliest", "latest", "max_words", "threshold"):
            value = getattr(obj, name)
            if value is not None:
                parts.append(f"{obj._meta.get_field(name).verbose_name}: {value}")
        return "; ".join(parts) or "—"


class CountyFilter(admin.SimpleListFilter):
    """Only the counties that have outcomes (the region filter would list every county of the country)."""

    title = _("county")
    parameter_name = "region"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        rows = RuleOutcome.objects.order_by("region_id").values_list("region_id", "region__name").distinct()
        return [(code, f"{name} {code}") for code, name in rows]

    def queryset(self, request: HttpRequest, queryset):
        return queryset.filter(region_id=self.value()) if self.value() else queryset


class PeriodFilter(admin.SimpleListFilter):
    title = _("period")
    parameter_name = "period"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        periods = RuleOutcome.objects.order_by("-period").values_list("period", flat=True).distinct()[:36]
        return [(p, p) for p in periods]

    def queryset(self, request: HttpRequest, queryset):
        return queryset.filter(period=self.value()) if self.value() else queryset


@admin.register(RuleOutcome)
class RuleOutcomeAdmin(TrackerModelAdmin):
    """Read only: outcomes are written by the reports' and the imports' services."""

    list_display = ["region", "period", "subject", "label", "field", "severity", "message", "recorded_at"]
    list_filter = [CountyFilter, PeriodFilter, "program", "subject", "severity", "rule__kind"]
    list_select_related = ["region"]
    search_fields = ["label", "message"]
    readonly_fields = [
        "rule",
        "program",
        "region",
        "period",
        "subject",
        "report_id",
        "label",
        "field",
        "severity",
        "message",
        "recorded_at",
        "recorded_by",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RuleOutcome | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: RuleOutcome | None = None) -> bool:
        return False
