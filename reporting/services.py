"""Writes of the reporting app: targets (from the reference files, the demo, or the admin)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from pairing.models import Program, Region, Source

from .models import Direction, Target


@transaction.atomic
def target_set(
    *,
    program: Program,
    county: Region,
    year: int,
    metric: str,
    target: Decimal,
    direction: str = Direction.AT_LEAST,
    indicator: str = "",
    threshold: Decimal | None = None,
    baseline: Decimal | None = None,
    title: str = "",
    source: Source | None = None,
    is_sample: bool = False,
) -> Target:
    """Create or update the county's target for the metric and year, validated as the admin validates it."""
    row = Target.objects.filter(program=program, county=county, year=year, metric=metric, indicator=indicator).first()
    row = row or Target(program=program, county=county, year=year, metric=metric, indicator=indicator)
    wanted = {
        "target": target,
        "direction": direction,
        "threshold": threshold,
        "baseline": baseline,
        "title": title,
        "source_id": source.pk if source else None,
        "is_sample": is_sample,
    }
    if row.pk is not None and all(getattr(row, name) == value for name, value in wanted.items()):
        return row  # nothing to change: loading the same reference file twice writes nothing
    for name, value in wanted.items():
        setattr(row, name, value)
    row.full_clean(validate_unique=False)
    row.save()
    return row


def targets_load(*, program: Program, items: list[dict[str, Any]], sources: dict[str, Source]) -> list[Target]:
    """The documented targets of a reference file (idempotent)."""
    return [
        target_set(
            program=program,
            county=Region.objects.get(pk=item["county"]),
            year=int(item["year"]),
            metric=item["metric"],
            indicator=item.get("indicator", ""),
            threshold=Decimal(item["threshold"]) if item.get("threshold") else None,
            direction=item.get("direction", Direction.AT_LEAST),
            baseline=Decimal(item["baseline"]) if item.get("baseline") else None,
            target=Decimal(item["target"]),
            title=item.get("title", ""),
            source=sources.get(item.get("source", "")),
        )
        for item in items
    ]
