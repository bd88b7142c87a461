"""Imports run in the background: a file too large to import within a web request becomes an ``ImportJob``.

- ``import_job_request`` stores the file and a queued row and enqueues ``stats.tasks.run_import_job`` once the
  transaction commits (never before, or a worker could look for a row that is not there yet).
- ``import_job_run`` claims the row with a conditional ``UPDATE … WHERE status = 'queued'`` (a second run of the task,
  or a run of a job already taken, changes nothing), imports the file through the same services as the admin's
  direct upload and the command (``stats.services.indicators_import`` / ``pairings_import``, bounded by
  ``stats.reading.Limits``), and records the outcome: the counts, or every line to correct. Progress is written with
  single-row UPDATEs in autocommit while the file is read, so the admin page polling the row sees it move.
- The stored file is removed when the job ends, done or failed: the import keeps its digest (``ImportBatch``).

``manage.py import_indicators --job ID`` runs a queued job in the command's own process (no worker needed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from common.jobs import STALE_AFTER

from .importers import FileRejected
from .models import ImportBatch, ImportJob, ImportJobStatus
from .reading import Limits, check_file
from .services import ImportReport, indicators_import, pairings_import

logger = logging.getLogger(__name__)

# Reading and checking the file is the long part: 0–90 %; writing the rows 90–100 %.
READ_SHARE = 90
# Problems kept on a failed job: enough to correct a file, never a second copy of a hostile one.
MAX_PROBLEMS_KEPT = 1000

IMPORTERS: dict[str, Callable[..., ImportReport]] = {
    ImportBatch.Kind.INDICATORS: indicators_import,
    ImportBatch.Kind.PAIRINGS: pairings_import,
}


def import_job_request(
    *, kind: str, upload: UploadedFile | File, by=None, period: str | None = None, skip_unknown: bool = False
) -> ImportJob:
    """Store ``upload`` as a queued import job of ``kind``; the task is enqueued when the caller's transaction
    commits. The file's type and size are checked first, as the reading does (``FileRejected`` on line 1).
    ``period`` and ``skip_unknown`` are the options of a statistics import (``stats.wide``)."""
    suffix = check_file(upload.name or "", upload.size, Limits.from_settings())
    if kind not in IMPORTERS:
        raise ValueError(f"unknown import kind {kind!r}")
    import_jobs_give_up_stale()
    job = ImportJob(
        kind=kind,
        filename=(upload.name or "")[:255],
        size=upload.size,
        requested_by=by,
        period=(period or "")[:7],
        skip_unknown=skip_unknown,
    )
    with transaction.atomic():
        # Stored under a name of our own; the name given is kept on the row only.
        job.file.save(f"{timezone.now():%Y%m%d%H%M%S}{suffix}", upload, save=False)
        job.save()
    job_id = job.pk
    transaction.on_commit(lambda: _enqueue(job_id))
    return job


def import_jobs_give_up_stale() -> int:
    """Mark failed the jobs queued or running for longer than ``STALE_AFTER``; their files are removed."""
    cutoff = timezone.now() - STALE_AFTER
    stale = ImportJob.objects.filter(
        Q(status=ImportJobStatus.RUNNING, started_at__lt=cutoff)
        | Q(status=ImportJobStatus.QUEUED, requested_at__lt=cutoff)
    )
    error = _("Given up: not finished within %(minutes)d minutes of being queued or started.") % {
        "minutes": STALE_AFTER.total_seconds() // 60
    }
    given_up = 0
    for job_id in stale.values_list("pk", flat=True):
        given_up += import_job_fail(job_id=job_id, error=error)
    return given_up


def _enqueue(job_id: int) -> None:
    from kombu.exceptions import OperationalError as BrokerUnavailable

    from .tasks import run_import_job

    try:
        run_import_job.delay(job_id)
    except BrokerUnavailable as exc:
        logger.exception("import job %s could not be queued", job_id)
        import_job_fail(job_id=job_id, error=_("Could not be queued: %(error)s") % {"error": exc})


def _running(job_id: int):
    return ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.RUNNING)


def _discard_file(job: ImportJob) -> None:
    if job.file:
        try:
            job.file.storage.delete(job.file.name)
        except OSError:  # pragma: no cover - nothing more to do about a file that cannot be removed
            logger.warning("could not remove %s", job.file.name)
    ImportJob.objects.filter(pk=job.pk).update(file="")


def import_job_fail(*, job_id: int, error: str) -> bool:
    """Mark a queued or running job failed with ``error`` (what the task does when its retries are spent)."""
    failed = ImportJob.objects.filter(pk=job_id, status__in=[ImportJobStatus.QUEUED, ImportJobStatus.RUNNING]).update(
        status=ImportJobStatus.FAILED, error=error[:4000], finished_at=timezone.now()
    )
    job = ImportJob.objects.filter(pk=job_id).first()
    if failed and job is not None:
        _discard_file(job)
    return bool(failed)


def import_job_run(*, job_id: int, on_progress: Callable[[int], None] | None = None) -> bool:
    """Run the queued job ``job_id``. Returns False when there was nothing to do (not queued: taken by another run,
    done or failed) or when the file was refused or the import failed; the outcome is then on the row.
    ``on_progress`` (the command's) is called with each percentage written."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.QUEUED).update(
        status=ImportJobStatus.RUNNING, started_at=timezone.now(), progress=0, error=""
    )
    if not claimed:
        return False
    job = ImportJob.objects.select_related("requested_by").get(pk=job_id)
    last = [0]

    def progress(share: float) -> None:
        percent = min(int(share * READ_SHARE), READ_SHARE)
        if percent > last[0]:
            last[0] = percent
            _running(job_id).update(progress=percent)
            if on_progress:
                on_progress(percent)

    try:
        with job.file.open("rb") as stream:
            options = {"period": job.period or None, "skip_unknown": job.skip_unknown}
            if job.kind != ImportBatch.Kind.INDICATORS:
                options = {}
            report = IMPORTERS[job.kind](
                stream=stream, filename=job.filename, by=job.requested_by, progress=progress, **options
            )
    except FileRejected as exc:
        _running(job_id).update(
            status=ImportJobStatus.FAILED,
            problems=[{"line": p.line, "message": p.message} for p in exc.problems[:MAX_PROBLEMS_KEPT]],
            error=_("Nothing was imported: the file has %(n)d bad row(s).") % {"n": len(exc.problems)},
            finished_at=timezone.now(),
        )
        _discard_file(job)
        return False
    except Exception as exc:
        logger.exception("import job %s failed", job_id)
        _running(job_id).update(
            status=ImportJobStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:4000], finished_at=timezone.now()
        )
        _discard_file(job)
        return False
    _running(job_id).update(
        status=ImportJobStatus.DONE,
        progress=100,
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        # The rows left out on request are listed with the warnings, so the job's page shows them.
        warnings=[*report.warnings, *(_("skipped: %(row)s") % {"row": row} for row in report.skipped)],
        batch_id=report.batch_id,
        finished_at=timezone.now(),
    )
    if on_progress:
        on_progress(100)
    _discard_file(job)
    return True
