"""The reporting API (/api/v1/reports/… and /api/v1/targets/): who may read it, and that every figure equals what the
data built here hold — for a provincial role the whole program, for a county liaison their own pairings and the money
paid to their county.

The data (``world``), on the warnings day 2025-10-20:

    pairing A (黄岛区 370211 → 台儿庄区 370405)              pairing B (历城区 370112 → 蒙阴县 371328)
    project  stage        planned (¥)    completed  colour  project  stage    planned    completed  colour
    A1       pipeline     100,000,000.00            blue    B1       signed   400M                  blue
    A2       signed       150,000,000.00            blue    B2       started  500M       5M         red
    A3       signed       200,000,000.00            red          (signed 2025-01-10, reports overdue)
    A4       started      250,000,000.00  10M       yellow       (investment behind plan)
    A5       producing    300,000,000.00  80M       blue
    A6       at capacity  350,000,000.50  120M+0.25 blue
    A7       signed, terminated (left out everywhere)

    guidance fund 2025 (¥200M): A allocated 50M, paid 10M + 5M; B allocated 30M, paid 8M; the 2024 fund (A: 20M
    paid) is another year. Bonds 2025: A quota 500M, issued 100M + 20M; B quota 300M, issued 50M; the 2026 plan is
    another year. Orders 2025: A 20M and ¥0.50 (and 10M in 2024), B 7M. Statistics: ``builders.statistics_build``.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from funds.factories import BondPlanFactory, FundFactory
from funds.services import bond_issue_create, bond_quota_assign
from pairing.factories import CountyFactory, PairingFactory, ProgramFactory
from projects.cooperation import cross_county_order_create
from projects.factories import ProgressReportFactory
from projects.models import Health, Project, ProjectWarning, ReportStatus, Stage
from projects.warnings import warnings_refresh
from reporting.boundaries import centre_points
from reporting.factories import TargetFactory
from reporting.models import Direction, Metric
from stats.models import GapResult, Indicator
from tests.conftest import client_for

from .builders import paid, project_build, report_file, statistics_build

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports/"
TARGETS = "/api/v1/targets/"
PROGRAM = "sd-test"
WARNINGS_DAY = dt.date(2025, 10, 20)
PERSONAS = ("officer", "finance", "leader", "liaison_a", "liaison_b", "norole", "anonymous")
PROVINCIAL = ("officer", "finance", "leader")
EVERY_ROLE_READS = dict(zip(PERSONAS, (200, 200, 200, 200, 200, 403, 401), strict=True))
ENDPOINTS = {
    "program-summary": {"program": PROGRAM, "period": "2025"},
    "map": {"program": PROGRAM, "period": "2025"},
    "boundaries": {"province": "370000"},
    "gap-bars": {"program": PROGRAM, "period": "2025"},
    "trends": {"program": PROGRAM},
    "funnel": {"program": PROGRAM},
}
REVIEWED = dt.datetime(2025, 10, 5, 9, 0, tzinfo=dt.UTC)
RECENT = dt.date(2025, 9, 20)  # signed a month before the warnings day: no report owed yet


def money(value: str) -> Decimal:
    return Decimal(value)


@pytest.fixture
def world(program, pairing_a, pairing_b, liaison_a, liaison_b, officer):
    project_build(
        pairing_a,
        stage=Stage.PIPELINE,
        signed=None,
        planned="100000000.00",
        planned_start=dt.date(2026, 1, 1),
        planned_production=dt.date(2026, 12, 1),
    )
    project_build(pairing_a, signed=RECENT, planned="150000000.00", planned_start=dt.date(2025, 11, 1))
    project_build(pairing_a, signed=dt.date(2025, 3, 15), planned="200000000.00")
    project_build(
        pairing_a,
        stage=Stage.STARTED,
        signed=RECENT,
        started=dt.date(2025, 10, 1),
        planned="250000000.00",
        completed="10000000.00",
    )
    project_build(
        pairing_a,
        stage=Stage.PRODUCING,
        signed=RECENT,
        started=dt.date(2025, 9, 25),
        producing=dt.date(2025, 10, 10),
        planned="300000000.00",
        completed="80000000.00",
    )
    project_build(
        pairing_a,
        stage=Stage.AT_CAPACITY,
        signed=RECENT,
        started=dt.date(2025, 9, 25),
        producing=dt.date(2025, 10, 10),
        planned="350000000.50",
        completed="120000000.25",
    )
    project_build(pairing_a, signed=RECENT, planned="999000000.00", health=Health.TERMINATED)
    project_build(pairing_b, signed=RECENT, planned="400000000.00", planned_start=dt.date(2025, 11, 1))
    project_build(
        pairing_b,
        stage=Stage.STARTED,
        signed=dt.date(2025, 1, 10),
        started=dt.date(2025, 2, 1),
        planned="500000000.00",
        completed="5000000.00",
        planned_start=dt.date(2025, 2, 1),
        planned_production=dt.date(2026, 2, 1),
    )
    warnings_refresh(today=WARNINGS_DAY)
    county_a, county_b = pairing_a.weak_county, pairing_b.weak_county
    fund = FundFactory(program=program, year=2025, total=money("200000000.00"))
    paid(
        fund,
        county_a,
        allocated="50000000.00",
        allocated_on=dt.date(2025, 1, 10),
        payments=[("10000000.00", dt.date(2025, 2, 1)), ("5000000.00", dt.date(2025, 7, 1))],
    )
    paid(
        fund,
        county_b,
        allocated="30000000.00",
        allocated_on=dt.date(2025, 1, 10),
        payments=[("8000000.00", dt.date(2025, 3, 1))],
    )
    last_year = FundFactory(program=program, year=2024, total=money("150000000.00"))
    paid(
        last_year,
        county_a,
        allocated="20000000.00",
        allocated_on=dt.date(2024, 3, 1),
        payments=[("20000000.00", dt.date(2024, 4, 1))],
    )

    plan = BondPlanFactory(program=program, year=2025, total=money("2000000000.00"))
    quota_a = bond_quota_assign(plan=plan, county=county_a, quota=money("500000000.00"))
    quota_b = bond_quota_assign(plan=plan, county=county_b, quota=money("300000000.00"))
    for quota, amount in ((quota_a, "100000000.00"), (quota_a, "20000000.00"), (quota_b, "50000000.00")):
        bond_issue_create(
            quota=quota, amount=money(amount), issue_date=dt.date(2025, 6, 30), term_years=10, rate_pct=Decimal("2.350")
        )
    next_plan = BondPlanFactory(program=program, year=2026, total=money("2000000000.00"))
    bond_quota_assign(plan=next_plan, county=county_a, quota=money("100000000.00"))

    for pairing, amount, day in (
        (pairing_a, "20000000.00", dt.date(2025, 5, 20)),
        (pairing_a, "0.50", dt.date(2025, 12, 31)),
        (pairing_a, "10000000.00", dt.date(2024, 12, 31)),
        (pairing_b, "7000000.00", dt.date(2025, 6, 1)),
    ):
        cross_county_order_create(
            pairing=pairing,
            buyer="某食品有限公司",
            seller="某包装材料有限公司",
            seller_county=pairing.strong_county,
            amount=money(amount),
            signed_date=day,
            by=officer,
        )

    statistics_build()


@pytest.fixture
def clients(request) -> dict[str, APIClient]:
    made = {persona: client_for(request.getfixturevalue(persona)) for persona in PERSONAS if persona != "anonymous"}
    made["anonymous"] = request.getfixturevalue("api_client")
    return made


def get(client: APIClient, endpoint: str, params: dict | None = None):
    return client.get(f"{REPORTS}{endpoint}/", ENDPOINTS[endpoint] if params is None else params)


@pytest.fixture
def approved(world):
    """The world's completed investment reported: as of a period it is each project's last approved report by then
    (``reporting.selectors.completed_investment_as_of``), here September 2025's."""
    for project in Project.objects.filter(completed_investment__gt=0):
        ProgressReportFactory(
            project=project,
            period="2025-09",
            cumulative_investment=project.completed_investment,
            status=ReportStatus.APPROVED,
            submitted_at=REVIEWED,
            first_submitted_at=REVIEWED,
            reviewed_at=REVIEWED,
        )
    return world


