"""What a user may see and write, by role — the one place querysets are scoped.

Lists, details, filters, counts and exports all start from ``scope()``, so a liaison never meets another county's
rows anywhere (a 404 on details, absent from lists); object-level permissions alone would not filter DRF's lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from .models import Membership, Role

EVERYTHING_ROLES = frozenset({Role.OFFICER, Role.FINANCE, Role.LEADER})
# The files attached to progress reports (site photos, contracts, permits) are read by those who review and oversee
# projects, and by the liaison of the county where the project is; finance staff work on the money records.


@dataclass(frozen=True)
class Access:
    role: str | None
    county: str | None = None  # the adcode of a liaison's county

    @property
    def has_role(self) -> bool:
        return self.role is not None

    @property
    def sees_everything(self) -> bool:
        return self.role in EVERYTHING_ROLES

    @property
    def is_liaison(self) -> bool:
        return self.role == Role.LIAISON

    def may_write(self, roles: frozenset[str]) -> bool:
        return self.role in roles


NO_ACCESS = Access(role=None)
_CACHE_ATTR = "_program_access"


def access_for(user) -> Access:
    """The user's role, cached on the user object for the request. A superuser counts as a provincial officer; an
    authenticated user without a role sees nothing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if user.is_superuser:
        access = Access(role=Role.OFFICER)
    else:
        membership = Membership.objects.filter(user=user).only("role", "county_id").first()
        access = Access(role=membership.role, county=membership.county_id) if membership else NO_ACCESS
    setattr(user, _CACHE_ATTR, access)
    return access


def pairing_q(county: str, path: str = "") -> Q:
    """Rows whose pairing (reached through ``path``, e.g. ``"pairing__"``) has ``county`` on either side."""
    return Q(**{f"{path}strong_county": county}) | Q(**{f"{path}weak_county": county})


def scope(queryset: QuerySet, user, liaison_q: Callable[[str], Q] | None) -> QuerySet:
    """``queryset`` as ``user`` may see it. ``liaison_q(county)`` selects a liaison's rows; ``None`` means the model
    is not shown to liaisons at all."""
    access = access_for(user)
    if access.sees_everything:
        return queryset
    if access.is_liaison and liaison_q is not None:
        return queryset.filter(liaison_q(access.county))
    return queryset.none()
