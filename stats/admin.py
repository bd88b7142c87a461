"""Admin for statistics: the figures with their releases, file imports, and the gap table per program."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.admin import TrackerModelAdmin
from common.periods import ONE_PLACE, is_stat_period
from pairing.models import Program, Region, RegionLevel

from .import_jobs import import_job_request
from .importers import FileRejected
from .models import GapResult, ImportBatch, ImportJob, ImportJobStatus, Indicator, StatValue
from .reading import Limits, check_file
from .selectors import gap_rows, gaps_summary
from .services import indicators_import, pairings_import
from .wide import PREVIEW_LINES, read_indicator_file
from .workbooks import long_template, statistics_workbook, wide_template


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
            "CSV or Excel. Statistics: the statistics bureau's table as it comes (title, one- or two-row header, a "
            "row per province, city and county), or region,indicator,period,value,growth_pct,source[,release,as_of]. "
            "Pairings: program,strong,weak,start_date,source."
        ),
    )
    period = forms.CharField(
        label=_("period"),
        max_length=7,
        required=False,
        help_text=_("A bureau table's period (2025, or 2025-09 for January to September) when its title does not say."),
    )
    skip_unknown = forms.BooleanField(
        label=_("skip rows naming no county"),
        required=False,
        help_text=_("Import the rest of a bureau table whose rows name development zones or notes, and list them."),
    )

    def clean_period(self) -> str:
        period = self.cleaned_data["period"].strip()
        if period and not is_stat_period(period):
            raise forms.ValidationError(_("Use a year (2025) or a year-to-date month (2025-09)."))
        return period


class WorkbookForm(forms.Form):
    program = forms.ModelChoiceField(label=_("program"), queryset=Program.objects.all(), to_field_name="code")
    period = forms.CharField(label=_("period"), max_length=7, help_text=_("2025 or 2025-09"))

    def clean_period(self) -> str:
        period = self.cleaned_data["period"].strip()
        if not is_stat_period(period):
            raise forms.ValidationError(_("Use a year (2025) or a year-to-date month (2025-09)."))
        return period


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
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="stats_importbatch_upload"),
            path("upload/confirm/", view(self.confirm_view), name="stats_importbatch_confirm"),
            path("template/<str:layout>/", view(self.template_view), name="stats_importbatch_template"),
            path("workbook/", view(self.workbook_view), name="stats_importbatch_workbook"),
            *super().get_urls(),
        ]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("stats.add_statvalue"):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid() and form.cleaned_data["kind"] == ImportBatch.Kind.INDICATORS:
            # Statistics are shown as understood first; nothing is written before the officer confirms.
            try:
                preview = import_preview_store(
                    request,
                    upload=form.cleaned_data["file"],
                    period=form.cleaned_data["period"],
                    skip_unknown=form.cleaned_data["skip_unknown"],
                )
            except FileRejected as exc:
                problems = exc.problems
                messages.error(
                    request, _("Nothing was imported: the file has %(n)d bad row(s).") % {"n": len(problems)}
                )
            else:
                context = {
                    **self.admin_site.each_context(request),
                    "title": _("Check how the file was understood"),
                    "opts": self.model._meta,
                    **preview,
                }
                return TemplateResponse(request, "admin/stats/import_preview.html", context)
        elif request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            importer = pairings_import
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
            "provinces": Region.objects.filter(level=RegionLevel.PROVINCE).order_by("adcode"),
        }
        return TemplateResponse(request, "admin/stats/import.html", context)

    def confirm_view(self, request: HttpRequest) -> HttpResponse:
        """Import the file previewed in this session (its token posted back), as a background job if large."""
        if not request.user.has_perm("stats.add_statvalue"):
            raise PermissionDenied
        if request.method != "POST":
            return redirect("admin:stats_importbatch_upload")
        pending = import_preview_take(request, request.POST.get("token", ""))
        if pending is None:
            messages.error(request, _("That preview has expired or was already imported: upload the file again."))
            return redirect("admin:stats_importbatch_upload")
        stored, filename, options = pending
        try:
            with default_storage.open(stored, "rb") as stream:
                size = default_storage.size(stored)
                if size > settings.IMPORT_BACKGROUND_BYTES:
                    job = import_job_request(
                        kind=ImportBatch.Kind.INDICATORS,
                        upload=File(stream, name=filename),
                        by=request.user,
                        **options,
                    )
                    messages.info(
                        request,
                        _("%(name)s is being imported in the background; this page shows its progress.")
                        % {"name": filename},
                    )
                    return redirect("admin:stats_importjob_change", job.pk)
                report = indicators_import(stream=stream, filename=filename, by=request.user, **options)
        except FileRejected as exc:
            messages.error(
                request, _("Nothing was imported: the file has %(n)d bad row(s).") % {"n": len(exc.problems)}
            )
            for problem in exc.problems[:50]:
                messages.error(request, str(problem))
            return redirect("admin:stats_importbatch_upload")
        finally:
            default_storage.delete(stored)
        messages.success(
            request,
            _("%(name)s: %(rows)d rows — %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
            % {
                "name": filename,
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            },
        )
        for warning in report.warnings:
            messages.warning(request, warning)
        for skipped in report.skipped:
            messages.warning(request, _("skipped: %(row)s") % {"row": skipped})
        return redirect("admin:stats_importbatch_changelist")

    def template_view(self, request: HttpRequest, layout: str) -> HttpResponse:
        """The Chinese templates: ``long`` (a row per region, indicator and period) or ``wide`` (the bureau's
        table, with the rows of the province chosen by ``?province=``)."""
        if not request.user.has_perm("stats.add_statvalue"):
            raise PermissionDenied
        if layout == "long":
            return _xlsx_response(long_template(), "统计数据导入模板（长表）")
        if layout != "wide":
            raise Http404
        provinces = Region.objects.filter(level=RegionLevel.PROVINCE)
        province = provinces.filter(pk=request.GET.get("province", "")).first() or provinces.order_by("adcode").first()
        if province is None:
            raise Http404
        period = request.GET.get("period", "")
        if not is_stat_period(period):
            period = str(timezone.localdate().year - 1)
        return _xlsx_response(wide_template(province=province, period=period), f"统计局宽表导入模板-{period}")

    def workbook_view(self, request: HttpRequest) -> HttpResponse:
        """The officers' statistics workbook of a program for a period, prefilled with last period's figures."""
        if not request.user.has_perm("stats.add_statvalue"):
            raise PermissionDenied
        form = WorkbookForm(request.GET or None)
        if form.is_valid():
            program, period = form.cleaned_data["program"], form.cleaned_data["period"]
            return _xlsx_response(
                statistics_workbook(program=program, period=period), f"统计数据填报表-{program.code}-{period}"
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Statistics workbook to fill in"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/stats/statistics_workbook.html", context)


def _xlsx_response(content: bytes, stem: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}.xlsx")
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A preview's file waits this long for its confirmation; older ones are removed at the next upload.
PREVIEW_KEPT = dt.timedelta(hours=6)
PREVIEW_SESSION_KEY = "stats_import_preview"
PREVIEW_DIR = "imports/preview"
# Rows of a long file listed in its preview (the counts cover them all).
PREVIEW_ROWS_SHOWN = 200


def import_preview_store(request: HttpRequest, *, upload, period: str, skip_unknown: bool) -> dict:
    """Read ``upload`` as the import would (nothing written), keep the file for the confirmation when it has no
    problem, and return what the preview page shows. A file above ``IMPORT_BACKGROUND_BYTES`` is previewed from its
    first ``PREVIEW_LINES`` lines; its background job checks the rest."""
    suffix = check_file(upload.name or "", upload.size, Limits.from_settings())
    large = upload.size > settings.IMPORT_BACKGROUND_BYTES
    understood = read_indicator_file(
        upload.file,
        upload.name,
        period=period or None,
        skip_unknown=skip_unknown,
        max_lines=PREVIEW_LINES if large else None,
    )
    token = ""
    if not understood.problems:
        _preview_discard_old(request)
        token = secrets.token_urlsafe(18)
        upload.file.seek(0)
        stored = default_storage.save(f"{PREVIEW_DIR}/{token}{suffix}", upload.file)
        request.session[PREVIEW_SESSION_KEY] = {
            "token": token,
            "stored": stored,
            "filename": (upload.name or "")[:255],
            "period": period,
            "skip_unknown": skip_unknown,
        }
    names = dict(
        Region.objects.filter(adcode__in={row.region for row in understood.rows[:PREVIEW_ROWS_SHOWN]}).values_list(
            "adcode", "name"
        )
    )
    return {
        "understood": understood,
        "filename": upload.name,
        "token": token,
        "large": large,
        "figures": len(understood.rows),
        "long_rows": [
            {"row": row, "name": names.get(row.region, ""), "indicator": Indicator(row.indicator).label}
            for row in understood.rows[:PREVIEW_ROWS_SHOWN]
        ]
        if understood.layout == "long"
        else [],
        "more_rows": max(len(understood.rows) - PREVIEW_ROWS_SHOWN, 0) if understood.layout == "long" else 0,
        "problems": sorted(understood.problems, key=lambda problem: problem.line),
    }


def import_preview_take(request: HttpRequest, token: str) -> tuple[str, str, dict] | None:
    """The stored file, its name and the import's options of this session's preview ``token``; taken once."""
    pending = request.session.get(PREVIEW_SESSION_KEY)
    if not pending or not token or not secrets.compare_digest(str(pending.get("token", "")), token):
        return None
    del request.session[PREVIEW_SESSION_KEY]
    if not default_storage.exists(pending["stored"]):
        return None
    options = {"period": pending["period"] or None, "skip_unknown": bool(pending["skip_unknown"])}
    return pending["stored"], pending["filename"], options


def _preview_discard_old(request: HttpRequest) -> None:
    """Remove this session's previous preview file and any preview left unconfirmed for ``PREVIEW_KEPT``."""
    previous = request.session.pop(PREVIEW_SESSION_KEY, None)
    if previous:
        default_storage.delete(previous["stored"])
    try:
        _dirs, files = default_storage.listdir(PREVIEW_DIR)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - PREVIEW_KEPT
    for name in files:
        stored = f"{PREVIEW_DIR}/{name}"
        try:
            if default_storage.get_modified_time(stored) < cutoff:
                default_storage.delete(stored)
        except (FileNotFoundError, NotImplementedError):
            continue


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
        "period",
        "skip_unknown",
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
