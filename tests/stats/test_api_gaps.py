"""The gap endpoints reproduce the hand-checked 2025 case (tests/stats/headline.py) to 0.01 pp, from files."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from pairing.models import Region
from tests.conftest import client_for

from . import headline

pytestmark = pytest.mark.django_db

GAPS = "/api/v1/gaps/"


@pytest.fixture
def imported(tmp_path):
    call_command("load_regions")
    call_command("import_pairings", str(headline.write_pairings(tmp_path / "pairings.csv")))
    counties = list(Region.objects.counties().filter(adcode__startswith="37").values_list("adcode", flat=True))
    call_command("import_indicators", str(headline.write_indicators(tmp_path / "stats.csv", counties)))
    call_command("recompute_gaps")


def test_gap_rows_cover_every_county_of_the_province(imported, officer_client):
    response = officer_client.get(GAPS, {"program": headline.PROGRAM, "period": "2025", "indicator": "gdp"})
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 136
    by_code = {row["region"]: row for row in rows}
    taierzhuang = by_code[headline.TAIERZHUANG]
    assert taierzhuang["name"] == "台儿庄区"
    assert taierzhuang["role"] == "weak"
    assert abs(Decimal(taierzhuang["gap_pp"]) - Decimal("0.581")) <= Decimal("0.01")
    assert Decimal(taierzhuang["province_growth_pct"]) == Decimal("5")
    assert taierzhuang["growth_derived"] is False
    assert (taierzhuang["rank"], taierzhuang["rank_change"], taierzhuang["in_bottom_ten"]) == (131, -4, True)
    assert taierzhuang["release"] == "preliminary"
    assert by_code["370211"]["role"] == "strong"
    assert sum(1 for row in rows if row["role"] is None) == 116


def test_gap_rows_filter_by_role_and_region(imported, officer_client):
    weak = officer_client.get(GAPS, {"program": headline.PROGRAM, "period": "2025", "role": "weak"}).json()
    assert sorted(row["region"] for row in weak) == sorted(headline.WEAK)
    one = officer_client.get(GAPS, {"program": headline.PROGRAM, "period": "2025", "region": headline.GAOQING}).json()
    assert [row["region"] for row in one] == [headline.GAOQING]
    assert one[0]["rank_change"] == 6 and one[0]["in_bottom_ten"] is False


def test_summary_states_the_headline(imported, officer_client):
    response = officer_client.get(f"{GAPS}summary/", {"program": headline.PROGRAM, "period": "2025"})
    assert response.status_code == 200
    body = response.json()
    assert (body["program"], body["period"]) == (headline.PROGRAM, "2025")
    for indicator, gap in headline.EXPECTED_GAPS.items():
        figures = body["indicators"][indicator]
        assert abs(Decimal(figures["gap_pp"]) - Decimal(gap)) <= Decimal("0.01"), indicator
        assert abs(Decimal(figures["group_growth_pct"]) - Decimal(headline.EXPECTED_GROUP[indicator])) <= Decimal(
            "0.01"
        )
    assert body["indicators"]["tax"]["members_covered"] == 9
    assert body["indicators"]["tax"]["members_total"] == 10
    assert body["moved_up"] == sorted([headline.GAOQING, headline.MENGYIN, headline.S2, headline.S3])
    assert body["exited_bottom_ten"] == sorted([headline.GAOQING, headline.MENGYIN])


def test_history_lists_periods_for_one_county(imported, officer_client):
    response = officer_client.get(f"{GAPS}history/", {"region": headline.GAOQING, "indicator": "gdp"})
    assert response.status_code == 200
    periods = [row["period"] for row in response.json()]
    assert periods == ["2024", "2025"]


@pytest.mark.parametrize(
    "params",
    [
        {"period": "2025"},
        {"program": "no-such-program", "period": "2025"},
        {"program": headline.PROGRAM, "period": "2025-13"},
        {"program": headline.PROGRAM, "period": "2025", "indicator": "gdpx"},
    ],
)
def test_bad_queries_are_400(imported, officer_client, params):
    assert officer_client.get(GAPS, params).status_code == 400


def test_personas(program, officer, liaison_a, liaison_b, api_client):
    params = {"program": program.code, "period": "2025"}
    for user in (officer, liaison_a, liaison_b):
        client = client_for(user)
        assert client.get(GAPS, params).status_code == 200
        assert client.get(f"{GAPS}summary/", params).status_code == 200
    assert api_client.get(GAPS, params).status_code == 401
    assert api_client.get(f"{GAPS}summary/", params).status_code == 401
    assert api_client.get("/api/v1/statistics/").status_code == 401


def test_statistics_list_filters_by_indicator(imported, officer_client):
    response = officer_client.get("/api/v1/statistics/", {"indicator": "tax", "region": headline.S4})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["period"], row["growth_pct"], row["value"]) for row in rows] == [("2025", "50.0000", None)]
