"""Targets per weak county and year, and the annual evaluation reports (县域经济发展评价报告)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pairing.models import Program, Region, Source
from stats.models import Indicator


class Metric(models.TextChoices):
    """What a target measures. Every metric is computed from the tracker's data (``reporting.targets``)."""

    PROJECTS_OVER = "projects_over", _("Assistance projects signed (planned investment at least the threshold)")
    PROJECTS_STARTED = "projects_started", _("Projects that started construction in the year")
    SIGNED_STARTED_PCT = "signed_started_pct", _("Share of signed projects under construction by year end (%)")
    ORDERS_AMOUNT = "orders_amount", _("Cross-county orders signed in the year (yuan)")
    COMPLETED_INVESTMENT = "completed_investment", _("Investment completed by the projects (yuan)")
    FUNDS_RECEIVED = "funds_received", _("Guidance fund paid to the county in the year (yuan)")
    GAP_PP = "gap_pp", _("Growth gap to the province (pp)")
    RANK = "rank", _("Rank in the province")


class Unit(models.TextChoices):
    COUNT = "count", _("count")
    YUAN = "yuan", _("yuan")
    PERCENT = "percent", _("%")
    PP = "pp", _("pp")
    RANK = "rank", _("rank")


METRIC_UNITS: dict[str, str] = {
    Metric.PROJECTS_OVER: Unit.COUNT,
    Metric.PROJECTS_STARTED: Unit.COUNT,
    Metric.SIGNED_STARTED_PCT: Unit.PERCENT,
    Metric.ORDERS_AMOUNT: Unit.YUAN,
    Metric.COMPLETED_INVESTMENT: Unit.YUAN,
    Metric.FUNDS_RECEIVED: Unit.YUAN,
    Metric.GAP_PP: Unit.PP,
    Metric.RANK: Unit.RANK,
}
METRICS_WITH_INDICATOR = (Metric.GAP_PP, Metric.RANK)


class Direction(models.TextChoices):
    AT_LEAST = "at_least", _("at least (≥)")
    AT_MOST = "at_most", _("at most (≤)")


class Target(models.Model):
    """A goal of one weak county for one year: "≥ 8 assistance projects over ¥100M", "≥ ¥200M of cross-county
    orders", "all signed projects started by year end". The actual is computed from the data, never typed in."""

    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="targets")
    county = models.ForeignKey(Region, verbose_name=_("county"), on_delete=models.PROTECT, related_name="targets")
    year = models.PositiveSmallIntegerField(_("year"))
    metric = models.CharField(_("metric"), max_length=32, choices=Metric.choices)
    indicator = models.CharField(
        _("indicator"),
        max_length=16,
        choices=Indicator.choices,
        blank=True,
        help_text=_("For growth-gap and rank targets: which statistic."),
    )
    threshold = models.DecimalField(
        _("project threshold (yuan)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("For project counts: only projects with at least this planned investment count."),
    )
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices, default=Direction.AT_LEAST)
    baseline = models.DecimalField(
        _("baseline"), max_digits=20, decimal_places=4, null=True, blank=True, help_text=_("Where the county started.")
    )
    target = models.DecimalField(_("target"), max_digits=20, decimal_places=4)
    title = models.CharField(_("title"), max_length=255, blank=True, help_text=_("How the documents word the goal."))
    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.PROTECT, null=True, blank=True, related_name="targets"
    )
    is_sample = models.BooleanField(_("sample data"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["program", "county", "year", "metric", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "county", "year", "metric", "indicator"], name="target_once_per_county_year_metric"
            ),
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="target_year_plausible"),
            models.CheckConstraint(
                condition=Q(metric__in=METRICS_WITH_INDICATOR, indicator__gt="")
                | (~Q(metric__in=METRICS_WITH_INDICATOR) & Q(indicator="")),
                name="target_indicator_iff_gap_or_rank",
            ),
            models.CheckConstraint(
                condition=Q(threshold__isnull=True) | Q(metric="projects_over", threshold__gte=0),
                name="target_threshold_only_for_project_counts",
            ),
            models.CheckConstraint(
                condition=Q(metric__in=["gap_pp"]) | Q(target__gte=0), name="target_not_negative_unless_gap"
            ),
            models.CheckConstraint(condition=~Q(metric="rank") | Q(direction="at_most"), name="target_rank_is_at_most"),
        ]

    def __str__(self) -> str:
        return f"{self.county_id} {self.year} {self.get_metric_display()}"

    @property
    def unit(self) -> str:
        return METRIC_UNITS[self.metric]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.metric in METRICS_WITH_INDICATOR and not self.indicator:
            errors["indicator"] = _("Choose the statistic this gap or rank target is about.")
        if self.metric not in METRICS_WITH_INDICATOR and self.indicator:
            errors["indicator"] = _("Only growth-gap and rank targets name a statistic.")
        if self.threshold is not None and self.metric != Metric.PROJECTS_OVER:
            errors["threshold"] = _("Only project-count targets have a threshold.")
        if self.metric == Metric.RANK and self.direction != Direction.AT_MOST:
            errors["direction"] = _("A rank target is 'at most' (a smaller rank is better).")
        if self.metric != Metric.GAP_PP and self.target is not None and self.target < 0:
            errors["target"] = _("This target cannot be negative.")
        if self.program_id and self.county_id:
            from pairing.models import CountyRole, ProgramCounty

            weak = ProgramCounty.objects.filter(
                program_id=self.program_id, county_id=self.county_id, role=CountyRole.WEAK
            ).exists()
            if not weak:
                errors["county"] = _("Targets are set for the program's weak counties.")
        if errors:
            raise ValidationError(errors)


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Generating")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


def _report_path(instance: EvaluationReport, filename: str) -> str:
    return f"evaluation-reports/{instance.program.code}/{instance.year}/{filename}"


class EvaluationReport(models.Model):
    """An annual evaluation report (县域经济发展评价报告) of a program, generated in the background as HTML and PDF."""

    program = models.ForeignKey(
        Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="evaluation_reports"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    # The report's scope, which decides who reads it: empty, the whole program (the provincial roles only); a weak
    # county, that county's evaluation alone (also read by the liaisons of its pairing).
    county = models.ForeignKey(
        Region,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluation_reports",
        help_text=_("Empty: the whole program, for the provincial roles. A weak county: its own report."),
    )
    status = models.CharField(_("status"), max_length=8, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(_("current step"), max_length=255, blank=True)
    html = models.FileField(_("HTML"), upload_to=_report_path, blank=True)
    pdf = models.FileField(_("PDF"), upload_to=_report_path, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True, help_text=_("The numbers the report states."))
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("evaluation report")
        verbose_name_plural = _("evaluation reports")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="evaluation_report_progress_le_100"),
            models.CheckConstraint(
                condition=~Q(status="done") | (Q(progress=100) & Q(finished_at__isnull=False)),
                name="evaluation_report_done_is_complete",
            ),
            # One report in the making per program, year and scope: asking again while one is queued or running is a
            # no-op. Two indexes, since NULLs (the program-wide scope) are distinct in a unique index.
            models.UniqueConstraint(
                fields=["program", "year"],
                condition=Q(status__in=["queued", "running"], county__isnull=True),
                name="evaluation_report_one_pending_per_program_year",
            ),
            models.UniqueConstraint(
                fields=["program", "year", "county"],
                condition=Q(status__in=["queued", "running"], county__isnull=False),
                name="evaluation_report_one_pending_per_county_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} {self.year}" + (f" {self.county_id}" if self.county_id else "")
