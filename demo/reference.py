"""Loading the documented program, its sources and pairings from ``fixtures/reference``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from pairing.models import CountyRole, Pairing, Program, Region, Source
from pairing.registry import regions_load
from pairing.services import pairing_create, program_county_designate
from reporting.services import targets_load

REFERENCE_DIR = Path(settings.BASE_DIR) / "fixtures" / "reference"


@transaction.atomic
def reference_program_load(path: Path) -> Program:
    """Create or update the program described in ``path`` with its documented pairings. Idempotent."""
    data = json.loads(path.read_text(encoding="utf-8"))
    sources = {
        key: Source.objects.update_or_create(
            title=item["title"],
            defaults={
                "issuer": item.get("issuer", ""),
                "reference": item.get("reference", ""),
                "url": item.get("url", ""),
                "excerpt": item.get("excerpt", ""),
                "published_on": item.get("published_on"),
            },
        )[0]
        for key, item in data["sources"].items()
    }
    spec = data["program"]
    program, _ = Program.objects.update_or_create(
        code=spec["code"],
        defaults={
            "name": spec["name"],
            "province": Region.objects.get(pk=spec["province"]),
            "start_date": dt.date.fromisoformat(spec["start_date"]),
            "description": spec.get("description", ""),
            "source": sources.get(spec.get("source")),
        },
    )
    for item in data["pairings"]:
        strong = Region.objects.get(pk=item["strong"])
        weak = Region.objects.get(pk=item["weak"])
        source = sources[item["source"]]
        pairing = Pairing.objects.active().filter(program=program, strong_county=strong, weak_county=weak).first()
        if pairing is None:
            pairing_create(
                program=program,
                strong_county=strong,
                weak_county=weak,
                start_date=dt.date.fromisoformat(item.get("start_date", spec["start_date"])),
                source=source,
                provenance_note=item.get("provenance_note", ""),
            )
        elif pairing.provenance_note != item.get("provenance_note", "") or pairing.source_id != source.pk:
            pairing.provenance_note = item.get("provenance_note", "")
            pairing.source = source
            pairing.is_sample = False
            pairing.save(update_fields=["provenance_note", "source", "is_sample", "updated_at"])
    for item in data.get("designated_weak_counties", []):
        program_county_designate(
            program=program,
            county=Region.objects.get(pk=item["county"]),
            role=CountyRole.WEAK,
            source=sources[item["source"]],
        )
    if data.get("targets"):
        targets_load(program=program, items=data["targets"], sources=sources)
    return program


def reference_load() -> list[Program]:
    """The registry, then every program file in ``fixtures/reference``."""
    regions_load()
    return [reference_program_load(path) for path in sorted(REFERENCE_DIR.glob("*.json"))]
