"""Stored impact estimates per program and indicator (docs/domain.md, "Impact"): the pooled difference-in-
differences with its event study, and one synthetic control per weak county. Recomputed by
``impact.services.impact_recompute``; a result is rewritten only when its figures change."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pairing.models import Program, Region
from stats.models import Indicator


class ImpactSetting(models.Model):
    """A program's own choice of its first treated year, where the default (the first full calendar year after
    the program's start date) does not fit."""

    program = models.OneToOneField(
        Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="impact_setting"
    )
    first_treated_year = models.PositiveSmallIntegerField(
        _("first treated year"),
        help_text=_("The first year counted as under the program; by default the first full year after its start."),
    )

    class Meta:
        verbose_name = _("impact setting")
        verbose_name_plural = _("impact settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(first_treated_year__gte=1990) & Q(first_treated_year__lte=2100),
                name="impact_setting_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} · {self.first_treated_year}"


class ImpactResult(models.Model):
    """One program and indicator: the periods used and the pooled estimate (numbers, or a note saying why not)."""

    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="+")
    indicator = models.CharField(_("indicator"), max_length=16, choices=Indicator.choices)
    first_treated_period = models.CharField(_("first treated period"), max_length=4)
    pre_periods = models.JSONField(_("pre-periods"), default=list)
    post_periods = models.JSONField(_("post-periods"), default=list)
    donor_count = models.PositiveIntegerField(_("donor counties"), default=0)
    pooled = models.JSONField(_("pooled estimate"), default=dict)
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)
    # A digest of everything the estimate was computed from (the panel, the counties, the first treated year, the
    # method's version): a recomputation with the same inputs skips the estimation instead of repeating it.
    inputs_digest = models.CharField(_("inputs digest"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("impact estimate")
        verbose_name_plural = _("impact estimates")
        ordering = ["program", "indicator"]
        constraints = [
            models.UniqueConstraint(fields=["program", "indicator"], name="impact_result_one_per_indicator"),
        ]

    def __str__(self) -> str:
        return f"{self.program_id} {self.indicator}"


class ImpactCounty(models.Model):
    """One weak county's synthetic control: effects per post year, fit, placebo p-value and donors — or a note."""

    result = models.ForeignKey(
        ImpactResult, verbose_name=_("impact estimate"), on_delete=models.CASCADE, related_name="counties"
    )
    region = models.ForeignKey(Region, verbose_name=_("county"), on_delete=models.CASCADE, related_name="+")
    effects = models.JSONField(_("effects (pp)"), default=list)
    pre_rmspe = models.FloatField(_("pre-period RMSPE (pp)"), null=True, blank=True)
    placebo_p = models.FloatField(_("placebo p-value"), null=True, blank=True)
    donors = models.JSONField(_("donor weights"), default=list)
    path = models.JSONField(_("actual and synthetic growth"), default=list)
    placebo_ratios = models.JSONField(_("placebo RMSPE ratios"), default=list)
    ratio = models.FloatField(_("post/pre RMSPE ratio"), null=True, blank=True)
    fit = models.CharField(_("fitted on"), max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("county impact estimate")
        verbose_name_plural = _("county impact estimates")
        ordering = ["result", "region"]
        constraints = [
            models.UniqueConstraint(fields=["result", "region"], name="impact_county_one_per_result"),
            models.CheckConstraint(
                condition=Q(placebo_p__isnull=True) | (Q(placebo_p__gte=0) & Q(placebo_p__lte=1)),
                name="impact_county_placebo_p_is_share",
            ),
            models.CheckConstraint(
                condition=~Q(note="") | Q(pre_rmspe__isnull=False), name="impact_county_number_or_note"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.result} {self.region_id}"
