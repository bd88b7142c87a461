"""Accounts: creating users with a role, the admin groups that give each role its permissions, and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pairing.models import Pairing, ProgramCounty, Region, RegionLevel

from .access import access_for
from .models import API_KEY_PREFIX, API_KEY_VISIBLE, ApiToken, Membership, Role

# The admin's model permissions per role. Liaisons do not use the admin: they have their own pages and the API.
_PROGRAM_APPS = ("pairing", "validation", "projects", "funds", "stats", "reporting")
_GROUP_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    # app label → actions ("*" = every permission of the app's models)
    Role.OFFICER: {app: ("*",) for app in _PROGRAM_APPS},
    Role.FINANCE: {
        "funds": ("*",),
        "pairing": ("view",),
        "projects": ("view",),
        "stats": ("view",),
        "reporting": ("view",),
    },
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


def county_in_a_program(*, county: Region) -> bool:
    """Whether ``county`` has a role in a program: either side of a pairing, or designated without a partner yet."""
    return ProgramCounty.objects.filter(county=county).exists() or Pairing.objects.involving(county).exists()


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
        if not county_in_a_program(county=county):
            message = _("%(name)s is not part of any assistance program: its liaison would have nothing to report.")
            raise ValidationError({"county": message % {"name": county.name}})
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
    """Create an account with a role. Returns the user and its password (generated when not given). A given
    password must pass ``AUTH_PASSWORD_VALIDATORS``, as it would on the admin's password form."""
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("The user %(name)s already exists.") % {"name": username}})
    password = password or secrets.token_urlsafe(16)
    try:
        validate_password(password, user=User(username=username, email=email))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user = User.objects.create_user(username=username, email=email, password=password)
    user_set_role(user=user, role=role, county=county)
    return user, password


# --- API tokens -------------------------------------------------------------------------------------------------------

# How stale ``last_used_at`` may get: a tool paging through a list would otherwise write the row on every request.
API_TOKEN_TOUCH_EVERY = dt.timedelta(minutes=1)


def api_key_hash(key: str) -> str:
    """The SHA-256 of a key, as stored. A plain hash is enough: the keys are random, with 256 bits of entropy."""
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user, name: str, read_only: bool = True, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with its key, which is not stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    if not user.is_active:
        raise ValidationError({"user": _("%(name)s is not active.") % {"name": user.get_username()}})
    if not access_for(user).has_role:
        message = _("%(name)s has no role in the program: a token would see nothing.")
        raise ValidationError({"user": message % {"name": user.get_username()}})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
        raise ValidationError({"name": _("This user already has a token of that name.")})
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:API_KEY_VISIBLE],
        key_hash=api_key_hash(key),
        read_only=read_only,
        expires_at=expires_at,
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke ``token`` from now on; revoking it again changes nothing."""
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    token.refresh_from_db(fields=["revoked_at"])
    return token


def api_token_touch(*, token: ApiToken, at: dt.datetime) -> None:
    """Record that ``token`` was used at ``at``, at most once per ``API_TOKEN_TOUCH_EVERY``. The row as read says
    whether it is due: a request within the minute sends no statement at all (one query less on every API call)."""
    if token.last_used_at is not None and token.last_used_at >= at - API_TOKEN_TOUCH_EVERY:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=at - API_TOKEN_TOUCH_EVERY)
    if ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=at):
        token.last_used_at = at
