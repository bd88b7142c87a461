"""Cooperation projects, their stage log and monthly progress reports, and the other kinds of cooperation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from common.money import MoneyField
from common.periods import MONTH_PATTERN
from pairing.models import Pairing, Park, Region, RegionLevel


class ProjectCategory(models.TextChoices):
    TRANSFER = "transfer", _("Industrial transfer")
    JOINT_PROMOTION = "joint_promotion", _("Joint investment promotion")
    SUPPLY_CHAIN = "supply_chain", _("Supply-chain linkage")
    PLATFORM = "platform", _("Platform")
    OTHER = "other", _("Other")


class Stage(models.TextChoices):
    """储备 → 签约 → 开工 → 投产 → 达效, in order."""

    PIPELINE = "pipeline", _("Pipeline")
    SIGNED = "signed", _("Signed")
    STARTED = "started", pgettext_lazy("project stage", "Under construction")
    PRODUCING = "producing", _("In production")
    AT_CAPACITY = "at_capacity", _("At capacity")

    @classmethod
    def order(cls, stage: str) -> int:
        return list(cls.values).index(stage)


STAGES_NEEDING_START = (Stage.STARTED, Stage.PRODUCING, Stage.AT_CAPACITY)
STAGES_NEEDING_PRODUCTION = (Stage.PRODUCING, Stage.AT_CAPACITY)
STAGES_NEEDING_SIGNING = (Stage.SIGNED, *STAGES_NEEDING_START)


class Health(models.TextChoices):
    NORMAL = "normal", _("Normal")
    LAGGING = "lagging", _("Lagging")
    STALLED = "stalled", _("Stalled")
    TERMINATED = "terminated", _("Terminated")


class ProjectQuerySet(models.QuerySet):
    def live(self) -> ProjectQuerySet:
        return self.exclude(health=Health.TERMINATED)

    def in_stage(self, *stages: str) -> ProjectQuerySet:
        return self.filter(stage__in=stages)

    def signed_not_started_since(self, date) -> ProjectQuerySet:
        """Signed on or before ``date`` and still not under construction."""
        return self.live().filter(stage=Stage.SIGNED, signed_date__lte=date)


class Project(models.Model):
    """A transfer or cooperation project of a pairing (产业转移签约项目 / 产业帮扶重点项目)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)
    pairing = models.ForeignKey(Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="projects")
    park = models.ForeignKey(
        Park, verbose_name=_("park"), null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    county = models.ForeignKey(
        Region,
        verbose_name=_("location county"),
        on_delete=models.PROTECT,
        related_name="projects",
        limit_choices_to={"level": RegionLevel.COUNTY},
        help_text=_("The county where the project is built; its liaison reports on it."),
    )
    enterprise = models.CharField(_("enterprise"), max_length=255, blank=True)
    industry = models.CharField(_("industry"), max_length=64, blank=True)
    category = models.CharField(
        _("category"), max_length=32, choices=ProjectCategory.choices, default=ProjectCategory.TRANSFER
    )
    planned_investment = MoneyField(_("planned investment"), default=0)
    completed_investment = MoneyField(
        _("completed investment"), default=0, help_text=_("Cumulative, in yuan, from the last approved report.")
    )
    signed_date = models.DateField(_("signed date"), null=True, blank=True)
    planned_start_date = models.DateField(_("planned start date"), null=True, blank=True)
    planned_production_date = models.DateField(_("planned production date"), null=True, blank=True)
    actual_start_date = models.DateField(_("actual start date"), null=True, blank=True)
    actual_production_date = models.DateField(_("actual production date"), null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.PIPELINE)
    health = models.CharField(_("health"), max_length=16, choices=Health.choices, default=Health.NORMAL)
    description = models.TextField(_("description"), blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("Raised by every change; a stale edit is refused.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ProjectQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"], verbose_name=_("project history"))

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        # By the pairing's key, not "pairing" (which sorts through the pairing's program and weak county: a join
        # and a sort of every project for each page); an index serves this order.
        ordering = ["pairing_id", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(planned_investment__gte=0), name="project_planned_not_negative"),
            models.CheckConstraint(condition=Q(completed_investment__gte=0), name="project_completed_not_negative"),
            models.CheckConstraint(
                condition=~Q(stage__in=STAGES_NEEDING_SIGNING) | Q(signed_date__isnull=False),
                name="project_signed_stage_needs_signed_date",
            ),
            models.CheckConstraint(
                condition=~Q(stage__in=STAGES_NEEDING_START) | Q(actual_start_date__isnull=False),
                name="project_started_stage_needs_start_date",
            ),
            models.CheckConstraint(
                condition=~Q(stage__in=STAGES_NEEDING_PRODUCTION) | Q(actual_production_date__isnull=False),
                name="project_producing_stage_needs_production_date",
            ),
            models.CheckConstraint(
                condition=Q(actual_production_date__isnull=True)
                | Q(actual_start_date__isnull=False, actual_production_date__gte=F("actual_start_date")),
                name="project_production_after_start",
            ),
            models.CheckConstraint(
                condition=Q(planned_production_date__isnull=True)
                | Q(planned_start_date__isnull=True)
                | Q(planned_production_date__gte=F("planned_start_date")),
                name="project_planned_production_after_planned_start",
            ),
        ]
        indexes = [
            models.Index(fields=["stage", "health"], name="project_stage_health_idx"),
            models.Index(fields=["pairing", "code"], name="project_pairing_code_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProjectStageChange(models.Model):
    """One line of a project's stage log: every change of stage, when and by whom."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.CharField(_("from stage"), max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to stage"), max_length=16, choices=Stage.choices)
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage log")
        ordering = ["project", "changed_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_stage=F("to_stage")), name="stage_change_changes_stage"),
        ]

    def __str__(self) -> str:
        before = self.get_from_stage_display() if self.from_stage else "—"
        return f"{self.project.code}: {before} → {self.get_to_stage_display()}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")


class ProblemCategory(models.TextChoices):
    LAND = "land", _("Land")
    ENERGY = "energy", _("Energy quota")
    FINANCE = "finance", _("Finance")
    APPROVALS = "approvals", _("Approvals")
    LABOUR = "labour", _("Labour")
    OTHER = "other", _("Other")


class ProgressReport(models.Model):
    """A county liaison's monthly progress report on a project (进度填报)."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="reports")
    period = models.CharField(_("period"), max_length=7, help_text=_("YYYY-MM"))
    stage = models.CharField(_("stage reached"), max_length=16, choices=Stage.choices)
    stage_back_reason = models.TextField(
        _("why the stage moved back"), blank=True, help_text=_("Needed when the stage is earlier than the project's.")
    )
    actual_start_date = models.DateField(_("actual start date"), null=True, blank=True)
    actual_production_date = models.DateField(_("actual production date"), null=True, blank=True)
    cumulative_investment = MoneyField(_("cumulative investment"), default=0)
    month_investment = MoneyField(_("investment this month"), default=0)
    jobs_created = models.PositiveIntegerField(_("jobs created"), default=0)
    output_value = MoneyField(_("output value"), null=True, blank=True)
    tax_paid = MoneyField(_("tax paid"), null=True, blank=True)
    problem_category = models.CharField(
        _("problem category"), max_length=16, choices=ProblemCategory.choices, blank=True
    )
    problems = models.TextField(_("problems needing provincial coordination"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    first_submitted_at = models.DateTimeField(
        _("first submitted at"), null=True, blank=True, help_text=_("For the timeliness rate.")
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("Raised by every change; a stale edit is refused.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"], verbose_name=_("progress report history"))

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["project", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["project", "period"], name="report_one_per_project_period"),
            models.CheckConstraint(condition=Q(period__regex=MONTH_PATTERN), name="report_period_yyyy_mm"),
            models.CheckConstraint(
                condition=Q(cumulative_investment__gte=0, month_investment__gte=0),
                name="report_investment_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(month_investment__lte=F("cumulative_investment")),
                name="report_month_within_cumulative",
            ),
            models.CheckConstraint(
                condition=(Q(output_value__isnull=True) | Q(output_value__gte=0))
                & (Q(tax_paid__isnull=True) | Q(tax_paid__gte=0)),
                name="report_output_and_tax_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(problem_category="") | ~Q(problems=""),
                name="report_problem_category_has_text",
            ),
            models.CheckConstraint(
                condition=Q(status=ReportStatus.DRAFT)
                | Q(submitted_at__isnull=False, first_submitted_at__isnull=False),
                name="report_submission_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[ReportStatus.APPROVED, ReportStatus.RETURNED]) | Q(reviewed_at__isnull=False),
                name="report_review_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.RETURNED) | ~Q(review_comment=""),
                name="report_returned_with_a_comment",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True)
                | Q(submitted_by__isnull=True)
                | ~Q(reviewed_by=F("submitted_by")),
                name="report_not_reviewed_by_its_submitter",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "period"], name="report_status_period_idx"),
            # The lists' order (newest month first, then by project; the key last for stable pages).
            models.Index(fields=["-period", "project", "id"], name="report_period_project_idx"),
            # The admin's drill-down by the day of submission.
            models.Index(fields=["submitted_at"], name="report_submitted_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.period}"


class ReportRole(models.TextChoices):
    AUTHOR = "author", _("wrote, changed or submitted it")
    APPROVER = "approver", _("approved it")


class ReportParticipant(models.Model):
    """Who took part in a report: each of its authors — everyone who created it, changed its content, attached a
    file to it or submitted it — and its approver. A person appears once per report, so the database itself keeps
    an author from approving (nobody approves figures they entered)."""

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    role = models.CharField(_("part"), max_length=16, choices=ReportRole.choices)
    since = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("report participant")
        verbose_name_plural = _("report participants")
        ordering = ["report", "since", "id"]
        constraints = [
            # One row per person and report: whoever has an author's row cannot be given the approver's.
            models.UniqueConstraint(fields=["report", "user"], name="report_approver_not_an_author"),
            models.UniqueConstraint(
                fields=["report"], condition=Q(role=ReportRole.APPROVER), name="report_one_approver"
            ),
            models.CheckConstraint(condition=Q(role__in=ReportRole.values), name="report_participant_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} {self.user_id} {self.role}"


class ClosedPeriod(models.Model):
    """A reporting month closed for a program: its reports can no longer be written or submitted."""

    program = models.ForeignKey(
        "pairing.Program", verbose_name=_("program"), on_delete=models.CASCADE, related_name="closed_periods"
    )
    period = models.CharField(_("period"), max_length=7, help_text=_("YYYY-MM"))
    closed_at = models.DateTimeField(_("closed at"), auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("closed reporting period")
        verbose_name_plural = _("closed reporting periods")
        ordering = ["program", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["program", "period"], name="closed_period_once"),
            models.CheckConstraint(condition=Q(period__regex=MONTH_PATTERN), name="closed_period_yyyy_mm"),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.period}"


def attachment_path(attachment: ReportAttachment, filename: str) -> str:
    return f"reports/{attachment.report.period}/{attachment.report_id}/{filename}"


class ReportAttachment(models.Model):
    """A photo or PDF attached to a progress report (type and size are checked by the service)."""

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["report", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


# --- Other cooperation that counts ------------------------------------------------------------------------------


class CrossCountyOrder(models.Model):
    """A cross-county order or purchase agreement (产销对接 / 合作订单)."""

    pairing = models.ForeignKey(Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="orders")
    buyer = models.CharField(_("buyer"), max_length=255)
    seller = models.CharField(_("seller"), max_length=255)
    seller_county = models.ForeignKey(
        Region,
        verbose_name=_("seller county"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": RegionLevel.COUNTY},
    )
    goods = models.CharField(_("goods or services"), max_length=255, blank=True)
    amount = MoneyField(_("amount"))
    signed_date = models.DateField(_("signed date"))
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        verbose_name = _("cross-county order")
        verbose_name_plural = _("cross-county orders")
        ordering = ["-signed_date"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_not_negative")]

    def __str__(self) -> str:
        return f"{self.buyer} ← {self.seller}"


class PromotionEvent(models.Model):
    """A joint investment-promotion event (协同招商)."""

    pairing = models.ForeignKey(
        Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="promotion_events"
    )
    title = models.CharField(_("title"), max_length=255)
    held_on = models.DateField(_("held on"))
    location = models.CharField(_("location"), max_length=255, blank=True)
    projects_signed = models.PositiveIntegerField(_("projects signed"), default=0)
    intended_investment = MoneyField(_("intended investment"), default=0)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        verbose_name = _("joint promotion event")
        verbose_name_plural = _("joint promotion events")
        ordering = ["-held_on"]
        constraints = [
            models.CheckConstraint(condition=Q(intended_investment__gte=0), name="promotion_investment_not_negative")
        ]

    def __str__(self) -> str:
        return self.title


class SecondmentKind(models.TextChoices):
    CADRE = "cadre", _("Cadre secondment")
    TALENT = "talent", _("Talent exchange")


class Secondment(models.Model):
    """A cadre secondment or talent exchange between the paired counties (干部挂职 / 人才交流)."""

    pairing = models.ForeignKey(
        Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="secondments"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=SecondmentKind.choices, default=SecondmentKind.CADRE)
    person = models.CharField(_("person"), max_length=64)
    from_county = models.ForeignKey(
        Region,
        verbose_name=_("from county"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": RegionLevel.COUNTY},
    )
    to_county = models.ForeignKey(
        Region,
        verbose_name=_("to county"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": RegionLevel.COUNTY},
    )
    post = models.CharField(_("post"), max_length=255)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        verbose_name = _("secondment")
        verbose_name_plural = _("secondments")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_county=F("to_county")), name="secondment_between_two_counties"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="secondment_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.post}"


class FinanceSupportKind(models.TextChoices):
    LOAN = "loan", _("Loan arranged")
    BOND = "bond", _("Bond issue arranged")
    GUARANTEE = "guarantee", _("Guarantee")
    OTHER = "other", _("Other")


class FinanceSupport(models.Model):
    """Finance help arranged by the strong county: loans, bond issues (金融帮扶)."""

    pairing = models.ForeignKey(
        Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="finance_supports"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=FinanceSupportKind.choices)
    beneficiary = models.CharField(_("beneficiary"), max_length=255)
    amount = MoneyField(_("amount"))
    arranged_on = models.DateField(_("arranged on"))
    description = models.TextField(_("description"), blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        verbose_name = _("finance support")
        verbose_name_plural = _("finance support")
        ordering = ["-arranged_on"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="finance_support_amount_not_negative")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.beneficiary}"


# --- Warnings, reminders and bulletins (红黄蓝通报) ------------------------------------------------------------------


class WarningColour(models.TextChoices):
    RED = "red", _("Red")
    YELLOW = "yellow", _("Yellow")
    BLUE = "blue", _("Blue")


class WarningRules(models.Model):
    """A program's thresholds for the red / yellow / blue classification and the reporting calendar (defaults as the
    provincial practice: docs/domain.md §5)."""

    program = models.OneToOneField(
        "pairing.Program", verbose_name=_("program"), on_delete=models.CASCADE, related_name="warning_rules"
    )
    red_signed_not_started_months = models.PositiveSmallIntegerField(
        _("red: signed and not started for more than (months)"), default=6
    )
    yellow_signed_not_started_months = models.PositiveSmallIntegerField(
        _("yellow: signed and not started for more than (months)"), default=4
    )
    red_overdue_reports = models.PositiveSmallIntegerField(_("red: monthly reports overdue, at least"), default=2)
    yellow_overdue_reports = models.PositiveSmallIntegerField(_("yellow: monthly reports overdue, at least"), default=1)
    red_production_late_months = models.PositiveSmallIntegerField(
        _("red: planned production date passed by more than (months)"), default=3
    )
    yellow_investment_behind_pct = models.PositiveSmallIntegerField(
        _("yellow: investment behind plan by more than (percentage points)"), default=20
    )
    report_due_day = models.PositiveSmallIntegerField(_("reports due by day of the following month"), default=5)
    reminder_days_before_due = models.PositiveSmallIntegerField(
        _("remind liaisons days before the due date"), default=3
    )

    class Meta:
        verbose_name = _("warning rules")
        verbose_name_plural = _("warning rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(yellow_signed_not_started_months__lte=F("red_signed_not_started_months")),
                name="warning_rules_yellow_before_red_months",
            ),
            models.CheckConstraint(
                condition=Q(yellow_overdue_reports__gte=1, yellow_overdue_reports__lte=F("red_overdue_reports")),
                name="warning_rules_yellow_before_red_overdue",
            ),
            models.CheckConstraint(
                condition=Q(report_due_day__gte=1, report_due_day__lte=28), name="warning_rules_due_day_range"
            ),
            models.CheckConstraint(
                condition=Q(yellow_investment_behind_pct__lte=100), name="warning_rules_behind_pct_range"
            ),
        ]

    def __str__(self) -> str:
        return str(self.program)


class ProjectWarning(models.Model):
    """A project's current colour with the reasons in words (one row per active project)."""

    project = models.OneToOneField(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="warning")
    colour = models.CharField(_("colour"), max_length=8, choices=WarningColour.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True, help_text=_("[{code, text}], worst first."))
    since = models.DateField(_("since"))
    checked_on = models.DateField(_("checked on"))

    class Meta:
        verbose_name = _("project warning")
        verbose_name_plural = _("project warnings")
        ordering = ["colour", "project"]
        indexes = [models.Index(fields=["colour"], name="project_warning_colour_idx")]

    def __str__(self) -> str:
        return f"{self.project.code} {self.get_colour_display()}"


class WarningChange(models.Model):
    """Every change of a project's colour, when and why."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="warning_changes"
    )
    from_colour = models.CharField(_("from"), max_length=8, choices=WarningColour.choices, blank=True)
    to_colour = models.CharField(_("to"), max_length=8, choices=WarningColour.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    changed_on = models.DateField(_("changed on"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("warning change")
        verbose_name_plural = _("warning changes")
        ordering = ["project", "-changed_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_colour=F("to_colour")), name="warning_change_changes_colour"),
        ]

    def __str__(self) -> str:
        return f"{self.project.code}: {self.from_colour or '—'} → {self.to_colour}"


class ReminderKind(models.TextChoices):
    DUE = "due", _("Report due soon")
    OVERDUE = "overdue", _("Report overdue")


class ReportReminder(models.Model):
    """A reminder sent to a liaison about one project's report for one month; sent once per kind."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="reminders")
    period = models.CharField(_("period"), max_length=7)
    kind = models.CharField(_("kind"), max_length=8, choices=ReminderKind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report reminder")
        verbose_name_plural = _("report reminders")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "period", "kind", "recipient"], name="report_reminder_sent_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.period} {self.kind}"


def bulletin_path(bulletin: Bulletin, filename: str) -> str:
    return f"bulletins/{bulletin.program.code}/{filename}"


class Bulletin(models.Model):
    """The monthly bulletin (月通报) of a program: the stored workbook and the figures it was built from."""

    program = models.ForeignKey(
        "pairing.Program", verbose_name=_("program"), on_delete=models.PROTECT, related_name="bulletins"
    )
    period = models.CharField(_("month"), max_length=7, help_text=_("YYYY-MM: the month reported on."))
    workbook = models.FileField(_("workbook"), upload_to=bulletin_path, max_length=255, blank=True)
    summary = models.JSONField(_("figures"), default=dict, blank=True)
    generated_at = models.DateTimeField(_("generated at"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("generated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("monthly bulletin")
        verbose_name_plural = _("monthly bulletins")
        ordering = ["program", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["program", "period"], name="bulletin_one_per_program_month"),
            models.CheckConstraint(condition=Q(period__regex=MONTH_PATTERN), name="bulletin_period_yyyy_mm"),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.period}"
