"""Admin for the reference data (regions, source documents), programs, county roles, pairings and co-built parks."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.admin import (
    ReadOnlyInline,
    SampleFilter,
    SampleMixin,
    ServiceAdmin,
    TrackerModelAdmin,
    hide_sample_field,
    money_column,
    truncated_column,
)

from .models import Pairing, Park, ParkPartner, Program, ProgramCounty, Region, Source
from .services import pairing_create, pairing_end, program_county_designate


def provenance_html(source: Source | None, note: str = "") -> str:
    """The source document's title (linked) and what it says; shown read-only on documented rows."""
    if source is None:
        return format_html("<em>{}</em>", _("No source document (sample data)."))
    url = reverse("admin:pairing_source_change", args=[source.pk])
    parts = [format_html('<a href="{}">{}</a>', url, source.title)]
    details = ", ".join(str(v) for v in (source.issuer, source.published_on) if v)
    if details:
        parts.append(format_html(" <span class='quiet'>({})</span>", details))
    text = note or source.excerpt
    if text:
        parts.append(format_html('<p class="provenance">{}</p>', text))
    return format_html_join("", "{}", ((p,) for p in parts))


class ProvenanceMixin:
    """Documented rows (``is_sample=False``) keep their provenance read-only; sample rows stay editable.

    ``provenance_fields`` are the editable provenance fields of the model; ``locked_on_change`` the fields a change
    must never touch because a service decided them.
    """

    provenance_fields: tuple[str, ...] = ("source",)
    locked_on_change: tuple[str, ...] = ()

    @admin.display(description=_("provenance"))
    def provenance(self, obj) -> str:
        return provenance_html(obj.source, getattr(obj, "provenance_note", ""))

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields
        fields += [*self.locked_on_change, "is_sample", "provenance"]
        if not obj.is_sample:
            fields += list(self.provenance_fields)
        return fields


# --- Reference data ----------------------------------------------------------------------------------------------


