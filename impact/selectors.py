"""Reads of the impact estimates, scoped to the user: a liaison meets the pooled figures and the weak counties of
their own pairings only."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.access import access_for, pairing_q
from pairing.models import Pairing, Program

from .models import ImpactCounty, ImpactResult


def impact_result(*, program: Program, indicator: str) -> ImpactResult | None:
    return ImpactResult.objects.filter(program=program, indicator=indicator).first()


def impact_counties(*, result: ImpactResult, user) -> QuerySet[ImpactCounty]:
    counties = result.counties.select_related("region").order_by("region_id")
    access = access_for(user)
    if access.sees_everything:
        return counties
    if access.is_liaison:
        mine = set(
            Pairing.objects.filter(pairing_q(access.county), program_id=result.program_id).values_list(
                "weak_county_id", flat=True
            )
        )
        mine.add(access.county)
        return counties.filter(region_id__in=mine)
    return counties.none()
