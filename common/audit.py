"""Audit history (django-simple-history): who made a change, also when it is a scheduled task or a bulk action.

The request middleware records the signed-in user for admin, API and liaison-page writes. Services that know their
actor say so explicitly with ``as_actor`` (the request may not be the author, e.g. a task or a command); writes without
a person carry a reason naming the job.
"""

from __future__ import annotations

from django.db import models


def as_actor(instance: models.Model, by=None, reason: str = "") -> models.Model:
    """Mark the next save of ``instance`` in its history as made by ``by`` (a user, or None for the system), with
    an optional reason (e.g. ``"scheduled task: reward_runs_year_end"``)."""
    if by is not None and getattr(by, "is_authenticated", False):
        instance._history_user = by
    if reason:
        instance._change_reason = reason[:100]
    return instance
