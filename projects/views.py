"""Files of progress reports, served only through a view that checks who asks (never as public media files)."""

from __future__ import annotations

import re

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET

from .reports import ATTACHMENT_TYPES, report_attachments_for

_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f"\\/]')


def download_name(original_name: str) -> str:
    """The attachment's name as a header may carry it: no control characters, quotes or path separators."""
    return _UNSAFE_IN_NAME.sub("_", original_name).strip() or "attachment"


@require_GET
def report_attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """One attachment, always as a download. Who may open which is ``report_attachments_for``; an attachment the
    caller may not open answers 404, as if it did not exist. The type is one of the checked upload types (anything
    else goes as bytes) and the browser is told not to sniff another, so no upload is ever run as a page."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("liaison:login"))
    attachment = get_object_or_404(report_attachments_for(request.user), pk=attachment_id)
    content_type = attachment.content_type
    if content_type not in ATTACHMENT_TYPES.values():
        content_type = "application/octet-stream"
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=download_name(attachment.original_name),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
