"""Published statistics per region, indicator and period, and the growth gaps computed from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.periods import STAT_PERIOD_PATTERN
from pairing.models import Region

# The source of every invented figure (the demo program's sample statistics): the admin, the API and the reports
# show it, and a report says its statistics are samples when any figure it reads carries it.
DEMO_SOURCE = "示例数据(非官方统计)"


class Indicator(models.TextChoices):
    """The indicators as the statistics bureau publishes them; the values are the API and CSV codes."""

    GDP = "gdp", _("GDP")
    FAI = "fai", _("Fixed-asset investment")
    GPBR = "gpbr", _("General public budget revenue")
    TAX = "tax", _("Tax revenue")
    MAIN_TAX = "main_tax", _("Main tax revenue")
    INDUSTRY_VA = "industry_va", _("Value added of industry above designated size")
    RETAIL = "retail", _("Retail sales of consumer goods")
    INCOME_PC = "income_pc", _("Per-capita disposable income")
    TRADE = "trade", _("Total imports and exports")


class ReleaseKind(models.TextChoices):
    """A revised figure supersedes the preliminary one (初步核算 → 修订)."""

    PRELIMINARY = "preliminary", _("Preliminary")
    REVISED = "revised", _("Revised")


class ImportBatch(models.Model):
    """One imported file: who, when, what it changed and what it warned about."""

    class Kind(models.TextChoices):
        INDICATORS = "indicators", _("Indicators")
        PAIRINGS = "pairings", _("Pairings")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({timezone.localtime(self.imported_at):%Y-%m-%d %H:%M})"


class StatValue(models.Model):
    """A published figure: the level (yuan; yuan per person for income) and/or the reported growth rate."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="stat_values")
    indicator = models.CharField(_("indicator"), max_length=16, choices=Indicator.choices)
    period = models.CharField(_("period"), max_length=7, help_text=_("A year (2025) or year-to-date month (2025-09)."))
    release = models.CharField(
        _("release"), max_length=16, choices=ReleaseKind.choices, default=ReleaseKind.PRELIMINARY
    )
    as_of = models.DateField(_("as of"), null=True, blank=True)
    value = models.DecimalField(_("level (yuan)"), max_digits=20, decimal_places=2, null=True, blank=True)
    growth_pct = models.DecimalField(_("reported growth (%)"), max_digits=12, decimal_places=4, null=True, blank=True)
    source = models.CharField(_("source"), max_length=255, blank=True)
    batch = models.ForeignKey(
        ImportBatch, verbose_name=_("import"), null=True, blank=True, on_delete=models.SET_NULL, related_name="values"
    )

    class Meta:
        verbose_name = _("statistic")
        verbose_name_plural = _("statistics")
        ordering = ["indicator", "-period", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "indicator", "period", "release"], name="stat_value_one_per_release"
            ),
            models.CheckConstraint(condition=Q(period__regex=STAT_PERIOD_PATTERN), name="stat_value_period_format"),
            models.CheckConstraint(
                condition=Q(value__isnull=False) | Q(growth_pct__isnull=False), name="stat_value_has_level_or_growth"
            ),
            models.CheckConstraint(condition=Q(value__isnull=True) | Q(value__gte=0), name="stat_value_not_negative"),
            models.CheckConstraint(
                condition=Q(growth_pct__isnull=True) | Q(growth_pct__gt=-100), name="stat_value_growth_above_minus_100"
            ),
        ]
        indexes = [models.Index(fields=["indicator", "period"], name="stat_value_indicator_period")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.indicator} {self.period}"


class GapResult(models.Model):
    """A county-level unit's growth, gap to its province and rank for one indicator and period.

    Recomputed from the latest release of every figure by ``stats.services.gaps_recompute``; full precision is
    stored and rounding happens only for display.
    """

    # No index of their own: the lookup index leads with the province, the one-per-county constraint's with the
    # county, and each index more is written for every one of the ~274k rows of a national recompute.
    province = models.ForeignKey(
        Region, verbose_name=_("province"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    region = models.ForeignKey(
        Region, verbose_name=_("county"), on_delete=models.CASCADE, related_name="gap_results", db_index=False
    )
    indicator = models.CharField(_("indicator"), max_length=16, choices=Indicator.choices)
    period = models.CharField(_("period"), max_length=7)
    level = models.DecimalField(_("level (yuan)"), max_digits=20, decimal_places=2, null=True, blank=True)
    previous_level = models.DecimalField(
        _("previous-period level"), max_digits=20, decimal_places=2, null=True, blank=True
    )
    growth_pct = models.DecimalField(_("growth (%)"), max_digits=24, decimal_places=12, null=True, blank=True)
    growth_derived = models.BooleanField(_("growth derived from levels"), default=False)
    province_growth_pct = models.DecimalField(
        _("province growth (%)"), max_digits=24, decimal_places=12, null=True, blank=True
    )
    gap_pp = models.DecimalField(_("gap (pp)"), max_digits=24, decimal_places=12, null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    previous_rank = models.PositiveIntegerField(_("previous rank"), null=True, blank=True)
    rank_change = models.IntegerField(_("rank change"), null=True, blank=True)
    ranked_count = models.PositiveIntegerField(_("units ranked"), default=0)
    in_bottom_ten = models.BooleanField(_("in the bottom ten"), default=False)
    was_in_bottom_ten = models.BooleanField(_("in the bottom ten the previous period"), default=False)
    release = models.CharField(_("release used"), max_length=16, choices=ReleaseKind.choices, blank=True)
    release_as_of = models.DateField(_("release as of"), null=True, blank=True)

    class Meta:
        verbose_name = _("growth gap")
        verbose_name_plural = _("growth gaps")
        ordering = ["indicator", "-period", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["region", "indicator", "period"], name="gap_result_one_per_county"),
        ]
        indexes = [models.Index(fields=["province", "indicator", "period"], name="gap_result_lookup")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.indicator} {self.period}"

    @property
    def exited_bottom_ten(self) -> bool:
        return self.was_in_bottom_ten and not self.in_bottom_ten


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


def _import_job_path(instance: ImportJob, filename: str) -> str:
    return f"imports/{instance.kind}/{filename}"


class ImportJob(models.Model):
    """A file uploaded for import in the background (``stats.import_jobs``): the file kept until the job ends, its
    status, progress and outcome — the counts, or the lines to correct."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportBatch.Kind.choices)
    file = models.FileField(_("file"), upload_to=_import_job_path, max_length=255, blank=True)
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    period = models.CharField(
        _("period"), max_length=7, blank=True, help_text=_("A wide table's period when its title does not say.")
    )
    skip_unknown = models.BooleanField(_("skip rows naming no county"), default=False)
    status = models.CharField(
        _("status"), max_length=8, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    problems = models.JSONField(_("lines to correct"), default=list, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    batch = models.ForeignKey(
        ImportBatch, verbose_name=_("import"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="import_job_progress_le_100"),
            models.CheckConstraint(
                condition=~Q(status="done") | (Q(progress=100) & Q(finished_at__isnull=False)),
                name="import_job_done_is_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"
