"""Admin for statistics: the figures with their releases, file imports, and the gap table per program."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.admin import TrackerModelAdmin
from common.periods import ONE_PLACE, is_stat_period
from pairing.models import Program

from .import_jobs import import_job_request
from .importers import FileRejected
from .models import GapResult, ImportBatch, ImportJob, ImportJobStatus, Indicator, StatValue
from .selectors import gap_rows, gaps_summary
from .services import indicators_import, pairings_import


def pp(value: Decimal | None) -> str:
    """Percent or percentage points for people: one decimal place."""
    return "—" if value is None else str(Decimal(value).quantize(ONE_PLACE, rounding=ROUND_HALF_UP))


def gap_html(value: Decimal | None) -> str:
    if value is None:
        return "—"
    css = "gap-ahead" if value > 0 else "gap-behind" if value < 0 else "gap-even"
    sign = "+" if value > 0 else ""
    return format_html('<span class="{}">{}{}</span>', css, sign, pp(value))


def level_html(value: Decimal | None, indicator: str) -> str:
    if value is None:
        return "—"
    if indicator == Indicator.INCOME_PC:
        return f"{value:,.0f} 元"
    return f"{value / Decimal(100_000_000):,.2f} 亿元"


@admin.register(StatValue)
class StatValueAdmin(TrackerModelAdmin):
    list_display = ["region", "indicator", "period", "release", "as_of", "level_display", "growth_pct", "source"]
    list_filter = ["indicator", "release", "period"]
    search_fields = ["region__adcode", "region__name", "source"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
    readonly_fields = ["batch"]
    change_list_template = "admin/stats/statvalue_change_list.html"

    @admin.display(description=pgettext_lazy("statistic", "level"), ordering="value")
    def level_display(self, obj: StatValue) -> str:
        return level_html(obj.value, obj.indicator)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=ImportBatch.Kind.choices)
    file = forms.FileField(
        label=_("file"),
        help_text=_(
            "CSV or Excel. Statistics: region,indicator,period,value,growth_pct,source[,release,as_of]. "
            "Pairings: program,strong,weak,start_date,source."
        ),
    )


@admin.register(ImportBatch)
class ImportBatchAdmin(TrackerModelAdmin):
    list_display = [
        "imported_at",
        "kind",
        "filename",
        "rows",
        "created",
        "updated",
        "unchanged",
        "warning_count",
        "imported_by",
    ]
    list_filter = ["kind"]
    date_hierarchy = "imported_at"
    readonly_fields = [f.name for f in ImportBatch._meta.fields]
    change_list_template = "admin/stats/importbatch_change_list.html"

    @admin.display(description=_("warnings"))
    def warning_count(self, obj: ImportBatch) -> int:
        return len(obj.warnings)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="stats_importbatch_upload"),
            *super().get_urls(),
        ]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("stats.add_statvalue"):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            indicators = form.cleaned_data["kind"] == ImportBatch.Kind.INDICATORS
            importer = indicators_import if indicators else pairings_import
            try:
                if upload.size > settings.IMPORT_BACKGROUND_BYTES:
                    # A large file is imported by a worker, its progress shown on the job's page.
                    job = import_job_request(kind=form.cleaned_data["kind"], upload=upload, by=request.user)
                    messages.info(
                        request,
                        _("%(name)s is being imported in the background; this page shows its progress.")
                        % {"name": upload.name},
                    )
                    return redirect("admin:stats_importjob_change", job.pk)
                report = importer(stream=upload.file, filename=upload.name, by=request.user)
            except FileRejected as exc:
                problems = exc.problems
                messages.error(
                    request, _("Nothing was imported: the file has %(n)d bad row(s).") % {"n": len(problems)}
                )
            else:
                messages.success(
                    request,
                    _("%(name)s: %(rows)d rows — %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
                    % {
                        "name": upload.name,
                        "rows": report.rows,
                        "created": report.created,
                        "updated": report.updated,
                        "unchanged": report.unchanged,
                    },
                )
                for warning in report.warnings:
                    messages.warning(request, warning)
                return redirect("admin:stats_importbatch_changelist")
        jobs = list(ImportJob.objects.filter(status__in=PENDING_JOB).select_related("requested_by")[:20])
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import a file"),
            "form": form,
            "problems": problems,
            "opts": self.model._meta,
            "jobs": jobs,
            # While a background import is running, the page reloads (unless a form was just posted) so its
            # progress moves.
            "refresh_seconds": IMPORT_JOB_REFRESH_SECONDS if jobs and request.method == "GET" else None,
            "background_bytes": settings.IMPORT_BACKGROUND_BYTES,
        }
        return TemplateResponse(request, "admin/stats/import.html", context)


IMPORT_JOB_REFRESH_SECONDS = 2
PENDING_JOB = (ImportJobStatus.QUEUED, ImportJobStatus.RUNNING)


@admin.register(ImportJob)
class ImportJobAdmin(TrackerModelAdmin):
    """Background imports: written by ``stats.import_jobs`` only. A job's page reloads itself while it is queued or
    running, so its progress bar moves, and lists the lines to correct when the file was refused."""

    list_display = [
        "requested_at",
        "kind",
        "filename",
        "status",
        "progress_bar",
        "rows",
        "created",
        "updated",
        "requested_by",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["requested_by"]
    fields = [
        "kind",
        "filename",
        "size",
        "status",
        "progress_bar",
        "rows",
        "created",
        "updated",
        "unchanged",
        "error",
        "batch",
        "requested_by",
        "requested_at",
        "started_at",
        "finished_at",
    ]
    readonly_fields = fields
    change_form_template = "admin/stats/importjob_change_form.html"

    @admin.display(description=_("progress"), ordering="progress")
    def progress_bar(self, obj: ImportJob) -> str:
        return format_html(
            '<span class="import-progress"><progress max="100" value="{}" style="width:90px">{}%</progress> {}%</span>',
            obj.progress,
            obj.progress,
            obj.progress,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        job = self.get_queryset(request).filter(pk=object_id).first() if object_id.isdigit() else None
        extra_context = {
            **(extra_context or {}),
            "refresh_seconds": IMPORT_JOB_REFRESH_SECONDS if job is not None and job.status in PENDING_JOB else None,
            "problems": job.problems if job is not None else [],
            "warnings": job.warnings if job is not None else [],
        }
        return super().change_view(request, object_id, form_url, extra_context)


class GapTableForm(forms.Form):
    program = forms.ModelChoiceField(label=_("program"), queryset=Program.objects.all(), to_field_name="code")
    period = forms.CharField(label=_("period"), max_length=7, help_text=_("2025 or 2025-09"))
    indicator = forms.ChoiceField(label=_("indicator"), choices=Indicator.choices, initial=Indicator.GDP)

    def clean_period(self) -> str:
        period = self.cleaned_data["period"].strip()
        if not is_stat_period(period):
            raise forms.ValidationError(_("Use a year (2025) or a year-to-date month (2025-09)."))
        return period


@admin.register(GapResult)
class GapResultAdmin(TrackerModelAdmin):
    list_display = [
        "region",
        "indicator",
        "period",
        "growth_display",
        "gap_display",
        "rank",
        "rank_change",
        "in_bottom_ten",
        "release",
    ]
    list_filter = ["indicator", "period", "in_bottom_ten", "release", "province"]
    search_fields = ["region__adcode", "region__name"]
    list_select_related = ["region"]
    change_list_template = "admin/stats/gapresult_change_list.html"

    @admin.display(description=_("growth (%)"), ordering="growth_pct")
    def growth_display(self, obj: GapResult) -> str:
        return pp(obj.growth_pct)

    @admin.display(description=_("gap (pp)"), ordering="gap_pp")
    def gap_display(self, obj: GapResult) -> str:
        return gap_html(obj.gap_pp)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path("table/", self.admin_site.admin_view(self.table_view), name="stats_gapresult_table"),
            *super().get_urls(),
        ]

    def table_view(self, request: HttpRequest) -> HttpResponse:
        """The gap table of a program: weak counties first, then strong ones, then the rest, each by rank."""
        initial = {}
        first = Program.objects.order_by("-start_date").first()
        latest = GapResult.objects.order_by("-period").values_list("period", flat=True).first()
        if first:
            initial["program"] = first.code
        if latest:
            initial["period"] = latest
        form = GapTableForm(request.GET or None, initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Growth gaps against the province"),
            "form": form,
            "opts": self.model._meta,
            "changelist_url": reverse("admin:stats_gapresult_changelist"),
        }
        if form.is_valid():
            program = form.cleaned_data["program"]
            period = form.cleaned_data["period"]
            indicator = form.cleaned_data["indicator"]
            order = {"weak": 0, "strong": 1, None: 2}
            rows = sorted(
                gap_rows(program=program, period=period, indicator=indicator), key=lambda row: order[row.role]
            )
            summary = gaps_summary(program=program, period=period)
            context["rows"] = [
                {
                    "adcode": row.region.adcode,
                    "name": row.region.name,
                    "role": row.role,
                    "growth": pp(row.result.growth_pct) if row.result else "—",
                    "derived": row.result.growth_derived if row.result else False,
                    "province": pp(row.result.province_growth_pct) if row.result else "—",
                    "gap": gap_html(row.result.gap_pp) if row.result else "—",
                    "level": level_html(row.result.level, indicator) if row.result else "—",
                    "rank": row.result.rank if row.result else None,
                    "rank_change": row.result.rank_change if row.result else None,
                    "bottom": row.result.in_bottom_ten if row.result else False,
                    "exited": row.result.exited_bottom_ten if row.result else False,
                    "release": row.result.get_release_display() if row.result else "",
                }
                for row in rows
            ]
            context["summary"] = [
                {
                    "indicator": Indicator(code).label,
                    "group": pp(figures.group_growth_pct),
                    "province": pp(figures.province_growth_pct),
                    "gap": gap_html(figures.gap_pp),
                    "covered": f"{figures.members_covered}/{figures.members_total}",
                }
                for code, figures in summary["indicators"].items()
            ]
            context["moved_up"] = summary["moved_up"]
            context["exited_bottom_ten"] = summary["exited_bottom_ten"]
        return TemplateResponse(request, "admin/stats/gap_table.html", context)
