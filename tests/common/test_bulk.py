"""``common.bulk.bulk_insert`` writes the rows ``bulk_create`` would: every field, JSON and ``auto_now_add``
included (COPY on PostgreSQL, ``bulk_create`` elsewhere)."""

import datetime as dt

import pytest
from django.utils import timezone

from common.bulk import bulk_insert
from projects.factories import ProjectFactory
from projects.models import ProjectWarning, WarningChange

pytestmark = pytest.mark.django_db

REASONS = [{"code": "reports_overdue", "text": '逾期未报月报2份：2025-08, 2025-09。\t"引号" \\ 反斜杠\n换行'}]


def test_rows_arrive_whole():
    projects = ProjectFactory.create_batch(3)
    before = timezone.now()
    written = bulk_insert(
        WarningChange,
        (
            WarningChange(project=p, from_colour="", to_colour="red", reasons=REASONS, changed_on=dt.date(2025, 10, 6))
            for p in projects
        ),
    )
    assert written == 3
    rows = list(WarningChange.objects.filter(project__in=projects).order_by("project_id"))
    assert [row.project_id for row in rows] == sorted(p.pk for p in projects)
    for row in rows:
        assert (row.from_colour, row.to_colour, row.reasons) == ("", "red", REASONS)
        assert row.changed_on == dt.date(2025, 10, 6)
        assert row.recorded_at is not None and row.recorded_at >= before


def test_nothing_to_write():
    assert bulk_insert(ProjectWarning, []) == 0


def test_a_constraint_still_refuses():
    from django.db import IntegrityError, transaction

    project = ProjectFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(
            WarningChange,
            [WarningChange(project=project, from_colour="red", to_colour="red", changed_on=dt.date(2025, 10, 6))],
        )
