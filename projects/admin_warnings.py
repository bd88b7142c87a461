"""Admin for the red / yellow / blue warnings: each program's rules (editable), the current warnings, their history
and the reminders sent (read-only), a "Refresh warnings now" button and action, and a page of reporting timeliness
and completeness per county. The numbers come from ``projects.warnings``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.admin import TrackerModelAdmin
from common.periods import MONTH_RE, ONE_PLACE
from pairing.admin_filters import PairedCountyListFilter, PairingListFilter
from pairing.models import Program

from .models import ProjectWarning, ReportReminder, WarningChange, WarningColour, WarningRules
from .warnings import (
    RefreshResult,
    last_overdue_period,
    reporting_rates,
    reporting_rates_total,
    warning_rules_for,
    warnings_refresh,
)

BADGE_COLOURS = {WarningColour.RED: "#c62828", WarningColour.YELLOW: "#f9a825", WarningColour.BLUE: "#1565c0"}
SEVERITY_ORDER = Case(
    When(colour=WarningColour.RED, then=Value(0)),
    When(colour=WarningColour.YELLOW, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def colour_badge(colour: str) -> str:
    if not colour:
        return "—"
    return format_html(
        '<span class="warning-badge warning-{}" style="display:inline-block;padding:1px 8px;border-radius:3px;'
        'background:{};color:#fff;font-weight:600;white-space:nowrap">{}</span>',
        colour,
        BADGE_COLOURS.get(colour, "#666"),
        WarningColour(colour).label,
    )


def reasons_html(reasons: list[dict[str, str]]) -> str:
    if not reasons:
        return "—"
    return format_html(
        "<ul style='margin:0;padding-left:1.2em;min-width:22em'>{}</ul>",
        format_html_join("", "<li>{}</li>", ((reason.get("text", ""),) for reason in reasons)),
    )


def pct_text(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)}%"


class ReadOnlyAdmin(TrackerModelAdmin):
    """Rows written by the services only: listed and shown, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WarningRules)
