"""The one write of the liaison pages: a report, its new attachments and (optionally) its submission, all or
nothing. Each step is a service of ``projects.reports``; this only binds them into one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from projects.models import ProgressReport, Project, ReportAttachment
from projects.reports import ReportData, progress_report_save, progress_report_submit, report_attachment_add


def progress_report_file(
    *,
    project: Project,
    period: str,
    data: ReportData,
    uploads: Sequence[UploadedFile],
    by,
    expected_version: int,
    submit: bool,
) -> ProgressReport:
    """Save the report, attach ``uploads`` and, if ``submit``, send it for review. Any broken rule (every one of
    the report's, every refused file) rolls everything back, the stored files included, and is raised as one
    ``ValidationError``; ``StaleVersion`` and ``PermissionDenied`` pass through unchanged."""
    stored: list[ReportAttachment] = []
    try:
        with transaction.atomic():
            report = progress_report_save(
                project=project, period=period, data=data, by=by, expected_version=expected_version
            )
            refused: list[str] = []
            for upload in uploads:
                try:
                    stored.append(report_attachment_add(report=report, upload=upload, by=by))
                except ValidationError as error:
                    refused.extend(
                        _("%(name)s: %(message)s") % {"name": upload.name, "message": message}
                        for message in error.messages
                    )
            if refused:
                raise ValidationError({"file": refused})
            if submit:
                report = progress_report_submit(report=report, by=by, expected_version=report.version)
    except BaseException:
        # The rows are rolled back; the files written to storage are not, so they go too.
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return report
