"""GET /api/v1/statistics/?province=: the published figures of every region within a province."""

from decimal import Decimal

import pytest

from pairing.factories import CountyFactory, ProvinceFactory
from pairing.models import RegionLevel
from stats.models import Indicator, StatValue

URL = "/api/v1/statistics/"


@pytest.fixture
def figures(db) -> dict[str, StatValue]:
    """GDP 2025 of a Shandong county, of Shandong itself and of a Beijing district."""
    beijing = ProvinceFactory(adcode="110000", name="北京市")
    regions = {
        "taierzhuang": CountyFactory(adcode="370405", name="台儿庄区"),
        "shandong": ProvinceFactory(),
        "dongcheng": CountyFactory(adcode="110101", name="东城区", parent=beijing, level=RegionLevel.COUNTY),
    }
    return {
        name: StatValue.objects.create(
            region=region, indicator=Indicator.GDP, period="2025", value=Decimal("19300000000.00")
        )
        for name, region in regions.items()
    }


def test_province_lists_the_figures_of_every_region_within_it(officer_client, figures):
    response = officer_client.get(URL, {"province": "370000"})

    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {
        figures["taierzhuang"].pk,
        figures["shandong"].pk,
    }


@pytest.mark.parametrize("province", ["37", "abcdef", "3700000"])
def test_a_province_that_is_not_an_adcode_is_a_400(officer_client, figures, province):
    response = officer_client.get(URL, {"province": province})

    assert response.status_code == 400
    assert set(response.json()) == {"province"}
