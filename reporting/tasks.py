"""Background work of the reporting app: generating an annual evaluation report (HTML and PDF)."""

from __future__ import annotations

from celery import shared_task

from .evaluation import TRANSIENT_ERRORS, evaluation_report_fail, evaluation_report_generate

MAX_RETRIES = 3


@shared_task(bind=True, max_retries=MAX_RETRIES)
def generate_evaluation_report(self, report_id: int) -> bool:
    """Generate the queued report ``report_id``. A second run (or a run for a report already taken, done or
    failed) changes nothing. A transient database error puts the report back in the queue and is retried with a
    backoff; when the retries are spent, the report is marked failed."""
    try:
        return evaluation_report_generate(report_id=report_id)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= MAX_RETRIES:
            evaluation_report_fail(report_id=report_id, error=f"{type(exc).__name__}: {exc}")
            raise
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