# --- Who may read ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_every_role_reads_the_reports_norole_is_forbidden_anonymous_unauthenticated(world, clients, endpoint):
    got = {persona: get(client, endpoint).status_code for persona, client in clients.items()}
    assert got == EVERY_ROLE_READS


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_the_reports_are_read_only(world, clients, endpoint):
    response = clients["officer"].post(f"{REPORTS}{endpoint}/", ENDPOINTS[endpoint], format="json")
    assert response.status_code == 405


def test_targets_every_role_reads_norole_is_forbidden_anonymous_unauthenticated(world, clients, program):
    TargetFactory(program=program, county_id="370405")
    got = {persona: client.get(TARGETS).status_code for persona, client in clients.items()}
    assert got == EVERY_ROLE_READS


# --- Program summary -------------------------------------------------------------------------------------------------


def stages(body: dict) -> dict[str, int]:
    return {row["stage"]: row["count"] for row in body["projects"]["by_stage"]}


def test_program_summary_for_the_provincial_roles_covers_the_whole_program(world, approved, clients):
    gdp_summary = clients["officer"].get("/api/v1/gaps/summary/", {"program": PROGRAM, "period": "2025"}).json()
    for persona in PROVINCIAL:
        response = get(clients[persona], "program-summary")
        assert response.status_code == 200, persona
        body = response.json()

        assert (body["program"], body["period"], body["year"], body["scope"]) == (PROGRAM, "2025", 2025, "province")
        assert body["pairings"] == {"active": 2, "documented": 0, "sample": 2}
        assert body["weak_counties"] == 2
        assert body["projects"]["total"] == 8
        assert stages(body) == {"pipeline": 1, "signed": 3, "started": 2, "producing": 1, "at_capacity": 1}
        assert list(stages(body)) == Stage.values
        assert body["projects"]["planned_investment"] == "2250000000.50"
        assert body["projects"]["completed_investment"] == "215000000.25"
        assert body["guidance_fund"] == {
            "total": "200000000.00",
            "allocated": "80000000.00",
            "disbursed": "23000000.00",
            "used_pct": "11.5000",
        }
        assert body["bonds"] == {"quota": "800000000.00", "issued": "170000000.00"}
        assert body["orders"] == {"count": 3, "amount": "27000000.50"}
        assert body["warnings"] == {"red": 2, "yellow": 1, "blue": 5}
        gdp = gdp_summary["indicators"]["gdp"]
        assert body["gdp"] == {
            "group_growth_pct": gdp["group_growth_pct"],
            "province_growth_pct": gdp["province_growth_pct"],
            "gap_pp": gdp["gap_pp"],
            "members_covered": 2,
            "members_total": 2,
        }
        assert Decimal(body["gdp"]["province_growth_pct"]) == Decimal(5)
        assert (body["moved_up"], body["exited_bottom_ten"]) == (
            gdp_summary["moved_up"],
            gdp_summary["exited_bottom_ten"],
        )


