"""Admin for impact estimates: a program's first treated year (when the default does not fit), and the stored
estimates, read-only (only ``impact.services.impact_recompute`` writes them)."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from common.admin import TrackerModelAdmin

from .models import ImpactResult, ImpactSetting
from .services import impact_setting_set
from .tasks import impact_recompute_task


@admin.register(ImpactSetting)
class ImpactSettingAdmin(TrackerModelAdmin):
    list_display = ["program", "first_treated_year"]
    list_select_related = ["program"]

    def save_model(self, request: HttpRequest, obj: ImpactSetting, form, change: bool) -> None:
        saved = impact_setting_set(program=obj.program, first_treated_year=obj.first_treated_year)
        obj.pk = saved.pk if saved else obj.pk
        code = obj.program.code
        transaction.on_commit(lambda: impact_recompute_task.delay(code))

    def delete_model(self, request: HttpRequest, obj: ImpactSetting) -> None:
        impact_setting_set(program=obj.program, first_treated_year=None)
        code = obj.program.code
        transaction.on_commit(lambda: impact_recompute_task.delay(code))


@admin.register(ImpactResult)
class ImpactResultAdmin(TrackerModelAdmin):
    list_display = ["program", "indicator", "first_treated_period", "donor_count", "computed_at"]
    list_filter = ["indicator", "program"]
    list_select_related = ["program"]
    readonly_fields = [
        "program",
        "indicator",
        "first_treated_period",
        "pre_periods",
        "post_periods",
        "donor_count",
        "pooled",
        "computed_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
