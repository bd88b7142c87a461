"""Role-based access for the API: who may call a view, and which rows a view shows."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .access import access_for, scope
from .models import Role

OFFICERS = frozenset({Role.OFFICER})
MONEY_WRITERS = frozenset({Role.OFFICER, Role.FINANCE})


class RolePermission(BasePermission):
    """Reads for every role; writes for the roles in the view's ``write_roles`` (provincial officers by default).
    A user without a role gets 403. Which rows exist for the user is the view's ``liaison_q``'s business."""

    def has_permission(self, request, view) -> bool:
        access = access_for(request.user)
        if not access.has_role:
            return False
        if request.method in SAFE_METHODS:
            return True
        return access.may_write(getattr(view, "write_roles", OFFICERS))


class ScopedQuerysetMixin:
    """Scope ``get_queryset()`` to the user: liaisons get the rows ``liaison_q(county)`` selects (or none at all when
    it is ``None``); everyone else with a role gets every row."""

    permission_classes = [RolePermission]
    liaison_q: Callable[[str], Q] | None = None

    def get_queryset(self):
        queryset = super().get_queryset()
        return scope(queryset, self.request.user, type(self).liaison_q)