def test_the_warnings_counted_are_the_stored_colours(world, clients):
    # The summary counts the warnings that warnings_refresh stored, not a recomputation of its own
    ProjectWarning.objects.filter(colour="blue").update(colour="yellow")
    body = get(clients["officer"], "program-summary").json()
    assert body["warnings"] == {"red": 2, "yellow": 6, "blue": 0}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        (
            "liaison_a",
            {
                "scope": "county:370405",
                "pairings": {"active": 1, "documented": 0, "sample": 1},
                "weak_counties": 1,
                "total": 6,
                "stages": {"pipeline": 1, "signed": 2, "started": 1, "producing": 1, "at_capacity": 1},
                "planned": "1350000000.50",
                "completed": "210000000.25",
                "fund": {
                    "total": "50000000.00",
                    "allocated": "50000000.00",
                    "disbursed": "15000000.00",
                    "used_pct": "30.0000",
                },
                "bonds": {"quota": "500000000.00", "issued": "120000000.00"},
                "orders": {"count": 2, "amount": "20000000.50"},
                "warnings": {"red": 1, "yellow": 1, "blue": 4},
            },
        ),
        (
            "liaison_b",
            {
                "scope": "county:371328",
                "pairings": {"active": 1, "documented": 0, "sample": 1},
                "weak_counties": 1,
                "total": 2,
                "stages": {"pipeline": 0, "signed": 1, "started": 1, "producing": 0, "at_capacity": 0},
                "planned": "900000000.00",
                "completed": "5000000.00",
                "fund": {
                    "total": "30000000.00",
                    "allocated": "30000000.00",
                    "disbursed": "8000000.00",
                    "used_pct": "26.6667",
                },
                "bonds": {"quota": "300000000.00", "issued": "50000000.00"},
                "orders": {"count": 1, "amount": "7000000.00"},
                "warnings": {"red": 1, "yellow": 0, "blue": 1},
            },
        ),
    ],
)
def test_program_summary_for_a_liaison_covers_their_pairings_and_money_paid_to_their_county(
    world, approved, clients, persona, expected
):
    body = get(clients[persona], "program-summary").json()

    assert body["scope"] == expected["scope"]
    assert body["pairings"] == expected["pairings"]
    assert body["weak_counties"] == expected["weak_counties"]
    assert body["projects"]["total"] == expected["total"]
    assert stages(body) == expected["stages"]
    assert body["projects"]["planned_investment"] == expected["planned"]
    assert body["projects"]["completed_investment"] == expected["completed"]
    assert body["guidance_fund"] == expected["fund"]
    assert body["bonds"] == expected["bonds"]
    assert body["orders"] == expected["orders"]
    assert body["warnings"] == expected["warnings"]
    # Statistics are reference data: the same group figures as the officer's
    assert body["gdp"] == get(clients["officer"], "program-summary").json()["gdp"]