@admin.register(Region)
class RegionAdmin(TrackerModelAdmin):
    list_display = ["adcode", "name", "level", "parent"]
    list_display_links = ["adcode", "name"]
    list_filter = ["level"]
    # "^adcode" matches a prefix, so 3704 lists every county of 枣庄市.
    search_fields = ["^adcode", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    ordering = ["adcode"]
    list_per_page = 100


@admin.register(Source)
class SourceAdmin(TrackerModelAdmin):
    list_display = ["title", "issuer", "published_on", "reference"]
    list_filter = ["issuer"]
    search_fields = ["title", "issuer", "reference", "excerpt"]
    date_hierarchy = "published_on"
    ordering = ["-published_on", "title"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


# --- Programs, county roles and pairings ------------------------------------------------------------------------


class ProgramCountyInline(ReadOnlyInline):
    model = ProgramCounty
    fields = ["county", "role", "source", "is_sample"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("county", "source")


@admin.register(Program)
class ProgramAdmin(TrackerModelAdmin):
    list_display = ["name", "code", "province", "start_date", "end_date", "pairing_count"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["province", "source"]
    list_select_related = ["province"]
    ordering = ["-start_date", "code"]
    inlines = [ProgramCountyInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(pairing_count=Count("pairings"))

    @admin.display(description=_("pairings"), ordering="pairing_count")
    def pairing_count(self, obj: Program) -> str:
        url = reverse("admin:pairing_pairing_changelist") + f"?program__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.pairing_count)


@admin.register(ProgramCounty)
class ProgramCountyAdmin(ProvenanceMixin, SampleMixin, ServiceAdmin):
    list_display = ["county", "county_adcode", "role", "program", "source", "sample_badge"]
    list_filter = ["program", "role", SampleFilter]
    search_fields = ["county__name", "=county__adcode"]
    autocomplete_fields = ["program", "county", "source"]
    list_select_related = ["program", "county", "source"]
    ordering = ["program", "role", "county"]
    fields = ["program", "county", "role", "source", "is_sample", "provenance"]
    locked_on_change = ("program", "county", "role")

    @admin.display(description=_("adcode"), ordering="county__adcode")
    def county_adcode(self, obj: ProgramCounty) -> str:
        return obj.county_id

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f for f in self.fields if obj is not None or f != "provenance"]

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> ProgramCounty:
        data = form.cleaned_data
        return program_county_designate(
            program=data["program"],
            county=data["county"],
            role=data["role"],
            source=data.get("source"),
            is_sample=data.get("is_sample", False),
        )


class ParkListInline(ReadOnlyInline):
    model = Park
    fields = ["name", "kind", "host_county", "status", "established_on", "is_sample"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("host_county")


@admin.register(Pairing)
class PairingAdmin(ProvenanceMixin, SampleMixin, ServiceAdmin):
    # The page shows what fits at 1440 px (the pair's name already says both counties; the program and the leader
    # cut, whole in their tooltips); the export keeps every column.
    list_display = [
        "__str__",
        "sample_badge",
        "status",
        "program_short",
        "start_date",
        "leader_short",
        "project_count",
    ]
    export_list_display = [
        "__str__",
        "strong_county",
        "weak_county",
        "program",
        "start_date",
        "status",
        "leader",
        "project_count",
        "sample_badge",
    ]
    list_filter = [
        "program",
        "status",
        ("weak_county", admin.RelatedOnlyFieldListFilter),
        ("strong_county", admin.RelatedOnlyFieldListFilter),
        SampleFilter,
    ]
    program_short = truncated_column("program", Pairing._meta.get_field("program").verbose_name, ordering="program")
    leader_short = truncated_column("leader", Pairing._meta.get_field("leader").verbose_name)
    search_fields = [
        "strong_county__name",
        "=strong_county__adcode",
        "weak_county__name",
        "=weak_county__adcode",
        "leader",
    ]
    autocomplete_fields = ["program", "strong_county", "weak_county", "source"]
    list_select_related = ["program", "strong_county", "weak_county"]
    date_hierarchy = "start_date"
    ordering = ["program", "weak_county"]
    # projects/admin.py adds the pairing's projects after these.
    inlines = [ParkListInline]
    actions = ["end_today"]
    provenance_fields = ("source", "provenance_note")
    locked_on_change = ("program", "strong_county", "weak_county", "start_date", "status", "end_date")

    add_fieldsets = [
        (None, {"fields": ["program", "strong_county", "weak_county", "start_date"]}),
        (_("Responsibility"), {"fields": ["leader", "assistance_team"]}),
        (_("Provenance"), {"fields": ["source", "provenance_note", "is_sample"]}),
    ]
    change_fieldsets = [
        (None, {"fields": ["program", "strong_county", "weak_county", "start_date", "status", "end_date"]}),
        (_("Responsibility"), {"fields": ["leader", "assistance_team"]}),
        (_("Provenance"), {"fields": ["provenance", "source", "provenance_note", "is_sample"]}),
    ]

    def get_fieldsets(self, request: HttpRequest, obj=None):
        return hide_sample_field(self.change_fieldsets if obj is not None else self.add_fieldsets, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # str() of a pairing names both counties, also in autocomplete results.
        return (
            super()
            .get_queryset(request)
            .select_related("program", "strong_county", "weak_county", "source")
            .annotate(project_count=Count("projects"))
        )

    @admin.display(description=_("projects"), ordering="project_count")
    def project_count(self, obj: Pairing) -> str:
        url = reverse("admin:projects_project_changelist") + f"?pairing__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.project_count)

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> Pairing:
        data = form.cleaned_data
        return pairing_create(
            program=data["program"],
            strong_county=data["strong_county"],
            weak_county=data["weak_county"],
            start_date=data["start_date"],
            source=data.get("source"),
            provenance_note=data.get("provenance_note", ""),
            leader=data.get("leader", ""),
            assistance_team=data.get("assistance_team", ""),
            is_sample=data.get("is_sample", False),
        )

    @admin.action(description=_("End the selected pairings today"), permissions=["change"])
    def end_today(self, request: HttpRequest, queryset: QuerySet) -> None:
        today = timezone.localdate()
        ended = 0
        for pairing in queryset:
            try:
                pairing_end(pairing=pairing, end_date=today)
            except ValidationError as exc:
                self.message_user(request, f"{pairing}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                ended += 1
        if ended:
            self.message_user(
                request,
                ngettext("%(count)d pairing ended.", "%(count)d pairings ended.", ended) % {"count": ended},
                messages.SUCCESS,
            )


# --- Co-built parks ---------------------------------------------------------------------------------------------


class ParkPartnerInline(admin.TabularInline):
    model = ParkPartner
    extra = 0
    fields = ["county", "capital_contribution", "money_capital", "tax_share_pct", "output_share_pct"]
    readonly_fields = ["money_capital"]
    autocomplete_fields = ["county"]

    money_capital = money_column("capital_contribution", _("capital (万元)"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("county")


@admin.register(Park)
class ParkAdmin(ProvenanceMixin, SampleMixin, TrackerModelAdmin):
    list_display = [
        "name",
        "kind",
        "pairing",
        "host_county",
        "planned_area_mu",
        "money_capital_total",
        "status",
        "established_on",
        "project_count",
        "sample_badge",
    ]
    list_filter = ["kind", "status", "pairing__program", SampleFilter]
    search_fields = ["name", "host_county__name", "=host_county__adcode"]
    autocomplete_fields = ["pairing", "host_county", "source"]
    list_select_related = ["pairing__strong_county", "pairing__weak_county", "host_county"]
    date_hierarchy = "established_on"
    ordering = ["pairing", "name"]
    # projects/admin.py adds the park's projects after these.
    inlines = [ParkPartnerInline]
    fieldsets = [
        (None, {"fields": ["pairing", "name", "kind", "host_county", "planned_area_mu", "status", "established_on"]}),
        (None, {"fields": ["description"]}),
        (_("Provenance"), {"fields": ["source", "is_sample"]}),
    ]

    money_capital_total = money_column("capital_total", _("partners' capital"))

    def get_fieldsets(self, request: HttpRequest, obj=None):
        if obj is None:
            return hide_sample_field(self.fieldsets, obj)
        *head, (title, options) = self.fieldsets
        return hide_sample_field([*head, (title, {"fields": ["provenance", *options["fields"]]})], obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        capital = (
            ParkPartner.objects.filter(park=OuterRef("pk"))
            .values("park")
            .annotate(total=Sum("capital_contribution"))
            .values("total")
        )
        return super().get_queryset(request).annotate(capital_total=Subquery(capital), project_count=Count("projects"))

    @admin.display(description=_("projects"), ordering="project_count")
    def project_count(self, obj: Park) -> str:
        url = reverse("admin:projects_project_changelist") + f"?park__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.project_count)
