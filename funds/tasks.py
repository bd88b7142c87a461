from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from .reward_runs import reward_runs_year_end


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def reward_runs_year_end_task(year: int | None = None) -> list[int]:
    """Draft the surplus reward runs of last year's guidance funds (or ``year``'s). Approved runs are left alone and
    a draft is only recomputed, so running it twice adds nothing."""
    return reward_runs_year_end(year=year or timezone.localdate().year - 1)