def test_program_summary_of_a_year_without_money_is_zero_and_the_month_period_reads_its_year(world, clients):
    body = get(clients["officer"], "program-summary", {"program": PROGRAM, "period": "2023"}).json()
    assert body["guidance_fund"] == {"total": "0.00", "allocated": "0.00", "disbursed": "0.00", "used_pct": None}
    assert body["bonds"] == {"quota": "0.00", "issued": "0.00"}
    assert body["orders"] == {"count": 0, "amount": "0.00"}
    assert body["projects"]["total"] == 8  # projects as they stand today

    month = get(clients["officer"], "program-summary", {"program": PROGRAM, "period": "2025-09"}).json()
    assert (month["period"], month["year"]) == ("2025-09", 2025)
    assert month["guidance_fund"]["disbursed"] == "23000000.00"
    assert Decimal(month["gdp"]["province_growth_pct"]) == Decimal("5.2")


@pytest.mark.parametrize("endpoint", ["program-summary", "map", "gap-bars"])
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"program": PROGRAM, "period": "2025-13"}, "period"),
        ({"program": PROGRAM, "period": "25"}, "period"),
        ({"program": PROGRAM}, "period"),
        ({"program": "no-such-program", "period": "2025"}, "program"),
        ({"period": "2025"}, "program"),
    ],
)
def test_bad_program_or_period_is_a_400_naming_the_field(world, clients, endpoint, params, field):
    response = get(clients["officer"], endpoint, params)

    assert response.status_code == 400
    messages = response.json()[field]
    assert messages and all(isinstance(m, str) and m.strip() for m in messages)


@pytest.mark.parametrize(
    ("endpoint", "params", "field"),
    [
        ("trends", {"program": PROGRAM, "indicator": "gdpx"}, "indicator"),
        ("trends", {"program": "no-such-program"}, "program"),
        ("funnel", {"program": "no-such-program"}, "program"),
        ("funnel", {}, "program"),
        ("boundaries", {"province": "37"}, "province"),
        ("boundaries", {"province": "370100"}, "province"),
        ("boundaries", {}, "province"),
    ],
)
def test_other_bad_parameters_are_a_400_naming_the_field(world, clients, endpoint, params, field):
    response = get(clients["liaison_a"], endpoint, params)

    assert response.status_code == 400
    assert response.json()[field]


# --- Map and boundaries ----------------------------------------------------------------------------------------------


def test_map_lists_the_province_s_counties_with_roles_gaps_and_every_pairing_line(world, clients):
    body = get(clients["leader"], "map").json()

    assert (body["program"], body["period"], body["province"]) == (PROGRAM, "2025", "370000")
    counties = {row["adcode"]: row for row in body["counties"]}
    assert set(counties) == {"370211", "370405", "370112", "371328"}
    assert {code: row["role"] for code, row in counties.items()} == {
        "370211": "strong",
        "370405": "weak",
        "370112": "strong",
        "371328": "weak",
    }
    assert all(row["paired"] for row in counties.values())
    taierzhuang = counties["370405"]
    assert taierzhuang["name"] == "台儿庄区"
    result = GapResult.objects.get(region="370405", indicator=Indicator.GDP, period="2025")
    assert (taierzhuang["gdp_gap_pp"], taierzhuang["gdp_rank"]) == (f"{result.gap_pp:.12f}", 4)
    assert counties["371328"]["gdp_rank"] == 2

    assert [(link["strong"], link["weak"]) for link in body["links"]] == [("370211", "370405"), ("370112", "371328")]
    centres = centre_points("370000")
    for link in body["links"]:
        assert link["is_sample"] is True
        assert link["from_point"] == centres[link["strong"]]
        assert link["to_point"] == centres[link["weak"]]
        for lon, lat in (link["from_point"], link["to_point"]):
            assert 114 < lon < 123 and 34 < lat < 39  # inside Shandong


