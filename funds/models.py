"""Guidance funds and pair industry funds with their allocations and disbursements; special-bond quotas and issues.

Running totals (``Fund.allocated``, ``Allocation.disbursed``, ``BondPlan.assigned``, ``BondQuota.issued``) are kept
by the services in ``funds.services`` with a single conditional ``UPDATE``; check constraints on those columns make
the database refuse any write that would over-allocate, over-disburse or over-issue.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.money import MoneyField
from pairing.models import Pairing, Program, Region, RegionLevel
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
    is_sample = models.BooleanField(_("sample data"), default=False)

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

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["allocation", "paid_on"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_amount_positive")]

    def __str__(self) -> str:
        return f"{self.allocation} · {self.paid_on}"


class BondPlan(models.Model):
    """A program year's special-bond quota earmarked for the weak counties (专项债单列额度)."""

    program = models.ForeignKey(
        Program, verbose_name=_("program"), on_delete=models.PROTECT, related_name="bond_plans"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    total = MoneyField(_("total quota"))
    assigned = MoneyField(_("assigned to counties"), default=0, editable=False)
    is_sample = models.BooleanField(_("sample data"), default=False)

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
