"""Usage pages in the admin: a fund's overview (allocated, disbursed and what is left, per weak county) and a
special-bond plan's usage (quota, issued and what is left, per county, with bonds issued for projects that have not
started flagged), each with its Excel downloads and an "Export to Excel" action on the list.

``FundAdmin`` and ``BondPlanAdmin`` (in ``money``) take these in as mixins; the numbers come from
``funds.selectors`` and the workbooks from ``funds.exports``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from common.admin import money_html
from common.periods import ONE_PLACE
from funds.exports import (
    bond_plans_filename,
    bond_plans_workbook,
    fund_ledger_filename,
    fund_ledger_workbook,
    funds_overview_filename,
    funds_overview_workbook,
    xlsx_response,
)
from funds.models import BondIssue, BondPlan, Fund
from funds.selectors import BondFigures, FundFigures, bond_usage, fund_usage


def pct_html(rate_pct: Decimal | None) -> str:
    """A rate for people: one decimal place."""
    if rate_pct is None:
        return "—"
    return f"{rate_pct.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)}%"


class UsagePageMixin:
    """Extra admin pages about one object, opened by staff who may view that object, and export actions offered to
    the same staff (added to whatever actions the admin declares itself)."""

    usage_actions: tuple[str, ...] = ()

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if self.actions is None or IS_POPUP_VAR in request.GET or not self.has_view_permission(request):
            return actions
        for name in self.usage_actions:
            func, name, description = self.get_action(name)
            actions.setdefault(name, (func, name, description))
        return actions

    def usage_object(self, request: HttpRequest, object_id: int, *related: str) -> Model:
        if not self.has_view_permission(request):
            raise PermissionDenied
        obj = self.get_queryset(request).select_related(*related).filter(pk=object_id).first()
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return obj

    def usage_url(self, name: str, obj: Model | None = None) -> str:
        """The URL of this admin's view ``name`` (``change``, ``overview``…), for ``obj`` when given."""
        opts = self.model._meta
        args = [obj.pk] if obj is not None else []
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{name}", args=args)

    def usage_context(self, request: HttpRequest, obj: Model, title: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "original": obj,
            "change_url": self.usage_url("change", obj),
            "changelist_url": self.usage_url("changelist"),
        }


# --- Funds ---------------------------------------------------------------------------------------------------------


def fund_figures_row(figures: FundFigures) -> dict[str, Any]:
    return {
        "allocations": figures.allocations,
        "allocated": money_html(figures.allocated),
        "disbursed": money_html(figures.disbursed),
        "remaining": money_html(figures.remaining),
        "rate": pct_html(figures.disbursement_rate_pct),
    }