def test_a_county_without_a_role_is_on_the_map_unpaired(world, clients):
    CountyFactory(adcode="370402", name="市中区")

    counties = {row["adcode"]: row for row in get(clients["officer"], "map").json()["counties"]}

    assert (counties["370402"]["role"], counties["370402"]["paired"], counties["370402"]["gdp_gap_pp"]) == (
        None,
        False,
        None,
    )


@pytest.mark.parametrize(
    ("persona", "link", "paired"),
    [
        ("liaison_a", ("370211", "370405"), {"370211", "370405"}),
        ("liaison_b", ("370112", "371328"), {"370112", "371328"}),
    ],
)
def test_a_liaison_s_map_draws_only_their_pairing_but_every_county(world, clients, persona, link, paired):
    body = get(clients[persona], "map").json()

    assert [(row["strong"], row["weak"]) for row in body["links"]] == [link]
    assert len(body["counties"]) == 4
    assert {row["adcode"] for row in body["counties"] if row["paired"]} == paired
    # Statistics are reference data: a liaison sees every county's gap
    assert all(row["gdp_rank"] is not None for row in body["counties"])


def test_a_program_without_a_province_maps_its_own_counties_without_points(world, clients):
    program = ProgramFactory(code="east-west", province=None)
    PairingFactory(
        program=program,
        strong_county=CountyFactory(adcode="370202", name="市南区"),
        weak_county=CountyFactory(adcode="371603", name="沾化区"),
    )

    body = get(clients["officer"], "map", {"program": "east-west", "period": "2025"}).json()

    assert body["province"] is None
    assert {row["adcode"] for row in body["counties"]} == {"370202", "371603"}
    assert [(link["from_point"], link["to_point"]) for link in body["links"]] == [(None, None)]


def test_boundaries_of_shandong_are_136_county_features(world, clients):
    response = get(clients["liaison_b"], "boundaries")

    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "application/geo+json"
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert len(features) == 136
    adcodes = [f["properties"]["adcode"] for f in features]
    assert len(set(adcodes)) == 136
    assert all(code.startswith("37") and len(code) == 6 for code in adcodes)
    by_code = {f["properties"]["adcode"]: f for f in features}
    assert by_code["370405"]["properties"]["name"] == "台儿庄区"
    for feature in features:
        assert feature["type"] == "Feature"
        assert feature["properties"]["name"]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert feature["geometry"]["coordinates"]


def test_boundaries_of_an_unknown_province_are_an_empty_collection(world, clients):
    response = get(clients["officer"], "boundaries", {"province": "990000"})

    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "application/geo+json"
    assert json.loads(response.content) == {"type": "FeatureCollection", "features": []}


# --- Gap bars and trends ---------------------------------------------------------------------------------------------


def full(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.12f}"


def test_gap_bars_are_the_weak_counties_gap_results_at_full_precision(world, clients):
    rows = get(clients["liaison_a"], "gap-bars").json()

    expected = [
        (r.region_id, r.indicator, full(r.growth_pct), full(r.province_growth_pct), full(r.gap_pp))
        for region in ("370405", "371328")
        for r in GapResult.objects.filter(region=region, period="2025").order_by("indicator")
        if r.indicator in (Indicator.GDP, Indicator.FAI)
    ]
    expected.sort(key=lambda row: (row[0], Indicator.values.index(row[1])))
    got = [(r["county"], r["indicator"], r["growth_pct"], r["province_growth_pct"], r["gap_pp"]) for r in rows]
    assert got == expected
    assert [(r["county"], r["indicator"]) for r in rows] == [
        ("370405", "gdp"),
        ("370405", "fai"),
        ("371328", "gdp"),
        ("371328", "fai"),
    ]
    assert rows[0]["gap_pp"] == "0.581000000000"
    assert rows[1]["gap_pp"] == "9.500000000000"
    assert rows[0]["name"] == "台儿庄区"

    # The same strings as the gaps endpoint
    gaps = clients["liaison_a"].get("/api/v1/gaps/", {"program": PROGRAM, "period": "2025", "indicator": "gdp"}).json()
    by_region = {row["region"]: row for row in gaps}
    for row in rows:
        if row["indicator"] == "gdp":
            gap_row = by_region[row["county"]]
            assert (row["growth_pct"], row["province_growth_pct"], row["gap_pp"]) == (
                gap_row["growth_pct"],
                gap_row["province_growth_pct"],
                gap_row["gap_pp"],
            )


