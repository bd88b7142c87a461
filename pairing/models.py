"""Regions, programs and the strong → weak county pairings they own, with co-built parks."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.money import MoneyField

ADCODE_PATTERN = r"^[0-9]{6}$"


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("Prefecture city")
    COUNTY = "county", _("County-level unit")


class RegionQuerySet(models.QuerySet):
    def counties(self) -> RegionQuerySet:
        return self.filter(level=RegionLevel.COUNTY)

    def within(self, region: Region) -> RegionQuerySet:
        """Regions whose adcode falls under ``region`` (a province or a city), excluding it."""
        prefix = region.adcode_prefix
        return self.filter(adcode__startswith=prefix).exclude(pk=region.pk)


class Region(models.Model):
    """An administrative division keyed by its 6-digit adcode (GB/T 2260)."""

    adcode = models.CharField(_("adcode"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("administrative level"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["adcode"]
        constraints = [
            models.CheckConstraint(condition=Q(adcode__regex=ADCODE_PATTERN), name="region_adcode_six_digits"),
            models.CheckConstraint(
                condition=~Q(level=RegionLevel.PROVINCE) | Q(adcode__endswith="0000", parent__isnull=True),
                name="region_province_code_and_no_parent",
            ),
            models.CheckConstraint(
                condition=Q(level=RegionLevel.PROVINCE) | Q(parent__isnull=False),
                name="region_non_province_has_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def adcode_prefix(self) -> str:
        if self.level == RegionLevel.PROVINCE:
            return self.adcode[:2]
        if self.level == RegionLevel.CITY:
            return self.adcode[:4]
        return self.adcode

    @property
    def province_adcode(self) -> str:
        return self.adcode[:2] + "0000"


class Source(models.Model):
    """A document that facts in the tracker come from (a notice, a press release, a statistical bulletin)."""

    title = models.CharField(_("title"), max_length=255)
    issuer = models.CharField(_("issuer"), max_length=128, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    reference = models.CharField(
        _("archive reference"), max_length=255, blank=True, help_text=_("Where the copy of the document is kept.")
    )
    excerpt = models.TextField(_("excerpt"), blank=True, help_text=_("The passage that supports the facts."))

    class Meta:
        verbose_name = _("source document")
        verbose_name_plural = _("source documents")
        ordering = ["-published_on", "title"]

    def __str__(self) -> str:
        return self.title


class Program(models.Model):
    """An assistance program (e.g. Shandong's 2024 strong-county / weak-county program) owning its pairings."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    province = models.ForeignKey(
        Region,
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="programs",
        limit_choices_to={"level": RegionLevel.PROVINCE},
        help_text=_("Empty for a program that spans provinces (e.g. east–west collaboration)."),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    source = models.ForeignKey(
        Source, verbose_name=_("source document"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["-start_date", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="program_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CountyRole(models.TextChoices):
    STRONG = "strong", _("Strong county (assisting)")
    WEAK = "weak", _("Weak county (assisted)")


class ProgramCounty(models.Model):
    """A county's role in a program. A county has one role per program; weak counties are designated here even
    before their partner is known."""

    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="counties")
    county = models.ForeignKey(
        Region,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="program_roles",
        limit_choices_to={"level": RegionLevel.COUNTY},
    )
    role = models.CharField(_("role"), max_length=16, choices=CountyRole.choices)
    source = models.ForeignKey(
        Source, verbose_name=_("source document"), null=True, blank=True, on_delete=models.PROTECT
    )
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        verbose_name = _("program county")
        verbose_name_plural = _("program counties")
        ordering = ["program", "role", "county"]
        constraints = [
            models.UniqueConstraint(fields=["program", "county"], name="program_county_one_role"),
            models.CheckConstraint(
                condition=Q(is_sample=True) | Q(source__isnull=False), name="program_county_has_provenance"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county} · {self.get_role_display()}"


class PairingStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    ENDED = "ended", _("Ended")


class PairingQuerySet(models.QuerySet):
    def active(self) -> PairingQuerySet:
        return self.filter(status=PairingStatus.ACTIVE)

    def involving(self, county: Region | str) -> PairingQuerySet:
        return self.filter(Q(strong_county=county) | Q(weak_county=county))


class Pairing(models.Model):
    """A strong county paired one-to-one with a weak county inside a program (结对)."""

    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.PROTECT, related_name="pairings")
    strong_county = models.ForeignKey(
        Region,
        verbose_name=_("strong county"),
        on_delete=models.PROTECT,
        related_name="pairings_as_strong",
        limit_choices_to={"level": RegionLevel.COUNTY},
    )
    weak_county = models.ForeignKey(
        Region,
        verbose_name=_("weak county"),
        on_delete=models.PROTECT,
        related_name="pairings_as_weak",
        limit_choices_to={"level": RegionLevel.COUNTY},
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=PairingStatus.choices, default=PairingStatus.ACTIVE)
    leader = models.CharField(
        _("responsible provincial leader"), max_length=128, blank=True, help_text=_("省级领导包保")
    )
    assistance_team = models.TextField(
        _("assistance team"), blank=True, help_text=_("Provincial departments, state firms and universities.")
    )
    source = models.ForeignKey(
        Source,
        verbose_name=_("source document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pairings",
    )
    provenance_note = models.TextField(
        _("provenance note"), blank=True, help_text=_("What the source document says about this pairing.")
    )
    is_sample = models.BooleanField(_("sample data"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PairingQuerySet.as_manager()

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["program", "weak_county"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(strong_county=F("weak_county")), name="pairing_strong_differs_from_weak"
            ),
            models.UniqueConstraint(
                fields=["program", "strong_county"],
                condition=Q(status=PairingStatus.ACTIVE),
                name="pairing_one_active_per_strong_county",
            ),
            models.UniqueConstraint(
                fields=["program", "weak_county"],
                condition=Q(status=PairingStatus.ACTIVE),
                name="pairing_one_active_per_weak_county",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="pairing_end_after_start",
            ),
            # An official pairing must say which document it comes from; only sample rows may lack one.
            models.CheckConstraint(
                condition=Q(is_sample=True) | Q(source__isnull=False), name="pairing_has_provenance"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.strong_county.name} → {self.weak_county.name}"


class ParkKind(models.TextChoices):
    CO_BUILT = "co_built", _("Co-built park")
    ENCLAVE = "enclave", _("Enclave park")


class ParkStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    BUILDING = "building", pgettext_lazy("park status", "Under construction")
    OPERATING = "operating", _("Operating")
    SUSPENDED = "suspended", _("Suspended")


class Park(models.Model):
    """A park built together by a pairing (共建园区), including enclave parks (飞地园区)."""

    pairing = models.ForeignKey(Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="parks")
    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=16, choices=ParkKind.choices, default=ParkKind.CO_BUILT)
    host_county = models.ForeignKey(
        Region,
        verbose_name=_("host county"),
        on_delete=models.PROTECT,
        related_name="hosted_parks",
        limit_choices_to={"level": RegionLevel.COUNTY},
    )
    planned_area_mu = models.DecimalField(
        _("planned area (mu)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(_("status"), max_length=16, choices=ParkStatus.choices, default=ParkStatus.PLANNING)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    source = models.ForeignKey(
        Source, verbose_name=_("source document"), null=True, blank=True, on_delete=models.PROTECT
    )
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        verbose_name = _("co-built park")
        verbose_name_plural = _("co-built parks")
        ordering = ["pairing", "name"]
        constraints = [
            models.UniqueConstraint(fields=["pairing", "name"], name="park_name_unique_in_pairing"),
            models.CheckConstraint(
                condition=Q(planned_area_mu__isnull=True) | Q(planned_area_mu__gte=0),
                name="park_area_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ParkPartner(models.Model):
    """A partner county's stake in a park: capital put in and its agreed share of the park's tax and output."""

    park = models.ForeignKey(Park, verbose_name=_("park"), on_delete=models.CASCADE, related_name="partners")
    county = models.ForeignKey(
        Region,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="park_stakes",
        limit_choices_to={"level": RegionLevel.COUNTY},
    )
    capital_contribution = MoneyField(_("capital contribution"), default=0)
    tax_share_pct = models.DecimalField(_("tax share (%)"), max_digits=5, decimal_places=2, default=0)
    output_share_pct = models.DecimalField(_("output share (%)"), max_digits=5, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("park partner")
        verbose_name_plural = _("park partners")
        ordering = ["park", "county"]
        constraints = [
            models.UniqueConstraint(fields=["park", "county"], name="park_partner_once"),
            models.CheckConstraint(condition=Q(capital_contribution__gte=0), name="park_partner_capital_not_negative"),
            models.CheckConstraint(
                condition=Q(tax_share_pct__gte=0, tax_share_pct__lte=100), name="park_partner_tax_share_pct_range"
            ),
            models.CheckConstraint(
                condition=Q(output_share_pct__gte=0, output_share_pct__lte=100),
                name="park_partner_output_share_pct_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.park} · {self.county}"
