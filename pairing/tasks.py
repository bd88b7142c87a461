from celery import shared_task
from django.utils import timezone

from .services import pairings_close_expired


@shared_task
def close_expired_pairings_task() -> int:
    return pairings_close_expired(today=timezone.localdate())