def test_gap_bars_of_a_month_and_of_a_period_without_results(world, clients):
    month = get(clients["officer"], "gap-bars", {"program": PROGRAM, "period": "2025-09"}).json()
    assert [(r["county"], r["indicator"]) for r in month] == [("370405", "gdp"), ("371328", "gdp")]
    assert Decimal(month[0]["gap_pp"]) == Decimal("5.9") - Decimal("5.2")

    assert get(clients["officer"], "gap-bars", {"program": PROGRAM, "period": "2030"}).json() == []


def test_trends_are_the_weak_counties_annual_results_oldest_first(world, clients):
    rows = get(clients["liaison_b"], "trends").json()

    expected = [
        {
            "county": r.region_id,
            "period": r.period,
            "gap_pp": full(r.gap_pp),
            "rank": r.rank,
            "rank_change": r.rank_change,
        }
        for r in GapResult.objects.filter(region__in=["370405", "371328"], indicator="gdp")
        .exclude(period__contains="-")
        .order_by("period", "region_id")
    ]
    assert [{key: row[key] for key in expected[0]} for row in rows] == expected
    assert [(r["county"], r["period"]) for r in rows] == [
        ("370405", "2023"),
        ("371328", "2023"),
        ("370405", "2024"),
        ("371328", "2024"),
        ("370405", "2025"),
        ("371328", "2025"),
    ]
    last = rows[-2]
    assert (last["gap_pp"], last["rank"], last["rank_change"]) == ("0.581000000000", 4, -1)
    assert rows[0]["gap_pp"] is None  # 2023 has no year before it


def test_trends_of_another_indicator(world, clients):
    rows = get(clients["officer"], "trends", {"program": PROGRAM, "indicator": "fai"}).json()
    assert [(r["county"], r["period"], r["gap_pp"], r["rank"]) for r in rows] == [
        ("370405", "2025", "9.500000000000", None),
        ("371328", "2025", "5.000000000000", None),
    ]


# --- Funnel ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "now", "reached"),
    [
        ("officer", [1, 3, 2, 1, 1], [8, 7, 4, 2, 1]),
        ("leader", [1, 3, 2, 1, 1], [8, 7, 4, 2, 1]),
        ("liaison_a", [1, 2, 1, 1, 1], [6, 5, 3, 2, 1]),
        ("liaison_b", [0, 1, 1, 0, 0], [2, 2, 1, 0, 0]),
    ],
)
def test_funnel_counts_live_projects_that_reached_at_least_each_stage(world, clients, persona, now, reached):
    rows = get(clients[persona], "funnel").json()

    assert [row["stage"] for row in rows] == Stage.values
    assert [row["now"] for row in rows] == now
    assert [row["reached"] for row in rows] == reached


# --- Targets ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def targets(world, program, pairing_a, pairing_b):
    return {
        "orders_a": TargetFactory(
            program=program, county=pairing_a.weak_county, metric=Metric.ORDERS_AMOUNT, target=Decimal("20000000.50")
        ),
        "projects_a": TargetFactory(
            program=program,
            county=pairing_a.weak_county,
            metric=Metric.PROJECTS_OVER,
            threshold=Decimal("150000000"),
            baseline=Decimal(2),
            target=Decimal(8),
        ),
        "started_b": TargetFactory(
            program=program, county=pairing_b.weak_county, metric=Metric.SIGNED_STARTED_PCT, target=Decimal(100)
        ),
        "rank_b": TargetFactory(
            program=program,
            county=pairing_b.weak_county,
            metric=Metric.RANK,
            indicator=Indicator.GDP,
            direction=Direction.AT_MOST,
            target=Decimal(3),
        ),
    }


def rows_by_id(response) -> dict[int, dict]:
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["results"])
    return {row["id"]: row for row in body["results"]}


