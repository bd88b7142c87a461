"""Writes for programs, county roles and pairings. Admin, API, commands and tasks all call these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.services import constraint_as_validation_error

from .models import (
    CountyRole,
    Pairing,
    PairingStatus,
    Program,
    ProgramCounty,
    Region,
    RegionLevel,
    Source,
)


def _check_county_in_program(*, program: Program, county: Region, field: str) -> None:
    if county.level != RegionLevel.COUNTY:
        raise ValidationError({field: _("%(name)s is not a county-level unit.") % {"name": county.name}})
    if program.province_id and county.province_adcode != program.province_id:
        raise ValidationError({field: _("%(name)s is outside the program's province.") % {"name": county.name}})


def program_county_designate(
    *,
    program: Program,
    county: Region,
    role: str,
    source: Source | None = None,
    is_sample: bool = False,
) -> ProgramCounty:
    """Give a county its role in a program. Idempotent; a county never holds both roles in one program."""
    _check_county_in_program(program=program, county=county, field="county")
    existing = ProgramCounty.objects.filter(program=program, county=county).first()
    if existing is not None:
        if existing.role != role:
            raise ValidationError(
                {
                    "county": _("%(name)s is already a %(role)s in this program.")
                    % {"name": county.name, "role": existing.get_role_display()}
                }
            )
        if source is not None and existing.source_id is None:
            existing.source = source
            existing.is_sample = is_sample
            existing.save(update_fields=["source", "is_sample"])
        return existing
    if not is_sample and source is None:
        raise ValidationError({"source": _("An official designation needs its source document.")})
    with constraint_as_validation_error(_("This county already has a role in this program."), "county"):
        return ProgramCounty.objects.create(
            program=program, county=county, role=role, source=source, is_sample=is_sample
        )


@transaction.atomic
def pairing_create(
    *,
    program: Program,
    strong_county: Region,
    weak_county: Region,
    start_date: dt.date,
    source: Source | None = None,
    provenance_note: str = "",
    leader: str = "",
    assistance_team: str = "",
    is_sample: bool = False,
) -> Pairing:
    """Pair a strong county with a weak one. Both must be free of any other active pairing in the program."""
    if strong_county.pk == weak_county.pk:
        raise ValidationError({"weak_county": _("A county cannot be paired with itself.")})
    if not is_sample and source is None:
        raise ValidationError({"source": _("An official pairing needs its source document.")})
    _check_county_in_program(program=program, county=strong_county, field="strong_county")
    _check_county_in_program(program=program, county=weak_county, field="weak_county")
    program_county_designate(
        program=program, county=strong_county, role=CountyRole.STRONG, source=source, is_sample=is_sample
    )
    program_county_designate(
        program=program, county=weak_county, role=CountyRole.WEAK, source=source, is_sample=is_sample
    )
    for field, county in (("strong_county", strong_county), ("weak_county", weak_county)):
        if Pairing.objects.active().filter(program=program).involving(county).exists():
            raise ValidationError(
                {field: _("%(name)s already has an active pairing in this program.") % {"name": county.name}}
            )
    with constraint_as_validation_error(_("One of these counties already has an active pairing.")):
        return Pairing.objects.create(
            program=program,
            strong_county=strong_county,
            weak_county=weak_county,
            start_date=start_date,
            source=source,
            provenance_note=provenance_note,
            leader=leader,
            assistance_team=assistance_team,
            is_sample=is_sample,
        )


def program_get_or_create(*, code: str, start_date: dt.date, counties: Sequence[Region]) -> Program:
    """The program ``code``, as it is when it exists. A code not seen before (an imported pairing naming a new
    program) creates one named by its code and starting on ``start_date``, in the province of ``counties`` when they
    all share one; a program across provinces has none."""
    program = Program.objects.filter(code=code).first()
    if program is not None:
        return program
    provinces = {county.province_adcode for county in counties}
    province = Region.objects.get(pk=provinces.pop()) if len(provinces) == 1 else None
    return Program.objects.create(code=code, name=code, province=province, start_date=start_date)


def source_get_or_create(*, title: str) -> Source:
    """The source document titled ``title``; a title not seen before is recorded with its title only."""
    source, _created = Source.objects.get_or_create(title=title)
    return source


def pairing_end(*, pairing: Pairing, end_date: dt.date) -> Pairing:
    """End a pairing on ``end_date``; its counties become free to pair again."""
    if end_date < pairing.start_date:
        raise ValidationError({"end_date": _("The end date is before the start date.")})
    Pairing.objects.filter(pk=pairing.pk).exclude(status=PairingStatus.ENDED).update(
        status=PairingStatus.ENDED, end_date=end_date
    )
    pairing.refresh_from_db()
    return pairing


def pairings_close_expired(*, today: dt.date) -> int:
    """Mark active pairings whose end date has passed as ended. Returns how many changed; a rerun changes none."""
    return Pairing.objects.active().filter(end_date__lt=today).update(status=PairingStatus.ENDED)
