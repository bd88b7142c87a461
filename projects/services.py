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


def _check_stage_gates(
    *,
    stage: str,
    signed_date: dt.date | None,
    actual_start_date: dt.date | None,
    actual_production_date: dt.date | None,
) -> None:
    errors: dict[str, str] = {}
    if stage in STAGES_NEEDING_SIGNING and signed_date is None:
        errors["signed_date"] = _("A signed project needs its signing date.")
    if stage in STAGES_NEEDING_START and actual_start_date is None:
        errors["actual_start_date"] = _("Enter the actual start date to move the project to construction.")
    if stage in STAGES_NEEDING_PRODUCTION and actual_production_date is None:
        errors["actual_production_date"] = _("Enter the actual production date to move the project to production.")
    if actual_start_date and actual_production_date and actual_production_date < actual_start_date:
        errors["actual_production_date"] = _("Production cannot begin before construction starts.")
    if errors:
        raise ValidationError(errors)


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
) -> Project:
    """Move a project to another stage and log it.

    Stages move forward; moving back needs a reason in ``note``. Dates given fill the stage-gated fields. Running
    the same change twice logs it once.
    """
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if locked.stage == to_stage:
        return locked
    if Stage.order(to_stage) < Stage.order(locked.stage) and not note.strip():
        raise ValidationError({"note": _("Moving a project back to an earlier stage needs a reason.")})
    new_signed = signed_date or locked.signed_date
    new_start = actual_start_date or locked.actual_start_date
    new_production = actual_production_date or locked.actual_production_date
    _check_stage_gates(
        stage=to_stage,
        signed_date=new_signed,
        actual_start_date=new_start,
        actual_production_date=new_production,
    )
    from_stage = locked.stage
    locked.stage = to_stage
    locked.signed_date = new_signed
    locked.actual_start_date = new_start
    locked.actual_production_date = new_production
    locked.version += 1
    as_actor(locked, by)
    locked.save(
        update_fields=["stage", "signed_date", "actual_start_date", "actual_production_date", "version", "updated_at"]
    )
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
