"""Serving a generated evaluation report's files (the API's and the admin's downloads share it).

The files are read from storage by a view that checked who is asking, never from a public media URL. The HTML is
served with a Content-Security-Policy that allows nothing but its inline styles and SVGs, so a name in the data
could not run as a script even if it escaped the template's escaping.
"""

from __future__ import annotations

from django.http import FileResponse, Http404

from .evaluation import HTML_CONTENT_TYPE, PDF_CONTENT_TYPE
from .models import EvaluationReport, ReportStatus

KINDS = {"html": HTML_CONTENT_TYPE, "pdf": PDF_CONTENT_TYPE}
HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def report_filename(report: EvaluationReport, kind: str) -> str:
    return f"{report.program.code}-{report.year}-县域经济发展评价报告.{kind}"


def report_file_response(report: EvaluationReport, kind: str) -> FileResponse:
    """The report's ``kind`` ("html" or "pdf") file, to be shown in the browser; 404 until the report is done."""
    field = getattr(report, kind)
    if report.status != ReportStatus.DONE or not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, filename=report_filename(report, kind), content_type=KINDS[kind])
    response["Cache-Control"] = "private, no-store"
    if kind == "html":
        response["Content-Security-Policy"] = HTML_POLICY
    return response
