"""Accounts: creating users with a role, and the admin groups that give each role its permissions."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from pairing.models import Region, RegionLevel

from .models import Membership, Role

# The admin's model permissions per role. Liaisons do not use the admin: they have their own pages and the API.
_PROGRAM_APPS = ("pairing", "projects", "funds", "stats")
_GROUP_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    # app label → actions ("*" = every permission of the app's models)
    Role.OFFICER: {app: ("*",) for app in _PROGRAM_APPS},
    Role.FINANCE: {"funds": ("*",), "pairing": ("view",), "projects": ("view",), "stats": ("view",)},
    Role.LEADER: {app: ("view",) for app in _PROGRAM_APPS},
}
GROUP_NAMES = {
    Role.OFFICER: "provincial officers",
    Role.FINANCE: "finance officers",
    Role.LEADER: "leaders",
    Role.LIAISON: "county liaisons",
}


def role_group_sync(*, role: str) -> Group:
    """The role's group with exactly its permissions (idempotent; run after migrations add models)."""
    group, _created = Group.objects.get_or_create(name=GROUP_NAMES[role])
    wanted = Q(pk__in=[])
    for app, actions in _GROUP_PERMISSIONS.get(role, {}).items():
        if "*" in actions:
            wanted |= Q(content_type__app_label=app)
        else:
            for action in actions:
                wanted |= Q(content_type__app_label=app, codename__startswith=f"{action}_")
    group.permissions.set(Permission.objects.filter(wanted))
    return group


@transaction.atomic
def user_set_role(*, user, role: str, county: Region | None = None) -> Membership:
    """Give ``user`` ``role`` (replacing any other): staff status and admin group follow the role."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role %(role)s.") % {"role": role}})
    if role == Role.LIAISON:
        if county is None:
            raise ValidationError({"county": _("A county liaison needs a county.")})
        if county.level != RegionLevel.COUNTY:
            raise ValidationError({"county": _("%(name)s is not a county-level unit.") % {"name": county.name}})
    elif county is not None:
        raise ValidationError({"county": _("Only a county liaison has a county.")})
    membership, _created = Membership.objects.update_or_create(user=user, defaults={"role": role, "county": county})
    user.is_staff = role != Role.LIAISON
    user.save(update_fields=["is_staff"])
    user.groups.remove(*Group.objects.filter(name__in=GROUP_NAMES.values()))
    user.groups.add(role_group_sync(role=role))
    return membership


@transaction.atomic
def user_create(
    *, username: str, role: str, county: Region | None = None, email: str = "", password: str | None = None
) -> tuple[object, str]:
    """Create an account with a role. Returns the user and its password (generated when not given)."""
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("The user %(name)s already exists.") % {"name": username}})
    password = password or secrets.token_urlsafe(12)
    user = User.objects.create_user(username=username, email=email, password=password)
    user_set_role(user=user, role=role, county=county)
    return user, password
