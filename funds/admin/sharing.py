"""Admin for pair industry funds' contributions and investments and for the co-built parks' tax and output.

Contributions and investments draw on the fund's limits (``Fund.contributed`` ≤ total, ``Fund.invested`` ≤
contributed): they are booked by ``funds.services``, read-only once saved and never deleted — a correction is a new
entry. A park's period figures are split between its partners when recorded; a wrong entry is deleted (with its
shares) and recorded again, since there is one entry per park and period.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyInline, SampleFilter, money_column
from funds.models import Fund, FundContribution, FundInvestment, FundKind, ParkLedgerEntry, ParkLedgerShare
from funds.services import fund_contribution_create, fund_investment_create, park_ledger_record
from pairing.admin_filters import PairedCountyListFilter, PairingListFilter

from .money import BookedAdmin


class PairIndustryFundChoiceMixin:
    """The fund is picked among pair industry funds only: the others take no contributions or investments."""

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "fund":
            kwargs["queryset"] = Fund.objects.filter(kind=FundKind.PAIR_INDUSTRY).select_related("program")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Shown inside a pair industry fund -------------------------------------------------------------------------------


class FundContributionInline(ReadOnlyInline):
    model = FundContribution
    fields = ["county", "money_amount", "paid_on", "document_no"]
    readonly_fields = fields

    money_amount = money_column("amount", _("amount"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("county")


class FundInvestmentInline(ReadOnlyInline):
    model = FundInvestment
    fields = ["project", "money_amount", "invested_on", "document_no"]
    readonly_fields = fields

    money_amount = money_column("amount", _("amount"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("project")


PAIR_FUND_INLINES = [FundContributionInline, FundInvestmentInline]


# --- Contributions and investments -----------------------------------------------------------------------------------


@admin.register(FundContribution)
class FundContributionAdmin(PairIndustryFundChoiceMixin, BookedAdmin):
    draws_on_a_limit = True
    list_display = ["fund", "county", "money_amount", "paid_on", "document_no", "sample_badge"]
    list_filter = [
        "fund__year",
        "fund__program",
        ("fund__pairing", PairingListFilter),
        ("county", PairedCountyListFilter),
        SampleFilter,
    ]
    search_fields = ["county__name", "=county__adcode", "document_no", "fund__name"]
    autocomplete_fields = ["county"]
    list_select_related = ["fund", "county"]
    date_hierarchy = "paid_on"
    ordering = ["-paid_on", "-id"]
    fields = ["fund", "county", "amount", "money_amount", "paid_on", "document_no", "is_sample"]
    locked_on_change = ("fund", "county", "amount", "paid_on")
    money_display = ("money_amount",)

    money_amount = money_column("amount", _("amount"))

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> FundContribution:
        data = form.cleaned_data
        return fund_contribution_create(
            fund=data["fund"],
            county=data["county"],
            amount=data["amount"],
            paid_on=data["paid_on"],
            document_no=data.get("document_no", ""),
            is_sample=data.get("is_sample", False),
        )


@admin.register(FundInvestment)
class FundInvestmentAdmin(PairIndustryFundChoiceMixin, BookedAdmin):
    draws_on_a_limit = True
    list_display = ["fund", "project", "money_amount", "invested_on", "document_no", "sample_badge"]
    list_filter = [
        "fund__year",
        "fund__program",
        ("fund__pairing", PairingListFilter),
        ("project__county", PairedCountyListFilter),
        SampleFilter,
    ]
    search_fields = ["project__code", "project__name", "document_no", "fund__name"]
    autocomplete_fields = ["project"]
    list_select_related = ["fund", "project"]
    date_hierarchy = "invested_on"
    ordering = ["-invested_on", "-id"]
    fields = ["fund", "project", "amount", "money_amount", "invested_on", "document_no", "is_sample"]
    locked_on_change = ("fund", "project", "amount", "invested_on")
    money_display = ("money_amount",)

    money_amount = money_column("amount", _("amount"))

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> FundInvestment:
        data = form.cleaned_data
        return fund_investment_create(
            fund=data["fund"],
            project=data["project"],
            amount=data["amount"],
            invested_on=data["invested_on"],
            document_no=data.get("document_no", ""),
            is_sample=data.get("is_sample", False),
        )


# --- Co-built parks' tax and output ----------------------------------------------------------------------------------


class ParkLedgerShareInline(ReadOnlyInline):
    model = ParkLedgerShare
    fields = ["county", "tax_share_pct", "money_tax", "output_share_pct", "money_output"]
    readonly_fields = fields
    show_change_link = False  # a share has no page of its own

    money_tax = money_column("tax", _("tax revenue"))
    money_output = money_column("output", _("output value"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("county")


@admin.register(ParkLedgerEntry)
class ParkLedgerEntryAdmin(BookedAdmin):
    list_display = [
        "park",
        "period",
        "money_tax",
        "money_output",
        "partner_count",
        "recorded_by",
        "recorded_at",
        "sample_badge",
    ]
    list_display_links = ["park", "period"]
    list_filter = ["park__pairing__program", "park", SampleFilter]
    search_fields = ["park__name", "period", "note"]
    autocomplete_fields = ["park"]
    list_select_related = ["park", "recorded_by"]
    ordering = ["park", "-period"]
    inlines = [ParkLedgerShareInline]
    fields = ["park", "period", "tax", "output", "money_tax", "money_output", "note", "is_sample"]
    locked_on_change = ("park", "period", "tax", "output")
    money_display = ("money_tax", "money_output")
    # Who recorded the figures and when: shown once saved, never entered.
    recorded = ("recorded_by", "recorded_at")

    money_tax = money_column("tax", _("tax revenue"))
    money_output = money_column("output", _("output value"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(partner_count=Count("shares"))

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        fields = super().get_fields(request, obj)
        return [*fields, *self.recorded] if obj is not None else fields

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, *self.recorded] if obj is not None else readonly

    @admin.display(description=_("partners"), ordering="partner_count")
    def partner_count(self, obj: ParkLedgerEntry) -> int:
        return obj.partner_count

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> ParkLedgerEntry:
        data = form.cleaned_data
        return park_ledger_record(
            park=data["park"],
            period=data["period"],
            tax=data["tax"],
            output=data["output"],
            note=data.get("note", ""),
            by=request.user,
            is_sample=data.get("is_sample", False),
        )
