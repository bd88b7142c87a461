"""Validation rules per program (as DHIS2 has them) and what they found.

A rule looks at one field of a progress report or of a statistic and is either an error (the figure is refused, the
reason on the field) or a warning (the figure is accepted; the finding is stored as a ``RuleOutcome`` for the
reviewer and the bulletin). The checks themselves are in ``validation.engine``; the services of projects and stats
call them, so every way in (liaison form, API, workbook, statistics import) gets the same rules.

This app sits between pairing and the apps that hold figures (projects, stats): it knows programs and regions, and
refers to a report only by its key, so that nothing here imports upward."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class RuleKind(models.TextChoices):
    VALUE_RANGE = "value_range", _("Value range")
    DATE_RANGE = "date_range", _("Date range")
    TEXT_WORDS = "text_words", _("Text length in words")
    MONTH_JUMP = "month_jump", _("Month-on-month jump")
    CUMULATIVE_FALLS = "cumulative_falls", _("Cumulative figure falls")
    BEYOND_PLAN = "beyond_plan", _("Completed investment beyond the plan")
    GROWTH_MISMATCH = "growth_mismatch", _("Reported growth disagrees with the levels")


class Severity(models.TextChoices):
    ERROR = "error", _("Error: refused")
    WARNING = "warning", _("Warning: accepted and shown to the reviewer")


class RuleField(models.TextChoices):
    """What a rule looks at: a progress report's field (named as the report's) or a statistic's."""

    CUMULATIVE_INVESTMENT = "cumulative_investment", _("cumulative investment")
    MONTH_INVESTMENT = "month_investment", _("investment this month")
    JOBS_CREATED = "jobs_created", _("jobs created")
    OUTPUT_VALUE = "output_value", _("output value")
    TAX_PAID = "tax_paid", _("tax paid")
    ACTUAL_START_DATE = "actual_start_date", _("actual start date")
    ACTUAL_PRODUCTION_DATE = "actual_production_date", _("actual production date")
    PROBLEMS = "problems", _("problems needing provincial coordination")
    STAGE_BACK_REASON = "stage_back_reason", _("reason for moving the stage back")
    STAT_VALUE = "stat_value", _("statistic: level")
    STAT_GROWTH = "stat_growth_pct", _("statistic: growth (%)")


NUMBER_FIELDS = (
    RuleField.CUMULATIVE_INVESTMENT,
    RuleField.MONTH_INVESTMENT,
    RuleField.JOBS_CREATED,
    RuleField.OUTPUT_VALUE,
    RuleField.TAX_PAID,
)
DATE_FIELDS = (RuleField.ACTUAL_START_DATE, RuleField.ACTUAL_PRODUCTION_DATE)
TEXT_FIELDS = (RuleField.PROBLEMS, RuleField.STAGE_BACK_REASON)
STAT_FIELDS = (RuleField.STAT_VALUE, RuleField.STAT_GROWTH)

# Which fields each kind may look at (the database refuses any other pairing).
FIELDS_OF_KIND: dict[str, tuple[str, ...]] = {
    RuleKind.VALUE_RANGE: (*NUMBER_FIELDS, *STAT_FIELDS),
    RuleKind.DATE_RANGE: DATE_FIELDS,
    RuleKind.TEXT_WORDS: TEXT_FIELDS,
    RuleKind.MONTH_JUMP: NUMBER_FIELDS,
    RuleKind.CUMULATIVE_FALLS: (RuleField.CUMULATIVE_INVESTMENT,),
    RuleKind.BEYOND_PLAN: (RuleField.CUMULATIVE_INVESTMENT,),
    RuleKind.GROWTH_MISMATCH: (RuleField.STAT_GROWTH,),
}
# Which parameter each kind needs.
THRESHOLD_KINDS = (RuleKind.MONTH_JUMP, RuleKind.BEYOND_PLAN, RuleKind.GROWTH_MISMATCH)


def _kind_field_q() -> Q:
    allowed = Q()
    for kind, kind_fields in FIELDS_OF_KIND.items():
        allowed |= Q(kind=kind, field__in=[str(f) for f in kind_fields])
    return allowed


class ValidationRuleQuerySet(models.QuerySet):
    def active(self) -> ValidationRuleQuerySet:
        return self.filter(active=True)


