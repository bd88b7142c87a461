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


API_KEY_PREFIX = "trk_"  # marks our keys, e.g. for secret scanners; a key without it is refused unlooked-up
API_KEY_VISIBLE = 12  # characters of a key kept in clear, to recognise it in lists and logs


class ApiToken(models.Model):
    """A named key a reporting tool uses on the API. It acts as its user, with the user's role and county scope; a
    read-only token (the default) is refused every write. Only the SHA-256 of the key is stored: the key itself is
    shown once, when the token is created."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for, e.g. the tool using it."))
    prefix = models.CharField(_("key prefix"), max_length=API_KEY_VISIBLE, editable=False)
    key_hash = models.CharField(_("key hash (SHA-256)"), max_length=64, unique=True, editable=False)
    read_only = models.BooleanField(
        _("read-only"), default=True, help_text=_("A read-only token may only read, whatever its user's role.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(
        _("expires"), null=True, blank=True, help_text=_("Empty: the token does not expire.")
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(key_hash__regex=r"^[0-9a-f]{64}$"), name="api_token_key_hash_sha256"),
            models.CheckConstraint(condition=Q(prefix__startswith=API_KEY_PREFIX), name="api_token_prefix_is_ours"),
            models.CheckConstraint(condition=~Q(name=""), name="api_token_has_a_name"),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=models.F("created_at")),
                name="api_token_revoked_after_creation",
            ),
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=Q(revoked_at__isnull=True),
                name="api_token_one_live_name_per_user",
                violation_error_message=_("This user already has a token of that name."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, at) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)
