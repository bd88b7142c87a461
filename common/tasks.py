"""Background work of the common app: export jobs (``common.export_jobs``). Each task is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .export_jobs import (
    MESSAGE_FAILED,
    TRANSIENT_ERRORS,
    export_job_fail,
    export_job_run,
    export_jobs_purge,
    stored_message,
)

MAX_RETRIES = 3


@shared_task(bind=True, max_retries=MAX_RETRIES)
def export_job_run_task(self, job_id: int) -> bool:
    """Write the queued export job ``job_id``. A second run (or a run for a job already taken, done or failed)
    writes nothing. A transient database error puts the job back in the queue and is retried with a backoff; when
    the retries are spent, the job is marked failed."""
    try:
        return export_job_run(job_id=job_id)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= MAX_RETRIES:
            export_job_fail(job_id=job_id, message=stored_message(MESSAGE_FAILED, {"error": type(exc).__name__}))
            raise
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc


@shared_task
def export_jobs_purge_task() -> int:
    """Delete the export jobs, and their files, older than ``EXPORT_JOB_KEEP_DAYS``; the number deleted."""
    return export_jobs_purge()
