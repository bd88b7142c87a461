"""Admin for funds, allocations and disbursements, and special-bond plans, quotas and issues.

Every amount is booked by ``funds.services`` (which keeps the running totals) and is read-only once saved: a
correction is a new entry.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, F, Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.admin import (
    ReadOnlyInline,
    SampleFilter,
    SampleMixin,
    ServiceAdmin,
    ServiceInline,
    ServiceModelForm,
    money_column,
    remaining_column,
)
from funds.models import Allocation, BondIssue, BondPlan, BondQuota, Disbursement, Fund, FundKind
from funds.services import (
    allocation_create,
    bond_issue_create,
    bond_plan_create,
    bond_quota_assign,
    disbursement_create,
    fund_create,
)
from pairing.admin_filters import PairedCountyListFilter, PairingListFilter

from .overview import BondPlanUsageMixin, FundOverviewMixin


class BookedAdmin(SampleMixin, SimpleHistoryAdmin, ServiceAdmin):
    """A booked entry: created through its service, with ``locked_on_change`` read-only afterwards."""

    locked_on_change: tuple[str, ...] = ()
    money_display: tuple[str, ...] = ()
    # Deleting an entry that drew on a limit would leave the parent's running total wrong.
    draws_on_a_limit = False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return not self.draws_on_a_limit and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        if obj is None:
            return []
        return [*self.locked_on_change, "is_sample", *self.money_display]

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        fields = super().get_fields(request, obj)
        return [f for f in fields if obj is not None or f not in self.money_display]


class FundForm(ServiceModelForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "name" in self.fields:
            # The service names a fund after its kind (or its pairing) when no name is given.
            self.fields["name"].required = False


# --- Funds ---------------------------------------------------------------------------------------------------------


class AllocationInline(ReadOnlyInline):
    model = Allocation
    fields = [
        "county",
        "project",
        "money_amount",
        "money_disbursed",
        "money_undisbursed",
        "allocated_on",
        "document_no",
    ]
    readonly_fields = fields

    money_amount = money_column("amount", _("amount"))
    money_disbursed = money_column("disbursed", _("disbursed"))
    money_undisbursed = remaining_column("amount", "disbursed", _("not yet disbursed"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("county", "project")


@admin.register(Fund)
class FundAdmin(FundOverviewMixin, BookedAdmin):
    form = FundForm
    list_display = [
        "year",
        "name",
        "kind",
        "program",
        "pairing",
        "money_total",
        "money_allocated",
        "money_unallocated",
        "sample_badge",
    ]
    list_display_links = ["year", "name"]
    list_filter = ["year", "kind", "program", SampleFilter]
    search_fields = ["name", "program__name"]
    autocomplete_fields = ["program", "pairing"]
    list_select_related = ["program", "pairing__strong_county", "pairing__weak_county"]
    ordering = ["-year", "program", "kind", "name"]
    inlines = [AllocationInline]
    fields = [
        "program",
        "year",
        "kind",
        "pairing",
        "name",
        "total",
        "money_total",
        "money_allocated",
        "money_unallocated",
        "is_sample",
    ]
    locked_on_change = ("program", "year", "kind", "pairing", "total")
    money_display = ("money_total", "money_allocated", "money_unallocated")

    money_total = money_column("total", _("total"))
    money_allocated = money_column("allocated", _("allocated"))
    money_unallocated = remaining_column("total", "allocated", _("not yet allocated"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(total_left=F("total") - F("allocated"))

    def get_inlines(self, request: HttpRequest, obj: Fund | None) -> list:
        inlines = super().get_inlines(request, obj)
        if obj is not None and obj.kind == FundKind.PAIR_INDUSTRY:
            # Imported here: the sharing admin builds on BookedAdmin from this module.
            from .sharing import PAIR_FUND_INLINES

            inlines = [*inlines, *PAIR_FUND_INLINES]
        return inlines

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> Fund:
        data = form.cleaned_data
        return fund_create(
            program=data["program"],
            year=data["year"],
            total=data["total"],
            kind=data["kind"],
            name=data.get("name", ""),
            pairing=data.get("pairing"),
            is_sample=data.get("is_sample", False),
        )


class DisbursementInline(ReadOnlyInline):
    model = Disbursement
    fields = ["paid_on", "money_amount", "document_no", "purpose"]
    readonly_fields = fields

    money_amount = money_column("amount", _("amount"))


@admin.register(Allocation)
class AllocationAdmin(BookedAdmin):
    draws_on_a_limit = True
    list_display = [
        "fund",
        "county",
        "project",
        "money_amount",
        "money_disbursed",
        "money_undisbursed",
        "allocated_on",
        "document_no",
        "sample_badge",
    ]
    list_filter = [
        "fund__year",
        "fund__kind",
        "fund__program",
        ("county", PairedCountyListFilter),
        ("project__pairing", PairingListFilter),
        SampleFilter,
    ]
    search_fields = ["county__name", "=county__adcode", "project__code", "project__name", "document_no", "fund__name"]
    autocomplete_fields = ["fund", "county", "project"]
    list_select_related = ["fund", "county", "project"]
    date_hierarchy = "allocated_on"
    ordering = ["fund", "county", "allocated_on"]
    inlines = [DisbursementInline]
    fields = [
        "fund",
        "county",
        "project",
        "amount",
        "money_amount",
        "money_disbursed",
        "money_undisbursed",
        "allocated_on",
        "document_no",
        "purpose",
        "is_sample",
    ]
    locked_on_change = ("fund", "county", "project", "amount", "allocated_on")
    money_display = ("money_amount", "money_disbursed", "money_undisbursed")

    money_amount = money_column("amount", _("amount"))
    money_disbursed = money_column("disbursed", _("disbursed"))
    money_undisbursed = remaining_column("amount", "disbursed", _("not yet disbursed"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("fund", "county", "project")
            .annotate(amount_left=F("amount") - F("disbursed"))
        )

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> Allocation:
        data = form.cleaned_data
        return allocation_create(
            fund=data["fund"],
            county=data["county"],
            amount=data["amount"],
            allocated_on=data["allocated_on"],
            project=data.get("project"),
            document_no=data.get("document_no", ""),
            purpose=data.get("purpose", ""),
            is_sample=data.get("is_sample", False),
        )


@admin.register(Disbursement)
class DisbursementAdmin(BookedAdmin):
    draws_on_a_limit = True
    list_display = ["allocation", "money_amount", "paid_on", "document_no", "purpose", "sample_badge"]
    list_filter = [
        "allocation__fund__year",
        "allocation__fund__program",
        ("allocation__county", PairedCountyListFilter),
        SampleFilter,
    ]
    search_fields = ["allocation__county__name", "=allocation__county__adcode", "document_no", "purpose"]
    autocomplete_fields = ["allocation"]
    list_select_related = ["allocation__fund", "allocation__county"]
    date_hierarchy = "paid_on"
    ordering = ["-paid_on"]
    fields = ["allocation", "amount", "money_amount", "paid_on", "document_no", "purpose", "is_sample"]
    locked_on_change = ("allocation", "amount", "paid_on")
    money_display = ("money_amount",)

    money_amount = money_column("amount", _("amount"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("allocation__fund", "allocation__county")

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> Disbursement:
        data = form.cleaned_data
        return disbursement_create(
            allocation=data["allocation"],
            amount=data["amount"],
            paid_on=data["paid_on"],
            document_no=data.get("document_no", ""),
            purpose=data.get("purpose", ""),
            is_sample=data.get("is_sample", False),
        )


# --- Special bonds -------------------------------------------------------------------------------------------------


class BondQuotaInline(ServiceInline):
    model = BondQuota
    fields = ["county", "quota", "money_quota", "money_issued", "money_unissued"]
    readonly_fields = ["money_quota", "money_issued", "money_unissued"]
    autocomplete_fields = ["county"]
    show_change_link = True

    money_quota = money_column("quota", _("quota"))
    money_issued = money_column("issued", _("issued"))
    money_unissued = remaining_column("quota", "issued", _("not yet issued"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("county")

    def create_via_service(self, request: HttpRequest, parent: BondPlan, form: forms.ModelForm) -> BondQuota:
        data = form.cleaned_data
        return bond_quota_assign(plan=parent, county=data["county"], quota=data["quota"], is_sample=parent.is_sample)


@admin.register(BondPlan)
class BondPlanAdmin(BondPlanUsageMixin, BookedAdmin):
    list_display = [
        "year",
        "program",
        "money_total",
        "money_assigned",
        "money_unassigned",
        "quota_count",
        "sample_badge",
    ]
    list_display_links = ["year", "program"]
    list_filter = ["year", "program", SampleFilter]
    search_fields = ["program__name", "program__code"]
    autocomplete_fields = ["program"]
    list_select_related = ["program"]
    ordering = ["-year", "program"]
    inlines = [BondQuotaInline]
    fields = ["program", "year", "total", "money_total", "money_assigned", "money_unassigned", "is_sample"]
    locked_on_change = ("program", "year", "total")
    money_display = ("money_total", "money_assigned", "money_unassigned")

    money_total = money_column("total", _("total quota"))
    money_assigned = money_column("assigned", _("assigned to counties"))
    money_unassigned = remaining_column("total", "assigned", _("not yet assigned"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("program")
            .annotate(total_left=F("total") - F("assigned"), quota_count=Count("quotas"))
        )

    @admin.display(description=_("counties"), ordering="quota_count")
    def quota_count(self, obj: BondPlan) -> int:
        return obj.quota_count

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> BondPlan:
        data = form.cleaned_data
        return bond_plan_create(
            program=data["program"], year=data["year"], total=data["total"], is_sample=data.get("is_sample", False)
        )


class BondIssueInline(ServiceInline):
    model = BondIssue
    fields = ["project", "amount", "money_amount", "issue_date", "term_years", "rate_pct"]
    readonly_fields = ["money_amount"]
    autocomplete_fields = ["project"]

    money_amount = money_column("amount", _("amount"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("project")

    def create_via_service(self, request: HttpRequest, parent: BondQuota, form: forms.ModelForm) -> BondIssue:
        data = form.cleaned_data
        return bond_issue_create(
            quota=parent,
            amount=data["amount"],
            issue_date=data["issue_date"],
            term_years=data["term_years"],
            rate_pct=data["rate_pct"],
            project=data.get("project"),
            is_sample=parent.is_sample,
        )


@admin.register(BondQuota)
class BondQuotaAdmin(BookedAdmin):
    draws_on_a_limit = True
    list_display = ["plan", "county", "money_quota", "money_issued", "money_unissued", "sample_badge"]
    list_filter = ["plan__year", "plan__program", ("county", PairedCountyListFilter), SampleFilter]
    search_fields = ["county__name", "=county__adcode"]
    autocomplete_fields = ["plan", "county"]
    list_select_related = ["plan__program", "county"]
    ordering = ["plan", "county"]
    inlines = [BondIssueInline]
    fields = ["plan", "county", "quota", "money_quota", "money_issued", "money_unissued", "is_sample"]
    locked_on_change = ("plan", "county", "quota")
    money_display = ("money_quota", "money_issued", "money_unissued")

    money_quota = money_column("quota", _("quota"))
    money_issued = money_column("issued", _("issued"))
    money_unissued = remaining_column("quota", "issued", _("not yet issued"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("plan__program", "county")
            .annotate(quota_left=F("quota") - F("issued"))
        )

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> BondQuota:
        data = form.cleaned_data
        return bond_quota_assign(
            plan=data["plan"], county=data["county"], quota=data["quota"], is_sample=data.get("is_sample", False)
        )


@admin.register(BondIssue)
class BondIssueAdmin(BookedAdmin):
    draws_on_a_limit = True
    list_display = ["quota", "project", "money_amount", "issue_date", "term_years", "rate_pct", "sample_badge"]
    list_filter = [
        "quota__plan__year",
        "quota__plan__program",
        ("quota__county", PairedCountyListFilter),
        ("project__pairing", PairingListFilter),
        SampleFilter,
    ]
    search_fields = ["quota__county__name", "=quota__county__adcode", "project__code", "project__name"]
    autocomplete_fields = ["quota", "project"]
    list_select_related = ["quota__plan", "quota__county", "project"]
    date_hierarchy = "issue_date"
    ordering = ["-issue_date"]
    fields = ["quota", "project", "amount", "money_amount", "issue_date", "term_years", "rate_pct", "is_sample"]
    locked_on_change = ("quota", "project", "amount", "issue_date")
    money_display = ("money_amount",)

    money_amount = money_column("amount", _("amount"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("quota__plan", "quota__county", "project")

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> BondIssue:
        data = form.cleaned_data
        return bond_issue_create(
            quota=data["quota"],
            amount=data["amount"],
            issue_date=data["issue_date"],
            term_years=data["term_years"],
            rate_pct=data["rate_pct"],
            project=data.get("project"),
            is_sample=data.get("is_sample", False),
        )
