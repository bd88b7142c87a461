"""Request-wide limits, applied before a view (or the CSRF check) reads the body."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


def _megabytes(size: int) -> str:
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000} MB"
    return f"{size / 1_000_000:.1f} MB"


class RequestSizeLimitMiddleware:
    """Answer 413 to a request whose declared body is larger than ``REQUEST_MAX_BYTES``, without reading it.

    Uploads (liaisons' attachments, the admin's import files) are checked for size and type by their services, but
    only once Django has spooled them to disk; this bounds what can be spooled at all. Django reads no more of a
    body than its Content-Length, so a request without one has an empty body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REQUEST_MAX_BYTES
        if length > limit:
            message = _("The request is %(size)s; at most %(limit)s can be sent at once.") % {
                "size": _megabytes(length),
                "limit": _megabytes(limit),
            }
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
