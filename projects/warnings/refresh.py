"""The daily refresh: every active project classified as on a day, its warning row written in batches, each change
of colour recorded.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation

from common.bulk import bulk_insert
from pairing.models import Pairing, Program

from ..models import (
    Health,
    ProgressReport,
    Project,
    ProjectWarning,
    WarningChange,
    WarningColour,
    WarningRules,
)
from ..selectors import CLASSIFIED_FIELDS, projects_for_warnings, rules_by_program, submitted_months
from .classification import classify

logger = logging.getLogger(__name__)

# Serialises refreshes on PostgreSQL, so two at once cannot both record the same change of colour.
WARNINGS_LOCK_KEY = 7_370_501


# --- Refresh ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RefreshResult:
    checked: int  # active projects classified
    created: int  # first warnings
    updated: int  # rows rewritten (colour, reasons or the day checked)
    unchanged: int  # rows already up to date (a second run on the same day)
    removed: int  # warnings of terminated projects deleted
    colour_changes: int  # WarningChange rows recorded (first classifications included)
    by_colour: dict[str, int] = field(default_factory=dict)


# Projects classified per batch: their submitted months and warning rows are read for the batch alone, so memory
# stays flat whatever the number of projects, and each write statement stays small (a ``bulk_update`` of every row
# at once is one UPDATE with a CASE of that many branches per column, which PostgreSQL plans for minutes).
REFRESH_BATCH = 2000
WRITE_BATCH = 500


def _rewrite_warnings(rows: Sequence[ProjectWarning]) -> None:
    """Store the new colour, reasons, since and day of ``rows``, ``WRITE_BATCH`` at a time. On PostgreSQL one
    ``UPDATE … FROM (VALUES …)`` per batch: ``bulk_update`` builds a CASE per column with a branch per row, and
    building and planning it took most of a refresh's time."""
    fields = ["colour", "reasons", "since", "checked_on"]
    if connection.vendor != "postgresql":
        ProjectWarning.objects.bulk_update(rows, fields, batch_size=WRITE_BATCH)
        return
    table = ProjectWarning._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            values = ", ".join(["(%s::bigint, %s, %s::jsonb, %s::date, %s::date)"] * len(batch))
            params = [
                value
                for row in batch
                for value in (row.pk, row.colour, json.dumps(row.reasons), row.since, row.checked_on)
            ]
            cursor.execute(
                f"UPDATE {table} AS w SET colour = v.colour, reasons = v.reasons, since = v.since, "
                f"checked_on = v.checked_on FROM (VALUES {values}) AS v(id, colour, reasons, since, checked_on) "
                "WHERE w.id = v.id",
                params,
            )


def _in_ids(ids: list[int]) -> list[int] | RawSQL:
    """``ids`` for an ``__in`` lookup. On PostgreSQL, one array parameter (``IN (SELECT unnest(…))``) instead of a
    placeholder per id: psycopg parses a statement's text for its placeholders every time it is sent (it caches only
    short ones), and the batches' thousands of ids per statement made that a tenth of a bulletin's time."""
    if connection.vendor != "postgresql":
        return ids
    return RawSQL("SELECT unnest(%s::bigint[])", [ids])


def _lock(program: Program | None, project_id: int | None) -> None:
    """A run of every program holds the refresh's lock alone; a run of one program (or one project) shares it and
    holds its program's lock alone. So runs of two programs go together, and a run never overlaps another over the
    same projects."""
    if connection.vendor != "postgresql":
        return
    program_id = program.pk if program is not None else None
    if program_id is None and project_id is not None:
        program_id = Project.objects.filter(pk=project_id).values_list("pairing__program_id", flat=True).first()
    with connection.cursor() as cursor:
        if program_id is None and project_id is None:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WARNINGS_LOCK_KEY])
            return
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [WARNINGS_LOCK_KEY])
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [WARNINGS_LOCK_KEY, program_id or 0])


