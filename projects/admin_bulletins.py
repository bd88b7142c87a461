"""Admin for the monthly bulletins (月通报): the list with links, a "Generate now" page (program and month) and an
action to generate selected bulletins again, a printable page per bulletin (A4, "save as PDF" from the browser) and
the download of its stored workbook.

The workbook is served by a staff-only view of this admin, never from a public media URL. The printable page and the
workbook are drawn from the same stored figures (``Bulletin.summary``), so they agree. The numbers come from
``projects.bulletins``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.admin import GeneratedDocumentAdmin, add_service_error
from common.periods import MONTH_RE, ONE_PLACE, current_month, month_before
from pairing.models import Program

from .models import Bulletin, WarningColour

# The pages import projects.bulletins when they are used: it writes workbooks with openpyxl (some 20 MB), and this
# module is loaded with the admin in every web and Celery process.


def pct_text(pct: str | None) -> str:
    """A stored percentage for people: one decimal place."""
    if pct is None:
        return "—"
    return f"{Decimal(pct).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)}%"


def _with_rates(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {**row, **{f"{name}_text": pct_text(row.get(name)) for name in names}}


def bulletin_document(bulletin: Bulletin) -> dict[str, Any] | None:
    """The stored figures arranged for the printable page (Chinese titles, rates as text); None before any."""
    from .bulletins import COLOUR_TITLES, PAIRING_STATUS_TITLES, STAGE_TITLES, period_title

    figures = bulletin.summary
    if not figures or "totals" not in figures:
        return None
    stages = [(stage, STAGE_TITLES.get(stage, stage)) for stage in figures["stages"]]
    totals = figures["totals"]
    reporting_rates = ("timeliness_pct", "completeness_pct")
    return {
        **figures,
        "title": f"{figures['program']['name']} {period_title(figures['period'])}通报",
        "period_title": period_title(figures["period"]),
        "report_period_title": period_title(figures["report_period"]),
        "stage_titles": [title for _stage, title in stages],
        "pairing_rows": [
            {
                **_with_rates(row, "completion_rate_pct"),
                "status_title": PAIRING_STATUS_TITLES.get(row["status"], row["status"]),
                "stage_counts": [row["stages"][stage] for stage, _title in stages],
            }
            for row in figures["pairings"]
        ],
        "totals": {
            **_with_rates(totals, "completion_rate_pct"),
            "stage_rows": [(title, totals["stages"][stage]) for stage, title in stages],
            "stage_counts": [totals["stages"][stage] for stage, _title in stages],
            "reporting": _with_rates(totals["reporting"], *reporting_rates),
        },
        "warning_rows": [
            {**row, "colour": colour, "colour_title": COLOUR_TITLES[colour]}
            for colour in (WarningColour.RED, WarningColour.YELLOW)
            for row in figures[colour]
        ],
        "reporting_rows": [_with_rates(row, *reporting_rates) for row in figures["reporting"]],
        "has_sample": any(row["is_sample"] for row in figures["pairings"]),
    }


class BulletinGenerateForm(forms.Form):
    program = forms.ModelChoiceField(label=_("program"), queryset=Program.objects.order_by("-start_date", "code"))
    period = forms.CharField(
        label=_("month"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
        help_text=_("YYYY-MM: the month reported on."),
    )

    def clean_period(self) -> str:
        period = self.cleaned_data["period"].strip()
        if not MONTH_RE.match(period):
            raise ValidationError(_("Enter the month as YYYY-MM, e.g. 2025-09."))
        return period


@admin.register(Bulletin)
class BulletinAdmin(GeneratedDocumentAdmin):
    list_display = ["program", "period", "generated_at", "generated_by", "print_link", "download_link"]
    list_display_links = ["period"]
    list_filter = ["program"]
    search_fields = ["period", "program__name", "program__code"]
    list_select_related = ["program", "generated_by"]
    ordering = ["-period", "program"]
    fields = ["program", "period", "generated_at", "generated_by", "print_link", "download_link"]
    readonly_fields = fields
    actions = ["generate_again"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("generate/", view(self.generate_view), name="projects_bulletin_generate"),
            path("<int:object_id>/print/", view(self.print_view), name="projects_bulletin_print"),
            path("<int:object_id>/download/", view(self.download_view), name="projects_bulletin_download"),
            *super().get_urls(),
        ]

    # --- Columns -------------------------------------------------------------------------------------------------

    @admin.display(description=_("printable page"))
    def print_link(self, obj: Bulletin) -> str:
        return format_html('<a href="{}">{}</a>', self._url("print", obj.pk), _("Print"))

    @admin.display(description=_("workbook"))
    def download_link(self, obj: Bulletin) -> str:
        from .bulletins import bulletin_filename

        if not obj.workbook:
            return "—"
        filename = bulletin_filename(program=obj.program, period=obj.period)
        return format_html('<a href="{}">{}</a>', self._url("download", obj.pk), filename)

    # --- Pages ---------------------------------------------------------------------------------------------------

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_generate": self.has_generate_permission(request),
            "generate_url": self._url("generate"),
        }
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "can_generate": self.has_generate_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _bulletin(self, request: HttpRequest, object_id: int) -> Bulletin:
        if not self.has_view_permission(request):
            raise PermissionDenied
        bulletin = self.get_queryset(request).select_related("program", "generated_by").filter(pk=object_id).first()
        if bulletin is None:
            raise Http404
        return bulletin

    def print_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        bulletin = self._bulletin(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "bulletin": bulletin,
            "doc": bulletin_document(bulletin),
            "back_url": self._url("change", bulletin.pk),
            "download_url": self._url("download", bulletin.pk) if bulletin.workbook else "",
        }
        return TemplateResponse(request, "admin/projects/bulletin/print.html", context)

    def download_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        from .bulletins import XLSX_CONTENT_TYPE, bulletin_filename

        bulletin = self._bulletin(request, object_id)
        if not bulletin.workbook:
            raise Http404
        try:
            handle = bulletin.workbook.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=bulletin_filename(program=bulletin.program, period=bulletin.period),
            content_type=XLSX_CONTENT_TYPE,
        )
        response["Cache-Control"] = "private, no-store"
        return response

    def generate_view(self, request: HttpRequest) -> HttpResponse:
        """The "Generate now" form: a program and a month; generating again replaces that month's bulletin."""
        from .bulletins import bulletin_generate

        if not self.has_generate_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = BulletinGenerateForm(request.POST)
            if form.is_valid():
                try:
                    bulletin = bulletin_generate(
                        program=form.cleaned_data["program"], period=form.cleaned_data["period"], by=request.user
                    )
                except ValidationError as exc:
                    add_service_error(form, exc)
                else:
                    self.message_user(
                        request,
                        _("The bulletin of %(program)s for %(period)s was generated.")
                        % {"program": bulletin.program, "period": bulletin.period},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(self._url("change", bulletin.pk))
        else:
            program = Program.objects.order_by("-start_date", "code").first()
            form = BulletinGenerateForm(initial={"program": program, "period": month_before(current_month())})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Generate a monthly bulletin"),
            "opts": self.opts,
            "form": form,
            "changelist_url": self._url("changelist"),
        }
        return TemplateResponse(request, "admin/projects/bulletin/generate.html", context)

    @admin.action(description=_("Generate the selected bulletins again"), permissions=["generate"])
    def generate_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        from .bulletins import bulletin_generate

        done = 0
        for bulletin in queryset.select_related("program").order_by("program__code", "period"):
            try:
                bulletin_generate(program=bulletin.program, period=bulletin.period, by=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{bulletin}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d bulletin generated again.", "%(count)d bulletins generated again.", done)
                % {"count": done},
                messages.SUCCESS,
            )