def test_targets_list_the_computed_actual_and_whether_it_is_met(targets, clients):
    rows = rows_by_id(clients["officer"].get(TARGETS))

    assert set(rows) == {t.pk for t in targets.values()}
    orders = rows[targets["orders_a"].pk]
    assert (orders["county"], orders["metric"], orders["unit"]) == ("370405", "orders_amount", "yuan")
    assert (orders["actual"], orders["met"], orders["progress_pct"]) == ("20000000.5000", True, "100.0000")
    projects = rows[targets["projects_a"].pk]  # A2…A6 are ≥ ¥150M: 5, from 2 towards 8 is half way
    assert (projects["actual"], projects["met"], projects["progress_pct"]) == ("5.0000", False, "50.0000")
    assert (projects["threshold"], projects["baseline"], projects["target"]) == (
        "150000000.00",
        "2.0000",
        "8.0000",
    )
    started = rows[targets["started_b"].pk]  # B1 signed, B2 started
    assert (started["actual"], started["met"], started["progress_pct"]) == ("50.0000", False, "50.0000")
    rank = rows[targets["rank_b"].pk]  # 蒙阴 is 2nd in 2025
    assert (rank["actual"], rank["met"], rank["direction"], rank["indicator"]) == ("2.0000", True, "at_most", "gdp")
    assert rank["program"] == PROGRAM and rank["county_name"] == "蒙阴县"


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("officer", {"orders_a", "projects_a", "started_b", "rank_b"}),
        ("finance", {"orders_a", "projects_a", "started_b", "rank_b"}),
        ("leader", {"orders_a", "projects_a", "started_b", "rank_b"}),
        ("liaison_a", {"orders_a", "projects_a"}),
        ("liaison_b", {"started_b", "rank_b"}),
    ],
)
def test_targets_are_scoped_to_the_liaison_s_pairings(targets, clients, persona, visible):
    rows = rows_by_id(clients[persona].get(TARGETS, {"page_size": 100}))

    assert set(rows) == {targets[name].pk for name in visible}
    for name in visible:
        assert rows[targets[name].pk]["actual"] is not None


def test_a_liaison_does_not_find_another_county_s_target(targets, clients):
    assert clients["liaison_b"].get(f"{TARGETS}{targets['orders_a'].pk}/").status_code == 404
    detail = clients["liaison_a"].get(f"{TARGETS}{targets['orders_a'].pk}/")
    assert detail.status_code == 200
    assert (detail.json()["actual"], detail.json()["met"]) == ("20000000.5000", True)


def test_the_strong_county_s_liaison_sees_the_targets_of_their_weak_partner(targets, django_user_model, pairing_a):
    from accounts.services import user_set_role

    user = django_user_model.objects.create_user("liaison_huangdao", "h@example.org", "pw")
    user_set_role(user=user, role="liaison", county=pairing_a.strong_county)

    rows = rows_by_id(client_for(user).get(TARGETS))

    assert set(rows) == {targets["orders_a"].pk, targets["projects_a"].pk}


def test_targets_filter_by_program_county_year_and_metric(targets, clients, program):
    other = TargetFactory(program=program, county_id="370405", year=2026, metric=Metric.ORDERS_AMOUNT)
    officer = clients["officer"]

    assert set(rows_by_id(officer.get(TARGETS, {"county": "371328"}))) == {
        targets["started_b"].pk,
        targets["rank_b"].pk,
    }
    assert set(rows_by_id(officer.get(TARGETS, {"year": 2026}))) == {other.pk}
    assert set(rows_by_id(officer.get(TARGETS, {"metric": "orders_amount", "year": 2025}))) == {targets["orders_a"].pk}
    assert rows_by_id(officer.get(TARGETS, {"program": "no-such-program"})) == {}


def test_targets_are_read_only(targets, clients):
    response = clients["officer"].post(TARGETS, {"program": PROGRAM, "county": "370405"}, format="json")
    assert response.status_code == 405


# --- Query counts ----------------------------------------------------------------------------------------------------

YEARS = range(2019, 2027)


def queries_for(user_pk: int, params: dict) -> tuple[int, dict]:
    """One GET as a freshly loaded user (each real request authenticates anew)."""
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(pk=user_pk))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(TARGETS, params)
    assert response.status_code == 200, response.content[:300]
    return len(captured), response.json()


@pytest.mark.parametrize("metric", Metric.values)
@pytest.mark.parametrize("persona", ["officer", "liaison_a"])
def test_the_targets_list_costs_the_same_queries_for_one_row_as_for_a_hundred(
    world, request, program, pairing_a, pairing_b, metric, persona
):
    # Given targets of one metric for both weak counties over several years
    extra: dict = {}
    if metric in (Metric.GAP_PP, Metric.RANK):
        extra["indicator"] = Indicator.GDP
    if metric == Metric.RANK:
        extra["direction"] = Direction.AT_MOST
    if metric == Metric.PROJECTS_OVER:
        extra["threshold"] = Decimal("100000000")
    for county in (pairing_a.weak_county, pairing_b.weak_county):
        for year in YEARS:
            TargetFactory(program=program, county=county, year=year, metric=metric, target=Decimal(1), **extra)
    user = request.getfixturevalue(persona)

    # When the list is read a row a page and a hundred rows a page
    one, one_body = queries_for(user.pk, {"page_size": 1})
    hundred, hundred_body = queries_for(user.pk, {"page_size": 100})

    # Then the number of queries is the same
    expected_rows = len(YEARS) * (2 if persona == "officer" else 1)
    assert (len(one_body["results"]), len(hundred_body["results"])) == (1, expected_rows)
    assert one == hundred


