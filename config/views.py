"""The site's front door: ``/`` sends each role to the pages it works in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.views.decorators.http import require_safe

from accounts.access import access_for


@require_safe
def home(request: HttpRequest) -> HttpResponseRedirect:
    """Provincial staff to the admin, everyone else signed in to the liaison pages (which tell an account without a
    role that it has none), anonymous visitors to the sign-in page, which sends staff on to the admin."""
    if not request.user.is_authenticated:
        return redirect("liaison:login")
    if access_for(request.user).sees_everything:
        return redirect("admin:index")
    return redirect("liaison:projects")
