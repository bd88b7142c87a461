"""Guidance funds and pair industry funds with their allocations and disbursements; special-bond quotas and issues.

Running totals (``Fund.allocated``, ``Allocation.disbursed``, ``BondPlan.assigned``, ``BondQuota.issued``) are kept
by the services in ``funds.services`` with a single conditional ``UPDATE``; check constraints on those columns make
the database refuse any write that would over-allocate, over-disburse or over-issue.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.money import MoneyField
from pairing.models import Pairing, Park, Program, Region, RegionLevel
from projects.models import Project


class FundKind(models.TextChoices):
    GUIDANCE = "guidance", _("Guidance fund")
    PAIR_INDUSTRY = "pair_industry", _("Pair industry fund")


class Fund(models.Model):
    """A fund of a program year: the province's guidance fund (帮扶引导资金) or a pair's industry fund."""

    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.PROTECT, related_name="funds")
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=16, choices=FundKind.choices, default=FundKind.GUIDANCE)
    pairing = models.ForeignKey(
        Pairing,
        verbose_name=_("pairing"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="funds",
        help_text=_("Required for a pair industry fund."),
    )
    name = models.CharField(_("name"), max_length=255)
    total = MoneyField(_("total"))
    allocated = MoneyField(_("allocated"), default=0, editable=False)
    contributed = MoneyField(
        _("paid in by partners"), default=0, editable=False, help_text=_("Pair industry funds: partner contributions.")
    )
    invested = MoneyField(
        _("invested in projects"), default=0, editable=False, help_text=_("Pair industry funds: paid into projects.")
    )
    frozen_at = models.DateTimeField(
        _("year closed at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Closed for the year-end reward run: nothing more is allocated or paid until the year is reopened, which "
            "is possible while its reward run is not approved."
        ),
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("year closed by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty while the year is open, or when the system closed it."),
    )
    is_sample = models.BooleanField(_("sample data"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fund")
        verbose_name_plural = _("funds")
        ordering = ["-year", "program", "kind", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="fund_total_not_negative"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0, allocated__lte=F("total")), name="fund_allocated_within_total"
            ),
            models.UniqueConstraint(
                fields=["program", "year"],
                condition=Q(kind=FundKind.GUIDANCE),
                name="fund_one_guidance_fund_per_program_year",
            ),
            models.CheckConstraint(
                condition=~Q(kind=FundKind.PAIR_INDUSTRY) | Q(pairing__isnull=False),
                name="fund_pair_industry_has_pairing",
            ),
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="fund_year_plausible"),
            models.CheckConstraint(
                condition=Q(contributed__gte=0, contributed__lte=F("total")), name="fund_contributed_within_total"
            ),
            models.CheckConstraint(
                condition=Q(invested__gte=0, invested__lte=F("contributed")), name="fund_invested_within_contributed"
            ),
            models.CheckConstraint(
                condition=Q(frozen_at__isnull=False) | Q(closed_by__isnull=True), name="fund_closed_by_only_if_closed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    @property
    def unallocated(self):
        return self.total - self.allocated


class Allocation(models.Model):
    """Part of a fund assigned to a weak county, optionally for one project (资金分配)."""

    fund = models.ForeignKey(Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="allocations")
    county = models.ForeignKey(
        Region,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="fund_allocations",
        limit_choices_to={"level": RegionLevel.COUNTY},
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fund_allocations",
    )
    amount = MoneyField(_("amount"))
    disbursed = MoneyField(_("disbursed"), default=0, editable=False)
    allocated_on = models.DateField(_("allocated on"))
    document_no = models.CharField(_("document number"), max_length=128, blank=True)
    purpose = models.CharField(_("purpose"), max_length=255, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["fund", "county", "allocated_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.CheckConstraint(
                condition=Q(disbursed__gte=0, disbursed__lte=F("amount")), name="allocation_disbursed_within_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund} → {self.county}"


class Disbursement(models.Model):
    """A tranche paid out of an allocation (拨付)."""

    allocation = models.ForeignKey(
        Allocation, verbose_name=_("allocation"), on_delete=models.PROTECT, related_name="disbursements"
    )
    amount = MoneyField(_("amount"))
    paid_on = models.DateField(_("paid on"))
    document_no = models.CharField(_("document number"), max_length=128, blank=True)
    purpose = models.CharField(_("purpose"), max_length=255, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["allocation", "paid_on"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_amount_positive")]

    def __str__(self) -> str:
        return f"{self.allocation} · {self.paid_on}"


class BondPlan(models.Model):
    """A program year's special-bond quota earmarked for the weak counties (专项债单列额度)."""

    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.PROTECT, related_name="bond_plans")
    year = models.PositiveSmallIntegerField(_("year"))
    total = MoneyField(_("total quota"))
    assigned = MoneyField(_("assigned to counties"), default=0, editable=False)
    is_sample = models.BooleanField(_("sample data"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("special-bond plan")
        verbose_name_plural = _("special-bond plans")
        ordering = ["-year", "program"]
        constraints = [
            models.UniqueConstraint(fields=["program", "year"], name="bond_plan_one_per_program_year"),
            models.CheckConstraint(condition=Q(total__gte=0), name="bond_plan_total_not_negative"),
            models.CheckConstraint(
                condition=Q(assigned__gte=0, assigned__lte=F("total")), name="bond_plan_assigned_within_total"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.program}"

    @property
    def unassigned(self):
        return self.total - self.assigned


class BondQuota(models.Model):
    """A weak county's share of a special-bond plan."""

    plan = models.ForeignKey(BondPlan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="quotas")
    county = models.ForeignKey(
        Region,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="bond_quotas",
        limit_choices_to={"level": RegionLevel.COUNTY},
    )
    quota = MoneyField(_("quota"))
    issued = MoneyField(_("issued"), default=0, editable=False)
    is_sample = models.BooleanField(_("sample data"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("special-bond quota")
        verbose_name_plural = _("special-bond quotas")
        ordering = ["plan", "county"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "county"], name="bond_quota_one_per_county"),
            models.CheckConstraint(condition=Q(quota__gt=0), name="bond_quota_positive"),
            models.CheckConstraint(
                condition=Q(issued__gte=0, issued__lte=F("quota")), name="bond_quota_issued_within_quota"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.year} {self.county}"

    @property
    def unissued(self):
        return self.quota - self.issued


class BondIssue(models.Model):
    """A special bond issued against a county's quota for a project."""

    quota = models.ForeignKey(BondQuota, verbose_name=_("quota"), on_delete=models.PROTECT, related_name="issues")
    project = models.ForeignKey(
        Project, verbose_name=_("project"), null=True, blank=True, on_delete=models.PROTECT, related_name="bonds"
    )
    amount = MoneyField(_("amount"))
    issue_date = models.DateField(_("issue date"))
    term_years = models.PositiveSmallIntegerField(_("term (years)"))
    rate_pct = models.DecimalField(_("coupon rate (%)"), max_digits=5, decimal_places=3)
    is_sample = models.BooleanField(_("sample data"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("special-bond issue")
        verbose_name_plural = _("special-bond issues")
        ordering = ["quota", "issue_date"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="bond_issue_amount_positive"),
            models.CheckConstraint(condition=Q(term_years__gte=1, term_years__lte=50), name="bond_issue_term_range"),
            models.CheckConstraint(condition=Q(rate_pct__gte=0, rate_pct__lte=20), name="bond_issue_rate_range"),
        ]

    def __str__(self) -> str:
        return f"{self.quota.county} · {self.issue_date}"


class FundContribution(models.Model):
    """Capital a partner county pays into a pair industry fund (出资)."""

    fund = models.ForeignKey(Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="contributions")
    county = models.ForeignKey(
        Region,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="fund_contributions",
        limit_choices_to={"level": RegionLevel.COUNTY},
    )
    amount = MoneyField(_("amount"))
    paid_on = models.DateField(_("paid on"))
    document_no = models.CharField(_("document number"), max_length=128, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fund contribution")
        verbose_name_plural = _("fund contributions")
        ordering = ["fund", "paid_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="fund_contribution_amount_positive")]

    def __str__(self) -> str:
        return f"{self.county} → {self.fund}"


class FundInvestment(models.Model):
    """Money a pair industry fund puts into a project (投资)."""

    fund = models.ForeignKey(Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="investments")
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="fund_investments"
    )
    amount = MoneyField(_("amount"))
    invested_on = models.DateField(_("invested on"))
    document_no = models.CharField(_("document number"), max_length=128, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fund investment")
        verbose_name_plural = _("fund investments")
        ordering = ["fund", "invested_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="fund_investment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.fund} → {self.project}"


class ParkLedgerEntry(models.Model):
    """A co-built park's tax and output for one period, split between its partner counties by their agreed ratios."""

    park = models.ForeignKey(Park, verbose_name=_("park"), on_delete=models.PROTECT, related_name="ledger")
    period = models.CharField(_("period"), max_length=7, help_text=_("A year (2025) or a month (2025-09)."))
    tax = MoneyField(_("tax revenue"))
    output = MoneyField(_("output value"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    is_sample = models.BooleanField(_("sample data"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("park tax and output")
        verbose_name_plural = _("park tax and output")
        ordering = ["park", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["park", "period"], name="park_ledger_one_entry_per_period"),
            models.CheckConstraint(condition=Q(tax__gte=0, output__gte=0), name="park_ledger_not_negative"),
            models.CheckConstraint(
                condition=Q(period__regex=r"^[0-9]{4}(-(0[1-9]|1[0-2]))?$"), name="park_ledger_period_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.park} · {self.period}"


class ParkLedgerShare(models.Model):
    """A partner county's part of a park's period figures, at the ratios agreed when it was recorded."""

    entry = models.ForeignKey(ParkLedgerEntry, verbose_name=_("entry"), on_delete=models.CASCADE, related_name="shares")
    county = models.ForeignKey(
        Region, verbose_name=_("county"), on_delete=models.PROTECT, related_name="park_ledger_shares"
    )
    tax_share_pct = models.DecimalField(_("tax share (%)"), max_digits=5, decimal_places=2)
    output_share_pct = models.DecimalField(_("output share (%)"), max_digits=5, decimal_places=2)
    tax = MoneyField(_("tax revenue"))
    output = MoneyField(_("output value"))

    class Meta:
        verbose_name = _("partner's share")
        verbose_name_plural = _("partners' shares")
        ordering = ["entry", "county"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "county"], name="park_ledger_share_once_per_county"),
            models.CheckConstraint(condition=Q(tax__gte=0, output__gte=0), name="park_ledger_share_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.entry} · {self.county}"


class RewardBasis(models.TextChoices):
    INCREMENT = "increment", _("Main-tax increment (yuan)")
    RATE = "rate", _("Main-tax growth rate (%)")


class RewardRunStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved and paid")


class RewardRun(models.Model):
    """The year-end surplus reward run of a guidance fund (结余奖励): one per fund, a draft until approved."""

    fund = models.OneToOneField(Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="reward_run")
    status = models.CharField(
        _("status"), max_length=16, choices=RewardRunStatus.choices, default=RewardRunStatus.DRAFT
    )
    threshold_pct = models.DecimalField(
        _("growth threshold (%)"),
        max_digits=8,
        decimal_places=4,
        default=0,
        help_text=_("A weak county is eligible when its main-tax growth is above this rate."),
    )
    basis = models.CharField(
        _("weight basis"), max_length=16, choices=RewardBasis.choices, default=RewardBasis.INCREMENT
    )
    cap = MoneyField(
        _("cap per county"),
        null=True,
        blank=True,
        help_text=_("Optional; what a county would get above it is shared among the others."),
    )
    period = models.CharField(_("statistics period"), max_length=7, blank=True)
    fund_total = MoneyField(_("fund total"), default=0)
    disbursed = MoneyField(_("disbursed"), default=0)
    surplus = MoneyField(_("surplus"), default=0)
    explainer = models.JSONField(_("explainer"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("surplus reward run")
        verbose_name_plural = _("surplus reward runs")
        ordering = ["-fund__year", "fund"]
        constraints = [
            models.CheckConstraint(condition=Q(surplus__gte=0), name="reward_run_surplus_not_negative"),
            models.CheckConstraint(
                condition=Q(surplus=F("fund_total") - F("disbursed")), name="reward_run_surplus_is_total_less_paid"
            ),
            models.CheckConstraint(
                condition=~Q(status=RewardRunStatus.APPROVED) | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="reward_run_approval_recorded",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | Q(created_by__isnull=True) | ~Q(approved_by=F("created_by")),
                name="reward_run_four_eyes",
            ),
            models.CheckConstraint(condition=Q(cap__isnull=True) | Q(cap__gt=0), name="reward_run_cap_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.fund} · {self.get_status_display()}"


class RewardRunAction(models.TextChoices):
    START = "start", _("Started the draft")
    RECOMPUTE = "recompute", _("Recomputed the draft")
    RULE = "rule", _("Changed the rule and recomputed")
    CLOSE = "close", _("Closed the fund year")
    REOPEN = "reopen", _("Reopened the fund year")


class RewardRunEdit(models.Model):
    """One hand in a draft reward run: who started, recomputed or changed its rule, closed or reopened its fund's
    year, when, and what changed (each rule field as [before, after]). ``by`` is empty only for the scheduled job
    (or a year closed by the system)."""

    run = models.ForeignKey(RewardRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="edits")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the scheduled year-end job."),
    )
    action = models.CharField(_("what"), max_length=16, choices=RewardRunAction.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reward run edit")
        verbose_name_plural = _("reward run edits")
        ordering = ["run", "at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=RewardRunAction.values), name="reward_run_edit_action_known"),
            # The scheduled job only drafts and recomputes; a changed rule always has a person behind it.
            models.CheckConstraint(
                condition=Q(by__isnull=False) | ~Q(action=RewardRunAction.RULE),
                name="reward_run_edit_rule_has_a_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} · {self.get_action_display()}"


class RewardRunRole(models.TextChoices):
    EDITOR = "editor", _("Set or changed the draft")
    APPROVER = "approver", _("Approved the run")


class RewardRunParticipant(models.Model):
    """Each person with a hand in a run, once: an editor of its draft or its approver, never both. The unique
    (run, user) pair is the four-eyes rule at the database: the approver's row cannot be added for someone who
    started, recomputed or changed the draft."""

    run = models.ForeignKey(RewardRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role"), max_length=16, choices=RewardRunRole.choices)
    at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("reward run participant")
        verbose_name_plural = _("reward run participants")
        ordering = ["run", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "user"], name="reward_run_one_hand_per_person"),
            models.UniqueConstraint(
                fields=["run"], condition=Q(role=RewardRunRole.APPROVER), name="reward_run_one_approver"
            ),
            models.CheckConstraint(
                condition=Q(role__in=RewardRunRole.values), name="reward_run_participant_role_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} · {self.user} · {self.get_role_display()}"


class RewardShare(models.Model):
    """One weak county's line in a reward run: its inputs, weight and share."""

    run = models.ForeignKey(RewardRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="shares")
    county = models.ForeignKey(Region, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    main_tax = MoneyField(_("main-tax revenue"), null=True, blank=True)
    main_tax_previous = MoneyField(_("previous year's main-tax revenue"), null=True, blank=True)
    growth_pct = models.DecimalField(_("main-tax growth (%)"), max_digits=24, decimal_places=12, null=True, blank=True)
    increment = MoneyField(_("increment"), null=True, blank=True)
    release = models.CharField(_("release used"), max_length=64, blank=True)
    eligible = models.BooleanField(_("eligible"), default=False)
    reason = models.CharField(_("why not eligible"), max_length=255, blank=True)
    weight = models.DecimalField(_("weight"), max_digits=30, decimal_places=12, null=True, blank=True)
    exact_share = models.DecimalField(_("exact share"), max_digits=30, decimal_places=12, default=0)
    capped = models.BooleanField(_("capped"), default=False)
    share = MoneyField(_("share"), default=0)

    class Meta:
        verbose_name = _("reward share")
        verbose_name_plural = _("reward shares")
        ordering = ["run", "county"]
        constraints = [
            models.UniqueConstraint(fields=["run", "county"], name="reward_share_once_per_county"),
            models.CheckConstraint(condition=Q(share__gte=0), name="reward_share_not_negative"),
            models.CheckConstraint(condition=Q(eligible=True) | Q(share=0), name="reward_share_only_if_eligible"),
        ]

    def __str__(self) -> str:
        return f"{self.run} · {self.county}"


class RewardPayout(models.Model):
    """A reward paid to a weak county when its run is approved; never twice for one fund and county."""

    fund = models.ForeignKey(Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="reward_payouts")
    run = models.ForeignKey(RewardRun, verbose_name=_("run"), on_delete=models.PROTECT, related_name="payouts")
    county = models.ForeignKey(Region, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    amount = MoneyField(_("amount"))
    paid_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reward payout")
        verbose_name_plural = _("reward payouts")
        ordering = ["fund", "county"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "county"], name="reward_payout_once_per_fund_and_county"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="reward_payout_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.fund} → {self.county}"
