"""Writes for projects and their stage log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from common.audit import as_actor
from common.services import constraint_as_validation_error
from pairing.models import Pairing, Park, Region

from .models import (
    STAGES_NEEDING_PRODUCTION,
    STAGES_NEEDING_SIGNING,
    STAGES_NEEDING_START,
    Project,
    ProjectCategory,
    ProjectStageChange,
    Stage,
)


def stage_gate_errors(
    *,
    stage: str,
    signed_date: dt.date | None,
    actual_start_date: dt.date | None,
    actual_production_date: dt.date | None,
) -> dict[str, str]:
    """Why a project cannot be at ``stage`` with these dates, per date field (empty if it can). The one statement of
    the stage gates: creating a project, moving it and applying an approved report all ask here."""
    errors: dict[str, str] = {}
    if stage in STAGES_NEEDING_SIGNING and signed_date is None:
        errors["signed_date"] = _("A signed project needs its signing date.")
    if stage in STAGES_NEEDING_START and actual_start_date is None:
        errors["actual_start_date"] = _("Enter the actual start date to move the project to construction.")
    if stage in STAGES_NEEDING_PRODUCTION and actual_production_date is None:
        errors["actual_production_date"] = _("Enter the actual production date to move the project to production.")
    if actual_start_date and actual_production_date and actual_production_date < actual_start_date:
        errors["actual_production_date"] = _("Production cannot begin before construction starts.")
    return errors


def _check_stage_gates(**kwargs) -> None:
    errors = stage_gate_errors(**kwargs)
    if errors:
        raise ValidationError(errors)


def stage_move_errors(
    *,
    project: Project,
    to_stage: str,
    note: str = "",
    signed_date: dt.date | None = None,
    actual_start_date: dt.date | None = None,
    actual_production_date: dt.date | None = None,
) -> dict[str, str]:
    """Why ``project`` cannot move to ``to_stage`` (with these dates filling or replacing its own), per field; empty
    if it can. Moving back needs a reason in ``note``."""
    errors: dict[str, str] = {}
    if to_stage != project.stage and Stage.order(to_stage) < Stage.order(project.stage) and not note.strip():
        errors["note"] = _("Moving a project back to an earlier stage needs a reason.")
    errors.update(
        stage_gate_errors(
            stage=to_stage,
            signed_date=signed_date or project.signed_date,
            actual_start_date=actual_start_date or project.actual_start_date,
            actual_production_date=actual_production_date or project.actual_production_date,
        )
    )
    return errors


def _check_placement(*, pairing: Pairing, county: Region, park: Park | None) -> None:
    if county.pk not in (pairing.strong_county_id, pairing.weak_county_id):
        raise ValidationError({"county": _("The project must be located in one of the pairing's two counties.")})
    if park is not None and park.pairing_id != pairing.pk:
        raise ValidationError({"park": _("The park belongs to another pairing.")})


@transaction.atomic
def project_create(
    *,
    pairing: Pairing,
    code: str,
    name: str,
    county: Region | None = None,
    park: Park | None = None,
    enterprise: str = "",
    industry: str = "",
    category: str = ProjectCategory.TRANSFER,
    planned_investment: Decimal = Decimal("0"),
    signed_date: dt.date | None = None,
    planned_start_date: dt.date | None = None,
    planned_production_date: dt.date | None = None,
    actual_start_date: dt.date | None = None,
    actual_production_date: dt.date | None = None,
    stage: str = Stage.PIPELINE,
    description: str = "",
    is_sample: bool = False,
    by: AbstractBaseUser | None = None,
) -> Project:
    """Create a project (located in the weak county unless said otherwise) and open its stage log."""
    county = county or pairing.weak_county
    _check_placement(pairing=pairing, county=county, park=park)
    if planned_investment < 0:
        raise ValidationError({"planned_investment": _("Amounts cannot be negative.")})
    _check_stage_gates(
        stage=stage,
        signed_date=signed_date,
        actual_start_date=actual_start_date,
        actual_production_date=actual_production_date,
    )
    with constraint_as_validation_error(_("A project with this code already exists."), "code"):
        project = Project(
            pairing=pairing,
            code=code,
            name=name,
            county=county,
            park=park,
            enterprise=enterprise,
            industry=industry,
            category=category,
            planned_investment=planned_investment,
            signed_date=signed_date,
            planned_start_date=planned_start_date,
            planned_production_date=planned_production_date,
            actual_start_date=actual_start_date,
            actual_production_date=actual_production_date,
            stage=stage,
            description=description,
            is_sample=is_sample,
        )
        as_actor(project, by)
        project.save(force_insert=True)
    ProjectStageChange.objects.create(project=project, from_stage="", to_stage=stage, changed_by=by)
    return project


@transaction.atomic
def project_change_stage(
    *,
    project: Project,
    to_stage: str,
    by: AbstractBaseUser | None = None,
    signed_date: dt.date | None = None,
    actual_start_date: dt.date | None = None,
    actual_production_date: dt.date | None = None,
    note: str = "",
    completed_investment: Decimal | None = None,
) -> Project:
    """Move a project to another stage and log it: the one writer of a project's stage, its stage-gated dates and
    (from an approved progress report) its completed investment.

    Stages move forward; moving back needs a reason in ``note``. Dates given fill the stage-gated fields. Running
    the same change twice logs it once and writes nothing the second time; at the same stage, only the dates and
    the completed investment given are written (and nothing is logged).
    """
    locked = Project.objects.select_for_update().get(pk=project.pk)
    new_signed = signed_date or locked.signed_date
    new_start = actual_start_date or locked.actual_start_date
    new_production = actual_production_date or locked.actual_production_date
    changes: dict[str, object] = {
        "signed_date": new_signed,
        "actual_start_date": new_start,
        "actual_production_date": new_production,
    }
    if completed_investment is not None:
        changes["completed_investment"] = completed_investment
    moving = locked.stage != to_stage
    if not moving and all(getattr(locked, field) == value for field, value in changes.items()):
        return locked
    errors = stage_move_errors(
        project=locked,
        to_stage=to_stage,
        note=note,
        signed_date=new_signed,
        actual_start_date=new_start,
        actual_production_date=new_production,
    )
    if errors:
        raise ValidationError(errors)
    from_stage = locked.stage
    locked.stage = to_stage
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.version += 1
    as_actor(locked, by)
    locked.save(update_fields=["stage", *changes, "version", "updated_at"])
    if moving:
        ProjectStageChange.objects.create(
            project=locked, from_stage=from_stage, to_stage=to_stage, changed_by=by, note=note
        )
    return locked


def project_version_claim(*, project: Project, seen_version: int) -> Project:
    """Optimistic lock for an edit form: move the project to the next version if it is still at ``seen_version``
    (the version the form was opened on), with one conditional ``UPDATE``; otherwise someone else saved it in between
    and the edit must not overwrite their change. ``project.version`` is set to the new version."""
    claimed = Project.objects.filter(pk=project.pk, version=seen_version).update(version=F("version") + 1)
    if not claimed:
        raise ValidationError(
            _("Someone else changed this project since you opened it. Reload the page and try again.")
        )
    project.version = seen_version + 1
    return project