def test_completed_investment_targets_in_the_list_read_the_approved_reports(
    world, clients, program, pairing_a, liaison_a, officer
):
    project = pairing_a.projects.get(stage=Stage.STARTED)
    report_file(project, "2025-10", "12000000.00", liaison=liaison_a, reviewer=officer)
    target = TargetFactory(
        program=program, county=pairing_a.weak_county, metric=Metric.COMPLETED_INVESTMENT, target=Decimal("24000000")
    )

    row = rows_by_id(clients["liaison_a"].get(TARGETS))[target.pk]

    assert (row["actual"], row["met"], row["progress_pct"]) == ("12000000.0000", False, "50.0000")


# --- One figure, one meaning: the cards, the targets and the evaluation report -----------------------------------


def test_completed_investment_on_the_card_is_as_of_the_period_not_the_project_s_latest_figure(
    world, approved, clients, pairing_a, liaison_a, officer
):
    # Given a project whose September 2025 report said 10M and whose March 2026 report, approved, says 60M
    project = pairing_a.projects.get(stage=Stage.STARTED)
    report_file(project, "2026-03", "60000000.00", liaison=liaison_a, reviewer=officer)
    project.refresh_from_db()
    assert project.completed_investment == Decimal("60000000.00")

    # When the cards are read for 2025, 2025-09, 2026 and 2024
    def completed(period: str) -> str:
        return get(clients["officer"], "program-summary", {"program": PROGRAM, "period": period}).json()["projects"][
            "completed_investment"
        ]

    # Then each year counts what was approved by its last month: 2025 is unchanged by the 2026 report
    assert completed("2025") == "215000000.25"
    assert completed("2025-09") == "215000000.25"
    assert completed("2026") == "265000000.25"
    assert completed("2024") == "0.00"


def test_the_card_the_targets_and_the_evaluation_report_state_the_same_completed_investment_and_guidance_received(
    world, approved, clients, program, pairing_a, pairing_b, liaison_a, officer
):
    from reporting.evaluation import evaluation_figures

    # Given a later report (2026) that the 2025 figures must ignore, and targets on both figures for both counties
    report_file(
        pairing_a.projects.get(stage=Stage.STARTED), "2026-03", "60000000.00", liaison=liaison_a, reviewer=officer
    )
    targets = [
        TargetFactory(program=program, county=pairing.weak_county, year=2025, metric=metric, target=Decimal("1"))
        for pairing in (pairing_a, pairing_b)
        for metric in (Metric.COMPLETED_INVESTMENT, Metric.FUNDS_RECEIVED)
    ]

    # When the card, the targets' actuals and the report's figures are read for 2025
    card = get(clients["officer"], "program-summary", {"program": PROGRAM, "period": "2025"}).json()
    actuals = {row["id"]: Decimal(row["actual"]) for row in clients["officer"].get(TARGETS).json()["results"]}
    figures = evaluation_figures(program=program, year=2025)

    # Then they agree to the fen
    def target_total(metric: str) -> Decimal:
        return sum((actuals[t.pk] for t in targets if t.metric == metric), Decimal(0))

    completed = Decimal(card["projects"]["completed_investment"])
    assert completed == Decimal("215000000.25")
    assert Decimal(figures["projects"]["completed_investment"]) == completed
    assert target_total(Metric.COMPLETED_INVESTMENT) == completed
    received = Decimal(figures["money"]["guidance_received"])
    assert received == Decimal("23000000.00")
    assert target_total(Metric.FUNDS_RECEIVED) == received


def test_the_dashboard_opens_on_the_latest_year_with_statistics_and_money_not_an_empty_new_year(db):
    from reporting.selectors import default_period

    # Given statistics for 2024-2026 and money only up to 2025
    program = ProgramFactory(code="sd-periods")
    periods = ["2026-09", "2026", "2025", "2024"]
    assert default_period(program, periods) == "2026"  # no money at all: the latest year with statistics

    FundFactory(program=program, year=2025, total=money("200000000.00"))

    # Then it opens on 2025, not on 2026 whose cards would all be empty
    assert default_period(program, periods) == "2025"
    assert default_period(program, ["2026-03"]) == "2026-03"
    assert default_period(program, []) == ""
