from celery import shared_task
from django.db import OperationalError

from .selectors import provinces_with_figures
from .services import gaps_recompute
from .signals import gaps_changed


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def recompute_growth_gaps_task(
    periods: list[str] | None = None, provinces: list[str] | None = None, fan_out: bool = False
) -> dict:
    """Recompute gaps and ranks (all periods, or the given ones). Safe to run twice: the second run writes nothing.

    With ``fan_out`` (the nightly schedule) and no provinces, it only queues one recompute per province with figures
    (``stats.selectors.provinces_with_figures``): every worker takes provinces of its own, side by side."""
    if fan_out and not provinces:
        queued = provinces_with_figures()
        for province in queued:
            recompute_growth_gaps_task.delay(periods=periods or None, provinces=[province])
        return {"provinces": queued}
    result = gaps_recompute(periods=periods or None, provinces=provinces or None)
    if result.written or result.deleted:
        gaps_changed.send(sender=recompute_growth_gaps_task, provinces=provinces or None)
    return {"rows": result.rows, "written": result.written, "deleted": result.deleted}


@shared_task
def run_import_job(job_id: int) -> bool:
    """Run the queued import job ``job_id``. Safe to run twice: the job is claimed with a conditional UPDATE, so a
    second run (or a run of a job already done or failed) changes nothing."""
    from .import_jobs import import_job_run

    return import_job_run(job_id=job_id)
