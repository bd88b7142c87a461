"""URLconf of ``bench/api.py`` (``bench.api_settings``): the site's URLs plus ``/bench/bare/<basename>/``.

The bare view serves the rows of an API list without DRF — the ``values()`` of the viewset's own queryset (scoped
to the caller as the API scopes it), the same page size, a ``JsonResponse`` — as the floor the API's latency is
compared with. Like the API it looks up the caller's token (one query) and their role (one query); it skips DRF's
request wrapping, content negotiation, permission classes, filter backends, paginator and serializers. It exists
only in this URLconf, which only the benchmark's settings name: the site never routes to it.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.http import HttpRequest, JsonResponse
from django.urls import path

from accounts.models import ApiToken
from accounts.services import api_key_hash
from config.api_router import router
from config.urls import urlpatterns as site_urlpatterns
from pairing.models import Program, Region
from stats.models import GapResult

VIEWSETS = {basename: viewset for _prefix, viewset, basename in router.registry if hasattr(viewset, "list")}
MAX_PAGE = 500
JSON = {"ensure_ascii": False}  # as DRF's JSONRenderer writes it


def _gap_rows(params) -> list[dict]:
    """``gap_rows``' read without the ranking in Python: the results of the program's province's counties."""
    program = Program.objects.get(code=params["program"])
    counties = Region.objects.counties().filter(adcode__startswith=program.province_id[:2])
    results = GapResult.objects.filter(
        region__in=counties, indicator=params.get("indicator", "gdp"), period=params["period"]
    ).order_by("rank", "region")
    return list(results.values())


def bare_list(request: HttpRequest, basename: str) -> JsonResponse:
    key = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    token = ApiToken.objects.select_related("user").filter(key_hash=api_key_hash(key), revoked_at=None).first()
    if token is None:
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    viewset = VIEWSETS.get(basename)
    if viewset is None:
        return JsonResponse({"detail": "Not found."}, status=404)
    if basename == "gap":  # not a queryset behind it, and not paginated
        return JsonResponse(_gap_rows(request.GET), safe=False, json_dumps_params=JSON)
    view = viewset()
    view.request = SimpleNamespace(user=token.user, query_params=request.GET)
    view.action, view.kwargs, view.format_kwarg = "list", {}, None
    queryset = view.get_queryset().prefetch_related(None)
    size = min(int(request.GET.get("page_size", 50)), MAX_PAGE)
    page = list(queryset.values()[:size])
    return JsonResponse({"count": queryset.count(), "results": page}, json_dumps_params=JSON)


urlpatterns = [*site_urlpatterns, path("bench/bare/<slug:basename>/", bare_list)]