class WarningRulesAdmin(TrackerModelAdmin):
    list_display = [
        "program",
        "red_signed_not_started_months",
        "yellow_signed_not_started_months",
        "red_overdue_reports",
        "yellow_overdue_reports",
        "red_production_late_months",
        "yellow_investment_behind_pct",
        "report_due_day",
        "reminder_days_before_due",
    ]
    list_select_related = ["program"]
    autocomplete_fields = ["program"]
    fieldsets = [
        (None, {"fields": ["program"]}),
        (
            _("Signed and not started"),
            {"fields": [("yellow_signed_not_started_months", "red_signed_not_started_months")]},
        ),
        (_("Monthly reports"), {"fields": [("yellow_overdue_reports", "red_overdue_reports"), "report_due_day"]}),
        (_("Production and investment"), {"fields": ["red_production_late_months", "yellow_investment_behind_pct"]}),
        (_("Reminders"), {"fields": ["reminder_days_before_due"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: WarningRules | None = None) -> list[str]:
        return ["program"] if obj is not None else []


@admin.register(ProjectWarning)
class ProjectWarningAdmin(ReadOnlyAdmin):
    list_display = [
        "project_code",
        "project_name",
        "county",
        "program",
        "badge",
        "reasons_text",
        "since",
        "checked_on",
    ]
    list_display_links = ["project_code"]
    list_filter = [
        "colour",
        ("project__pairing__program", admin.RelatedFieldListFilter),
        ("project__pairing", PairingListFilter),
        ("project__county", PairedCountyListFilter),
    ]
    search_fields = ["project__code", "project__name", "project__enterprise"]
    list_select_related = ["project__county", "project__pairing__program"]
    fields = ["project", "badge", "reasons_text", "since", "checked_on"]
    readonly_fields = fields
    actions = ["refresh_warnings"]
    change_list_template = "admin/projects/projectwarning/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Annotated before ordering: the list is ordered red, yellow, blue.
        queryset = self.model._default_manager.get_queryset().annotate(severity=SEVERITY_ORDER)
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request: HttpRequest) -> list[str]:
        return ["severity", "project__code"]

    @admin.display(description=_("code"), ordering="project__code")
    def project_code(self, obj: ProjectWarning) -> str:
        return obj.project.code

    @admin.display(description=_("project"), ordering="project__name")
    def project_name(self, obj: ProjectWarning) -> str:
        return obj.project.name

    @admin.display(description=_("location county"), ordering="project__county")
    def county(self, obj: ProjectWarning) -> str:
        return obj.project.county.name

    @admin.display(description=_("program"), ordering="project__pairing__program")
    def program(self, obj: ProjectWarning) -> str:
        return str(obj.project.pairing.program)

    @admin.display(description=_("colour"), ordering="severity")
    def badge(self, obj: ProjectWarning) -> str:
        return colour_badge(obj.colour)

    @admin.display(description=_("reasons"))
    def reasons_text(self, obj: ProjectWarning) -> str:
        return reasons_html(obj.reasons)

    # --- Refresh and the reporting-rates page ----------------------------------------------------------------------

    def has_refresh_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("refresh/", view(self.refresh_view), name="projects_projectwarning_refresh"),
            path("reporting-rates/", view(self.reporting_rates_view), name="projects_projectwarning_reporting_rates"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_refresh": self.has_refresh_permission(request),
            "refresh_url": reverse(f"{self.admin_site.name}:projects_projectwarning_refresh"),
            "rates_url": reverse(f"{self.admin_site.name}:projects_projectwarning_reporting_rates"),
        }
        return super().changelist_view(request, extra_context)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not self.has_refresh_permission(request):
            actions.pop("refresh_warnings", None)
        return actions

    def _report(self, request: HttpRequest, result: RefreshResult) -> None:
        self.message_user(
            request,
            ngettext(
                "Warnings refreshed: %(checked)d projects checked (red %(red)d, yellow %(yellow)d, blue %(blue)d); "
                "%(changes)d change of colour recorded.",
                "Warnings refreshed: %(checked)d projects checked (red %(red)d, yellow %(yellow)d, blue %(blue)d); "
                "%(changes)d changes of colour recorded.",
                result.colour_changes,
            )
            % {
                "checked": result.checked,
                "red": result.by_colour.get(WarningColour.RED, 0),
                "yellow": result.by_colour.get(WarningColour.YELLOW, 0),
                "blue": result.by_colour.get(WarningColour.BLUE, 0),
                "changes": result.colour_changes,
            },
            messages.SUCCESS,
        )

    @admin.action(description=_("Refresh warnings now (the programs of the selected rows)"))
    def refresh_warnings(self, request: HttpRequest, queryset: QuerySet) -> None:
        if not self.has_refresh_permission(request):
            raise PermissionDenied
        program_ids = set(queryset.values_list("project__pairing__program", flat=True))
        for program in Program.objects.filter(pk__in=program_ids).order_by("code"):
            self._report(request, warnings_refresh(program=program))

    def refresh_view(self, request: HttpRequest) -> HttpResponse:
        """Refresh every program's warnings (a POST from the button on the list)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_refresh_permission(request):
            raise PermissionDenied
        self._report(request, warnings_refresh())
        return HttpResponseRedirect(reverse(f"{self.admin_site.name}:projects_projectwarning_changelist"))

    def reporting_rates_view(self, request: HttpRequest) -> HttpResponse:
        """Timeliness and completeness of one month's reports, per county, for one program."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        programs = list(Program.objects.order_by("-start_date", "code"))
        program = next((p for p in programs if p.code == request.GET.get("program")), programs[0] if programs else None)
        period = request.GET.get("period", "")
        rows, total = [], None
        if program is not None:
            if not MONTH_RE.match(period):
                due_day = warning_rules_for(program).report_due_day
                period = last_overdue_period(timezone.localdate(), due_day=due_day)
            rates = reporting_rates(program=program, period=period)
            rows = [self._rate_row(rate, rate.county) for rate in rates]
            total = self._rate_row(reporting_rates_total(rates), None)
            due_date = rates[0].due_date if rates else None
        else:
            due_date = None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reporting timeliness and completeness"),
            "opts": self.opts,
            "programs": programs,
            "program": program,
            "period": period,
            "due_date": due_date,
            "rows": rows,
            "total_row": total,
            "changelist_url": reverse(f"{self.admin_site.name}:projects_projectwarning_changelist"),
        }
        return TemplateResponse(request, "admin/projects/reporting_rates.html", context)

    @staticmethod
    def _rate_row(figures, county) -> dict[str, Any]:
        return {
            "county": county,
            "expected": figures.expected,
            "submitted": figures.submitted,
            "on_time": figures.on_time,
            "late": figures.late,
            "missing": figures.missing,
            "timeliness": pct_text(figures.timeliness_pct),
            "completeness": pct_text(figures.completeness_pct),
        }


@admin.register(WarningChange)
class WarningChangeAdmin(ReadOnlyAdmin):
    list_display = ["project", "from_badge", "to_badge", "reasons_text", "changed_on", "recorded_at"]
    list_filter = ["to_colour", "from_colour", ("project__pairing__program", admin.RelatedFieldListFilter)]
    search_fields = ["project__code", "project__name"]
    list_select_related = ["project"]
    date_hierarchy = "changed_on"
    ordering = ["-changed_on", "-id"]
    fields = ["project", "from_badge", "to_badge", "reasons_text", "changed_on", "recorded_at"]
    readonly_fields = fields

    @admin.display(description=_("from"), ordering="from_colour")
    def from_badge(self, obj: WarningChange) -> str:
        return colour_badge(obj.from_colour)

    @admin.display(description=_("to"), ordering="to_colour")
    def to_badge(self, obj: WarningChange) -> str:
        return colour_badge(obj.to_colour)

    @admin.display(description=_("reasons"))
    def reasons_text(self, obj: WarningChange) -> str:
        return reasons_html(obj.reasons)


@admin.register(ReportReminder)
class ReportReminderAdmin(ReadOnlyAdmin):
    list_display = ["project", "period", "kind", "recipient", "sent_at"]
    list_filter = ["kind", ("project__pairing__program", admin.RelatedFieldListFilter)]
    search_fields = ["project__code", "project__name", "recipient__username", "period"]
    list_select_related = ["project", "recipient"]
    date_hierarchy = "sent_at"
    ordering = ["-sent_at", "-id"]
    fields = ["project", "period", "kind", "recipient", "sent_at"]
    readonly_fields = fields