@transaction.atomic
def warnings_refresh(
    *, today: dt.date | None = None, program: Program | None = None, project_id: int | None = None
) -> RefreshResult:
    """Classify every active project (of ``program``, or of every program) as on ``today`` and store the result.

    A row is written only when its colour, reasons or day checked differ; a change of colour (the first
    classification included, from "") is recorded in ``WarningChange``. Run twice on the same day, the second run
    writes nothing. A row already checked on a later day than ``today`` is left alone, so a delayed run cannot
    overwrite a newer result. Runs in one transaction under advisory locks on PostgreSQL (``_lock``), so two runs
    over the same projects take turns, while runs of different programs (the nightly job's one task per program) go
    side by side. Projects are read in batches of ``REFRESH_BATCH`` in key order: a constant number of queries per
    batch, and rows whose colour and reasons are unchanged get their new day in one ``UPDATE`` per batch.
    ``project_id`` narrows the run to that one project (``project_warning_refresh``).
    """
    today = today or timezone.localdate()
    _lock(program, project_id)

    # Each project's pairing, with its program's dates, is looked up rather than joined: a pairing and a program
    # instance per project were a third of a national refresh's model instances, for ~1,400 pairings.
    projects = projects_for_warnings(program, project_id).select_related(None).only("pairing", *CLASSIFIED_FIELDS)
    pairings: dict[int, Pairing] = {}
    rules: dict[int, WarningRules] = {}
    checked = created = updated = unchanged = colour_changes = 0
    by_colour: dict[str, int] = defaultdict(int)
    last_pk = 0
    while True:
        batch = list(projects.filter(pk__gt=last_pk)[:REFRESH_BATCH])
        if not batch:
            break
        unknown = {project.pairing_id for project in batch} - pairings.keys()
        if unknown:
            pairings.update(
                Pairing.objects.select_related("program")
                .only("program__start_date", "program__end_date")
                .in_bulk(unknown)
            )
        for project in batch:
            project.pairing = pairings[project.pairing_id]
        last_pk = batch[-1].pk
        ids = [project.pk for project in batch]
        missing = {project.pairing.program_id for project in batch} - rules.keys()
        if missing:
            rules.update(rules_by_program(missing))
        submitted = submitted_months(ProgressReport.objects.filter(project_id__in=_in_ids(ids)))
        existing = {
            row.project_id: row for row in ProjectWarning.objects.filter(project_id__in=_in_ids(ids)).order_by()
        }

        to_create: list[ProjectWarning] = []
        to_update: list[ProjectWarning] = []
        checked_again: list[int] = []  # same colour and reasons, a new day
        changes: list[WarningChange] = []
        # Stored in the site's language whoever runs the refresh (see the module docstring).
        with translation.override(settings.LANGUAGE_CODE):
            for project in batch:
                colour, reasons = classify(
                    project,
                    rules=rules[project.pairing.program_id],
                    today=today,
                    submitted=submitted.get(project.pk, frozenset()),
                )
                row = existing.get(project.pk)
                if row is not None and row.checked_on > today:
                    by_colour[row.colour] += 1
                    unchanged += 1
                    continue
                by_colour[colour] += 1
                previous = row.colour if row is not None else ""
                if previous != colour:
                    changes.append(
                        WarningChange(
                            project=project, from_colour=previous, to_colour=colour, reasons=reasons, changed_on=today
                        )
                    )
                if row is None:
                    to_create.append(
                        ProjectWarning(project=project, colour=colour, reasons=reasons, since=today, checked_on=today)
                    )
                elif (row.colour, row.reasons) == (colour, reasons):
                    if row.checked_on == today:
                        unchanged += 1
                    else:
                        checked_again.append(row.pk)
                else:
                    if previous != colour:
                        row.since = today
                    row.colour, row.reasons, row.checked_on = colour, reasons, today
                    to_update.append(row)

        if to_create:
            bulk_insert(ProjectWarning, to_create)
        if to_update:
            _rewrite_warnings(to_update)
        if checked_again:
            ProjectWarning.objects.filter(pk__in=_in_ids(checked_again)).update(checked_on=today)
        if changes:
            bulk_insert(WarningChange, changes)
        checked += len(batch)
        created += len(to_create)
        updated += len(to_update) + len(checked_again)
        colour_changes += len(changes)

    terminated = ProjectWarning.objects.filter(project__health=Health.TERMINATED)
    if program is not None:
        terminated = terminated.filter(project__pairing__program=program)
    if project_id is not None:
        terminated = terminated.filter(project_id=project_id)
    removed, _per_model = terminated.delete()

    return RefreshResult(
        checked=checked,
        created=created,
        updated=updated,
        unchanged=unchanged,
        removed=removed,
        colour_changes=colour_changes,
        by_colour={colour: by_colour.get(colour, 0) for colour in WarningColour.values},
    )


def project_warning_refresh(*, project_id: int, today: dt.date | None = None) -> RefreshResult:
    """Classify one project now, after an officer changed what its colour depends on (its health); a second call
    on the same day writes nothing."""
    return warnings_refresh(today=today, project_id=project_id)