class ValidationRule(models.Model):
    """One rule of a program. The parameters a kind reads:

    - value range: ``minimum`` and/or ``maximum`` (amounts in yuan, growth in %);
    - date range: ``earliest`` and/or ``latest``;
    - text length: ``max_words`` (a Chinese character counts as a word, as does a run of Latin letters or digits);
    - month-on-month jump: ``threshold`` % change from the previous report;
    - cumulative figure falls: none (below the previous submitted or approved report's);
    - beyond the plan: ``threshold`` % above the project's planned investment (0 = any excess);
    - growth mismatch: ``threshold`` percentage points between the reported growth and the one implied by the
      levels.
    """

    program = models.ForeignKey(
        "pairing.Program", verbose_name=_("program"), on_delete=models.CASCADE, related_name="validation_rules"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=RuleKind.choices)
    field = models.CharField(_("field checked"), max_length=32, choices=RuleField.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.WARNING)
    minimum = models.DecimalField(_("minimum"), max_digits=20, decimal_places=2, null=True, blank=True)
    maximum = models.DecimalField(_("maximum"), max_digits=20, decimal_places=2, null=True, blank=True)
    earliest = models.DateField(_("earliest date"), null=True, blank=True)
    latest = models.DateField(_("latest date"), null=True, blank=True)
    max_words = models.PositiveIntegerField(_("at most (words)"), null=True, blank=True)
    threshold = models.DecimalField(
        _("threshold"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Month-on-month jump and beyond the plan: percent; growth mismatch: percentage points."),
    )
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=255, blank=True, help_text=_("Why the rule exists, for officers."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ValidationRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("validation rule")
        verbose_name_plural = _("validation rules")
        ordering = ["program", "kind", "field", "id"]
        constraints = [
            models.CheckConstraint(condition=_kind_field_q(), name="validation_rule_field_fits_kind"),
            models.CheckConstraint(
                condition=Q(minimum__isnull=True) | Q(maximum__isnull=True) | Q(minimum__lte=F("maximum")),
                name="validation_rule_minimum_not_above_maximum",
            ),
            models.CheckConstraint(
                condition=Q(earliest__isnull=True) | Q(latest__isnull=True) | Q(earliest__lte=F("latest")),
                name="validation_rule_earliest_not_after_latest",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[str(k) for k in THRESHOLD_KINDS]) | Q(threshold__isnull=False, threshold__gte=0),
                name="validation_rule_threshold_given",
            ),
            models.CheckConstraint(
                condition=~Q(kind=RuleKind.VALUE_RANGE) | Q(minimum__isnull=False) | Q(maximum__isnull=False),
                name="validation_rule_range_has_a_bound",
            ),
            models.CheckConstraint(
                condition=~Q(kind=RuleKind.DATE_RANGE) | Q(earliest__isnull=False) | Q(latest__isnull=False),
                name="validation_rule_dates_have_a_bound",
            ),
            models.CheckConstraint(
                condition=~Q(kind=RuleKind.TEXT_WORDS) | Q(max_words__isnull=False, max_words__gte=1),
                name="validation_rule_words_given",
            ),
        ]
        indexes = [models.Index(fields=["program", "active"], name="validation_rule_program_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_field_display()} ({self.get_severity_display()})"

    def clean(self) -> None:
        """The constraints below, as messages on the fields an officer fills in the admin."""
        errors: dict[str, str] = {}
        if self.kind and self.field and self.field not in FIELDS_OF_KIND.get(self.kind, ()):
            allowed = ", ".join(str(RuleField(f).label) for f in FIELDS_OF_KIND.get(self.kind, ()))
            errors["field"] = _("This kind of rule checks: %(fields)s.") % {"fields": allowed}
        if self.kind in THRESHOLD_KINDS and (self.threshold is None or self.threshold < 0):
            errors["threshold"] = _("Enter the threshold (zero or more).")
        if self.kind == RuleKind.VALUE_RANGE and self.minimum is None and self.maximum is None:
            errors["minimum"] = _("Enter a minimum, a maximum or both.")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            errors["maximum"] = _("The maximum cannot be below the minimum.")
        if self.kind == RuleKind.DATE_RANGE and self.earliest is None and self.latest is None:
            errors["earliest"] = _("Enter an earliest date, a latest date or both.")
        if self.earliest is not None and self.latest is not None and self.earliest > self.latest:
            errors["latest"] = _("The latest date cannot be before the earliest.")
        if self.kind == RuleKind.TEXT_WORDS and not self.max_words:
            errors["max_words"] = _("Enter the largest number of words.")
        if errors:
            raise ValidationError(errors)


class Subject(models.TextChoices):
    REPORT = "report", _("Progress report")
    STATISTIC = "statistic", _("Statistic")


class RuleOutcome(models.Model):
    """A warning a rule raised on an accepted figure: listed per county and month, shown to the reviewer of the
    report, counted in the monthly bulletin. A report's outcomes are replaced each time it is saved or submitted,
    so they always describe its current figures."""

    rule = models.ForeignKey(ValidationRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="outcomes")
    program = models.ForeignKey(
        "pairing.Program", verbose_name=_("program"), on_delete=models.CASCADE, related_name="+"
    )
    region = models.ForeignKey("pairing.Region", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    period = models.CharField(
        _("period"), max_length=7, help_text=_("YYYY-MM for a report; YYYY or YYYY-MM for a statistic.")
    )
    subject = models.CharField(_("subject"), max_length=16, choices=Subject.choices)
    # A progress report's key (projects.ProgressReport), by value: this app does not import projects.
    report_id = models.PositiveBigIntegerField(_("report"), null=True, blank=True, db_index=True)
    label = models.CharField(_("what"), max_length=255, help_text=_("The project, or the indicator and release."))
    field = models.CharField(_("field"), max_length=32, choices=RuleField.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    message = models.TextField(_("message"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded for"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("rule outcome")
        verbose_name_plural = _("rule outcomes")
        ordering = ["-period", "region", "-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(subject="statistic") | Q(report_id__isnull=False), name="rule_outcome_report_has_key"
            ),
        ]
        indexes = [models.Index(fields=["program", "period"], name="rule_outcome_prog_period_idx")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.period}: {self.message}"