class FundOverviewMixin(UsagePageMixin):
    """The overview page of a fund, its two workbooks, a link column on the list and the export actions."""

    usage_actions = ("export_overview_xlsx", "export_allocations_xlsx")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:object_id>/overview/", view(self.overview_view), name="funds_fund_overview"),
            path("<int:object_id>/overview/xlsx/", view(self.overview_xlsx_view), name="funds_fund_overview_xlsx"),
            path(
                "<int:object_id>/allocations/xlsx/",
                view(self.allocations_xlsx_view),
                name="funds_fund_allocations_xlsx",
            ),
            *super().get_urls(),
        ]

    def get_list_display(self, request: HttpRequest) -> list[str]:
        return [*super().get_list_display(request), "overview_link"]

    @admin.display(description=_("usage"))
    def overview_link(self, obj: Fund) -> str:
        return format_html('<a href="{}">{}</a>', self.usage_url("overview", obj), _("Overview"))

    def overview_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        fund = self.usage_object(request, object_id, "program", "pairing__strong_county", "pairing__weak_county")
        usage = fund_usage(fund=fund)
        context = {
            **self.usage_context(request, fund, _("Fund overview: %(fund)s") % {"fund": fund}),
            "usage": usage,
            "summary": [
                (_("total"), money_html(usage.total)),
                (_("allocated"), money_html(usage.allocated)),
                (_("not yet allocated"), money_html(usage.unallocated)),
                (_("disbursed"), money_html(usage.disbursed)),
                (_("allocated, not yet disbursed"), money_html(usage.undisbursed)),
                (_("surplus (total less disbursed)"), money_html(usage.surplus)),
                (_("disbursement rate"), pct_html(usage.disbursement_rate_pct)),
            ],
            "rows": [{"county": row.county, **fund_figures_row(row)} for row in usage.counties],
            "total_row": fund_figures_row(usage.counties_total),
            "overview_xlsx_url": self.usage_url("overview_xlsx", fund),
            "allocations_xlsx_url": self.usage_url("allocations_xlsx", fund),
        }
        return TemplateResponse(request, "admin/funds/fund_overview.html", context)

    def overview_xlsx_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        fund = self.usage_object(request, object_id, "program")
        return xlsx_response(funds_overview_workbook([fund]), funds_overview_filename([fund]))

    def allocations_xlsx_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        fund = self.usage_object(request, object_id, "program")
        return xlsx_response(fund_ledger_workbook([fund]), fund_ledger_filename([fund]))

    @admin.action(description=_("Export to Excel"), permissions=["view"])
    def export_overview_xlsx(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        funds = list(queryset.select_related("program").order_by("-year", "program", "kind", "name", "pk"))
        return xlsx_response(funds_overview_workbook(funds), funds_overview_filename(funds))

    @admin.action(description=_("Export allocations and disbursements to Excel"), permissions=["view"])
    def export_allocations_xlsx(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        funds = list(queryset.select_related("program").order_by("-year", "program", "kind", "name", "pk"))
        return xlsx_response(fund_ledger_workbook(funds), fund_ledger_filename(funds))


# --- Special bonds -------------------------------------------------------------------------------------------------


def bond_figures_row(figures: BondFigures) -> dict[str, Any]:
    return {
        "quota": money_html(figures.quota),
        "issued": money_html(figures.issued),
        "remaining": money_html(figures.remaining),
        "rate": pct_html(figures.usage_rate_pct),
        "issue_count": figures.issue_count,
        "not_started": figures.issues_not_started,
    }


class BondPlanUsageMixin(UsagePageMixin):
    """The usage page of a special-bond plan, its workbook, a link column on the list and the export action."""

    usage_actions = ("export_usage_xlsx",)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:object_id>/usage/", view(self.usage_view), name="funds_bondplan_usage"),
            path("<int:object_id>/usage/xlsx/", view(self.usage_xlsx_view), name="funds_bondplan_usage_xlsx"),
            *super().get_urls(),
        ]

    def get_list_display(self, request: HttpRequest) -> list[str]:
        return [*super().get_list_display(request), "usage_link"]

    @admin.display(description=_("usage"))
    def usage_link(self, obj: BondPlan) -> str:
        return format_html('<a href="{}">{}</a>', self.usage_url("usage", obj), _("Usage"))

    def usage_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        plan = self.usage_object(request, object_id, "program")
        usage = bond_usage(plan=plan)
        context = {
            **self.usage_context(request, plan, _("Special-bond usage: %(plan)s") % {"plan": plan}),
            "usage": usage,
            "summary": [
                (_("total quota"), money_html(usage.total)),
                (_("assigned to counties"), money_html(usage.assigned)),
                (_("not yet assigned"), money_html(usage.unassigned)),
                (_("issued"), money_html(usage.issued)),
                (_("assigned, not yet issued"), money_html(usage.unissued)),
                (_("usage rate"), pct_html(usage.usage_rate_pct)),
            ],
            "rows": [
                {
                    "county": row.county,
                    "quota_url": reverse(f"{self.admin_site.name}:funds_bondquota_change", args=[row.quota_id]),
                    "issues": [
                        {
                            "project": entry.issue.project,
                            "amount": money_html(entry.issue.amount),
                            "issue_date": entry.issue.issue_date,
                            "term_years": entry.issue.term_years,
                            "rate_pct": entry.issue.rate_pct,
                            "not_started": entry.project_not_started,
                        }
                        for entry in row.issues
                    ],
                    **bond_figures_row(row),
                }
                for row in usage.counties
            ],
            "total_row": bond_figures_row(usage.counties_total),
            "usage_xlsx_url": self.usage_url("usage_xlsx", plan),
            # A label with a percent sign is looked up from Python: the template tag would escape the sign.
            "coupon_rate_label": BondIssue._meta.get_field("rate_pct").verbose_name,
        }
        return TemplateResponse(request, "admin/funds/bondplan_usage.html", context)

    def usage_xlsx_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        plan = self.usage_object(request, object_id, "program")
        return xlsx_response(bond_plans_workbook([plan]), bond_plans_filename([plan]))

    @admin.action(description=_("Export to Excel"), permissions=["view"])
    def export_usage_xlsx(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        plans = list(queryset.select_related("program").order_by("-year", "program", "pk"))
        return xlsx_response(bond_plans_workbook(plans), bond_plans_filename(plans))
