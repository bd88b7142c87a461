"""Writes for impact estimates: recompute a program's estimates from the stored growth results.

The figures come from ``stats.models.GapResult`` — the latest release of every figure, with a reported growth rate
winning over one derived from levels (``stats.rules``) — for the years (annual periods) only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.utils import translation

from pairing.models import CountyRole, Pairing, Program, ProgramCounty
from stats.models import GapResult, Indicator
from stats.selectors import program_counties

from . import engine
from .models import ImpactCounty, ImpactResult, ImpactSetting


@dataclass(frozen=True)
class ImpactRecomputeResult:
    program: str
    indicators: int
    written: int  # results (program × indicator) created or changed
    deleted: int


def first_treated_year(program: Program) -> int:
    """The program's own setting, else the first full calendar year after its start date (2025 for a start in
    September 2024; a start on 1 January counts that year)."""
    setting = ImpactSetting.objects.filter(program=program).values_list("first_treated_year", flat=True).first()
    if setting:
        return setting
    start = program.start_date
    return start.year if start == dt.date(start.year, 1, 1) else start.year + 1


def impact_setting_set(*, program: Program, first_treated_year: int | None) -> ImpactSetting | None:
    """Override (or, with ``None``, return to the default of) the program's first treated year."""
    if first_treated_year is None:
        ImpactSetting.objects.filter(program=program).delete()
        return None
    setting, _created = ImpactSetting.objects.update_or_create(
        program=program, defaults={"first_treated_year": first_treated_year}
    )
    return setting


def donor_pool(program: Program) -> list[str]:
    """The county-level units of the program's province that no program there involves, strong or weak."""
    counties = list(program_counties(program).values_list("adcode", flat=True))
    if program.province_id is None:
        return []
    prefix = program.province_id[:2]
    involved = set(ProgramCounty.objects.filter(county__adcode__startswith=prefix).values_list("county_id", flat=True))
    for strong, weak in Pairing.objects.filter(program__province_id=program.province_id).values_list(
        "strong_county_id", "weak_county_id"
    ):
        involved.update((strong, weak))
    return sorted(c for c in counties if c not in involved)


def treated_counties(program: Program) -> list[str]:
    weak = set(ProgramCounty.objects.filter(program=program, role=CountyRole.WEAK).values_list("county_id", flat=True))
    weak.update(Pairing.objects.filter(program=program).values_list("weak_county_id", flat=True))
    return sorted(weak)


def _panel(regions: list[str], indicator: str) -> engine.Panel:
    panel: dict[str, dict[int, engine.Observation]] = {region: {} for region in regions}
    rows = GapResult.objects.filter(region_id__in=regions, indicator=indicator, period__regex=r"^[0-9]{4}$")
    for region, period, level, growth in rows.values_list("region_id", "period", "level", "growth_pct"):
        panel[region][int(period)] = engine.Observation(
            level=float(level) if level is not None else None, growth=float(growth) if growth is not None else None
        )
    return panel


def impact_indicators(program: Program) -> list[str]:
    """The indicators some weak county of the program has yearly results for, in the order of ``Indicator``."""
    present = set(
        GapResult.objects.filter(region_id__in=treated_counties(program), period__regex=r"^[0-9]{4}$")
        .values_list("indicator", flat=True)
        .distinct()
    )
    return [code for code in Indicator.values if code in present]


# Raise when the estimation changes, so that stored results are recomputed even where their inputs are the same.
METHOD_VERSION = 1


def _inputs_digest(*, panel: engine.Panel, treated: list[str], donors: list[str], first: int) -> str:
    digest = hashlib.sha256(json.dumps([METHOD_VERSION, treated, donors, first], separators=(",", ":")).encode())
    for region in sorted(panel):
        for year, observation in sorted(panel[region].items()):
            digest.update(f"{region}|{year}|{observation.level!r}|{observation.growth!r};".encode())
    return digest.hexdigest()


def impact_recompute(*, program: Program, indicators: list[str] | None = None) -> ImpactRecomputeResult:
    """Recompute the program's estimates (every indicator with data, or ``indicators``). Each result is written in
    its own transaction and only when a figure differs from the stored one, so a second run writes nothing; results
    of indicators no longer with data are deleted."""
    treated = treated_counties(program)
    donors = donor_pool(program)
    first = first_treated_year(program)
    wanted = indicators if indicators is not None else impact_indicators(program)
    written = 0
    stored = dict(ImpactResult.objects.filter(program=program).values_list("indicator", "inputs_digest"))
    for indicator in wanted:
        panel = _panel([*treated, *donors], indicator)
        digest = _inputs_digest(panel=panel, treated=treated, donors=donors, first=first)
        if stored.get(indicator) == digest:
            continue  # the same figures as last time: the same estimate, not worth computing again
        # The notes are stored in the site's language, whoever (a request, a worker) asked for the recomputation.
        with translation.override(settings.LANGUAGE_CODE):
            estimate = engine.estimate(panel=panel, treated=treated, donors=donors, first_treated=first)
        written += _store(program, indicator, estimate, donor_count=len(donors), inputs_digest=digest)
    deleted = 0
    if indicators is None:
        deleted, _detail = ImpactResult.objects.filter(program=program).exclude(indicator__in=wanted).delete()
    return ImpactRecomputeResult(program=program.code, indicators=len(wanted), written=written, deleted=deleted)


_COUNTY_FIELDS = ("effects", "pre_rmspe", "placebo_p", "donors", "path", "placebo_ratios", "ratio", "fit", "note")


def _result_fields(estimate: engine.Estimate, donor_count: int) -> dict:
    return {
        "first_treated_period": str(estimate.first_treated_period),
        "pre_periods": [str(year) for year in estimate.pre_periods],
        "post_periods": [str(year) for year in estimate.post_periods],
        "donor_count": donor_count,
        "pooled": asdict(estimate.pooled),
    }


@transaction.atomic
def _store(program: Program, indicator: str, estimate: engine.Estimate, *, donor_count: int, inputs_digest: str) -> int:
    """Write one result and its counties if anything differs; 1 if written, else 0."""
    fields = _result_fields(estimate, donor_count)
    counties = {c.region: {name: getattr(c, name) for name in _COUNTY_FIELDS} for c in estimate.counties}
    result = ImpactResult.objects.select_for_update().filter(program=program, indicator=indicator).first()
    if result is not None:
        stored = {name: getattr(result, name) for name in fields}
        stored_counties = {
            row["region_id"]: {name: row[name] for name in _COUNTY_FIELDS}
            for row in result.counties.values("region_id", *_COUNTY_FIELDS)
        }
        if stored == fields and stored_counties == counties:
            if result.inputs_digest != inputs_digest:
                ImpactResult.objects.filter(pk=result.pk).update(inputs_digest=inputs_digest)
            return 0
        for name, value in fields.items():
            setattr(result, name, value)
        result.inputs_digest = inputs_digest
        result.save()
        result.counties.all().delete()
    else:
        result = ImpactResult.objects.create(
            program=program, indicator=indicator, inputs_digest=inputs_digest, **fields
        )
    ImpactCounty.objects.bulk_create(
        [ImpactCounty(result=result, region_id=region, **values) for region, values in counties.items()]
    )
    return 1


def impact_recompute_all() -> list[ImpactRecomputeResult]:
    """Every program, one after the other (the Celery fan-out runs them side by side instead)."""
    return [impact_recompute(program=program) for program in Program.objects.order_by("code")]
