"""Who a user is in the program: a role, and for a county liaison the one county they speak for."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pairing.models import Region, RegionLevel


class Role(models.TextChoices):
    OFFICER = "officer", _("Provincial officer")
    FINANCE = "finance", _("Finance officer")
    LIAISON = "liaison", _("County liaison")
    LEADER = "leader", _("Leader (read-only)")


class Membership(models.Model):
    """A user's role. Provincial officers see and write everything; finance officers write the money records;
    leaders read everything; a county liaison sees only the pairings their county is part of."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="membership"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    county = models.ForeignKey(
        Region,
        verbose_name=_("county"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaisons",
        limit_choices_to={"level": RegionLevel.COUNTY},
        help_text=_("The county a liaison reports for; empty for every other role."),
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["role", "user__username"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(role=Role.LIAISON) & Q(county__isnull=False))
                | (~Q(role=Role.LIAISON) & Q(county__isnull=True)),
                name="membership_county_iff_liaison",
                violation_error_message=_("A county liaison has a county; no other role has one."),
            ),
        ]

    def __str__(self) -> str:
        if self.county_id:
            return f"{self.user} · {self.get_role_display()} · {self.county}"
        return f"{self.user} · {self.get_role_display()}"
