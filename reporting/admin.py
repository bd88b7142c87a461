"""Admin for targets (with their actuals computed for the page shown) and the annual evaluation reports."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from common.admin import SampleFilter, SampleMixin, TrackerModelAdmin
from common.forms import WanField, WanInput, typed_number, wan_text
from common.money import format_wan

from .models import METRIC_UNITS, Target, Unit
from .targets import TargetProgress, targets_progress


def format_metric_value(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == Unit.YUAN:
        return format_wan(value)  # a list column: one unit down it
    if unit in (Unit.COUNT, Unit.RANK):
        return f"{value:,.0f}"
    return f"{value:,.1f}"


class TargetChangeList(ChangeList):
    """Computes the actuals of the page's targets at once (one query per metric, not one per row)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        for progress in targets_progress(self.result_list):
            progress.target._progress = progress


FIGURE_HELP = _("Amounts in 万元; counts, % and pp as they are.")


class TargetForm(forms.ModelForm):
    """A target typed in its metric's unit as people say it: amounts in 万元 (stored in yuan), counts, % and pp as
    they are. The unit of ``target`` and ``baseline`` follows the metric chosen on the same form."""

    threshold = WanField(
        label=_("project threshold (万元)"),
        required=False,
        widget=WanInput(),
        help_text=_("For project counts: only projects with at least this planned investment count."),
    )
    baseline = forms.CharField(
        label=_("baseline"), required=False, help_text=_("Amounts in 万元; counts, % and pp as they are.")
    )
    target = forms.CharField(label=_("target"), help_text=_("Amounts in 万元; counts, % and pp as they are."))

    class Meta:
        model = Target
        fields = [
            "program",
            "county",
            "year",
            "title",
            "metric",
            "indicator",
            "threshold",
            "direction",
            "baseline",
            "target",
            "source",
            "is_sample",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk is not None and METRIC_UNITS.get(instance.metric) == Unit.YUAN:
            for name in ("baseline", "target"):
                self.initial[name] = wan_text(getattr(instance, name))

    def _figure(self, name: str, unit: str | None) -> Decimal | None:
        raw = self.data.get(self.add_prefix(name), "")
        field = self.fields[name]
        try:
            if unit == Unit.YUAN:
                return WanField(required=field.required).clean(raw)
            number = forms.DecimalField(max_digits=20, decimal_places=4, required=field.required)
            return number.clean(typed_number(str(raw)))
        except forms.ValidationError as error:
            self.add_error(name, error)
            return None

    def clean(self) -> dict:
        cleaned = super().clean()
        unit = METRIC_UNITS.get(cleaned.get("metric") or "")
        for name in ("baseline", "target"):
            cleaned[name] = self._figure(name, unit)
        return cleaned


@admin.register(Target)
class TargetAdmin(SampleMixin, TrackerModelAdmin):
    form = TargetForm
    list_display = [
        "county",
        "year",
        "metric",
        "indicator",
        "target_text",
        "actual_text",
        "progress_bar",
        "program",
        "sample_badge",
    ]
    list_filter = ["program", "year", "metric", SampleFilter]
    search_fields = ["county__name", "=county__adcode", "title"]
    autocomplete_fields = ["program", "county", "source"]
    list_select_related = ["program", "county"]
    ordering = ["program", "county", "year", "metric"]
    fieldsets = [
        (None, {"fields": ["program", "county", "year", "title"]}),
        (_("Goal"), {"fields": ["metric", "indicator", "threshold", "direction", "baseline", "target"]}),
        (_("Provenance"), {"fields": ["source", "is_sample"]}),
        (_("Actual"), {"fields": ["actual_text", "progress_bar"]}),
    ]
    readonly_fields = ["actual_text", "progress_bar"]

    def get_fieldsets(self, request: HttpRequest, obj: Target | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        # A target not yet saved has no actual figure to show (its metric, and so its unit, is not chosen yet).
        return fieldsets if obj is not None else fieldsets[:-1]

    def get_changelist(self, request: HttpRequest, **kwargs):
        return TargetChangeList

    def _progress(self, obj: Target) -> TargetProgress | None:
        if obj.pk is None:
            return None
        if not hasattr(obj, "_progress"):
            obj._progress = targets_progress([obj])[0]
        return obj._progress

    @admin.display(description=_("target"), ordering="target")
    def target_text(self, obj: Target) -> str:
        sign = "≥" if obj.direction == "at_least" else "≤"
        return f"{sign} {format_metric_value(obj.target, obj.unit)}"

    @admin.display(description=_("actual (computed)"))
    def actual_text(self, obj: Target) -> str:
        progress = self._progress(obj)
        return format_metric_value(progress.actual if progress else None, obj.unit)

    @admin.display(description=_("progress"))
    def progress_bar(self, obj: Target) -> str:
        progress = self._progress(obj)
        if progress is None or progress.met is None:
            return "—"
        label = _("met") if progress.met else _("not yet")
        colour = "#2e7d32" if progress.met else "#c77c02"
        return format_html(
            '<span class="target-progress" title="{}%"><span style="display:inline-block;width:80px;height:8px;'
            'background:#eee;vertical-align:middle"><span style="display:block;height:8px;width:{}%;background:{}">'
            "</span></span> {}</span>",
            f"{progress.progress_pct:.1f}" if progress.progress_pct is not None else "—",
            progress.bar_pct,
            colour,
            label,
        )


from . import admin_evaluation  # noqa: E402,F401  the evaluation reports admin registers itself
