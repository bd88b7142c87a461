"""Role-based access for the API: who the caller is (API tokens), who may call a view, and which rows it shows."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .access import access_for, scope
from .models import API_KEY_PREFIX, ApiToken, Role
from .services import api_key_hash, api_token_touch
from .throttling import AuthFailureThrottle

OFFICERS = frozenset({Role.OFFICER})
MONEY_WRITERS = frozenset({Role.OFFICER, Role.FINANCE})


class ApiTokenAuthentication(BaseAuthentication):
    """The named API tokens of reporting tools (``accounts.ApiToken``): ``Authorization: Bearer <key>`` or
    ``Token <key>``. The request acts as the token's user; ``request.auth`` is the token.

    These are the API's only tokens: DRF's per-user tokens, which wrote as their user and never expired, are no
    longer accepted, so a key without our prefix is simply a wrong key. An unknown, revoked or expired key is a 401
    with a ``Token`` challenge. Failures are counted per client address (``AuthFailureThrottle``): past the limit,
    every key from that address is a 429 with ``Retry-After`` before it is even looked up.
    """

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in (b"bearer", b"token"):
            return None
        guard = AuthFailureThrottle()
        wait = guard.wait_if_blocked(request)
        if wait is not None:
            raise Throttled(wait)
        try:
            return self._authenticate_key(parts[1].decode("latin-1") if len(parts) == 2 else "")
        except AuthenticationFailed:
            guard.record_failure(request)
            raise

    def _authenticate_key(self, key: str):
        if not key.startswith(API_KEY_PREFIX):
            raise AuthenticationFailed(_("Invalid token."))
        token = ApiToken.objects.select_related("user").filter(key_hash=api_key_hash(key)).first()
        if token is None:
            raise AuthenticationFailed(_("Invalid token."))
        now = timezone.now()
        if token.revoked_at is not None:
            raise AuthenticationFailed(_("This API token has been revoked."))
        if not token.is_usable(now):
            raise AuthenticationFailed(_("This API token has expired."))
        if not token.user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        api_token_touch(token=token, at=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return "Token"


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema names the API tokens (registered by being defined)."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": _(
                "A named API token of a reporting tool: `Authorization: Bearer <key>` (or `Token <key>`). It reads "
                "what its user's role and county may see; a read-only token gets 403 on every write."
            ),
        }


def read_only_token(request) -> bool:
    return isinstance(request.auth, ApiToken) and request.auth.read_only


class RolePermission(BasePermission):
    """Reads for every role; writes for the roles in the view's ``write_roles`` (provincial officers by default).
    A user without a role gets 403, and so does a write with a read-only API token, whatever the user's role.
    Which rows exist for the user is the view's ``liaison_q``'s business."""

    def has_permission(self, request, view) -> bool:
        access = access_for(request.user)
        if not access.has_role:
            return False
        if request.method in SAFE_METHODS:
            return True
        if read_only_token(request):
            self.message = _("This API token is read-only: it may only read (GET, HEAD, OPTIONS).")
            return False
        return access.may_write(getattr(view, "write_roles", OFFICERS))


class ScopedQuerysetMixin:
    """Scope ``get_queryset()`` to the user: liaisons get the rows ``liaison_q(county)`` selects (or none at all when
    it is ``None``); everyone else with a role gets every row."""

    permission_classes = [RolePermission]
    liaison_q: Callable[[str], Q] | None = None

    def get_queryset(self):
        queryset = super().get_queryset()
        return scope(queryset, self.request.user, type(self).liaison_q)
