"""The one table of the common app: export jobs, the workbooks too large to write within a request."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ExportJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Writing")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


PENDING_STATUSES = (ExportJobStatus.QUEUED, ExportJobStatus.RUNNING)


def _export_path(job: ExportJob, filename: str) -> str:
    # A name nobody can guess; the file is served only by the job's download view, to its owner.
    return f"exports/{job.owner_id}/{uuid.uuid4().hex}-{filename}"


class ExportJob(models.Model):
    """An export of a list asked for by ``owner``: which list (``path``, the query string with its filters and
    ordering, the format), written by a worker as that user (``common.export_jobs``), with its progress and file."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="export_jobs"
    )
    path = models.CharField(_("list"), max_length=255, help_text=_("The address of the exported list."))
    query = models.CharField(
        _("query string"), max_length=2000, blank=True, help_text=_("Its filters, search and ordering.")
    )
    file_format = models.CharField(_("format"), max_length=4)
    stem = models.CharField(_("file name"), max_length=100, help_text=_("The file is named <name>-<date>.<format>."))
    # What the request was answered in and from where: column labels are in the reader's language, and a row may
    # hold an absolute link.
    language = models.CharField(_("language"), max_length=16)
    origin = models.CharField(_("origin"), max_length=255, help_text=_("The scheme and host the list was asked on."))
    status = models.CharField(
        _("status"), max_length=8, choices=ExportJobStatus.choices, default=ExportJobStatus.QUEUED
    )
    message = models.CharField(_("message"), max_length=500, blank=True)
    rows_total = models.PositiveIntegerField(_("rows in the list"), null=True, blank=True)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to=_export_path, max_length=255, blank=True)
    created_at = models.DateTimeField(_("asked for at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(file_format__in=["csv", "xlsx"]), name="export_job_format_known"),
            models.CheckConstraint(
                condition=~Q(status="done") | (Q(finished_at__isnull=False) & ~Q(file="")),
                name="export_job_done_has_its_file",
            ),
            # Asking again for the same list while its job is queued or running gives that job.
            models.UniqueConstraint(
                fields=["owner", "path", "query", "file_format"],
                condition=Q(status__in=["queued", "running"]),
                name="export_job_one_pending_per_list",
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="export_job_created_at")]

    def __str__(self) -> str:
        return f"{self.stem}.{self.file_format} ({self.get_status_display()})"

    @property
    def progress(self) -> int:
        """Per cent of the rows written (100 once done)."""
        if self.status == ExportJobStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_written * 100 // self.rows_total)
