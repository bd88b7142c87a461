"""GET /api/v1/impact/?program=CODE&indicator=gdp: the stored estimates as the issue gives them, numbers as JSON
numbers, scoped — a liaison meets the pooled figures and the weak counties of their own pairings only."""

from __future__ import annotations

import pytest

from impact.factories import ImpactCountyFactory, ImpactResultFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/impact/"
KEYS = {"program", "indicator", "first_treated_period", "pre_periods", "post_periods", "pooled", "counties"}


@pytest.fixture
def stored(program, pairing_a, pairing_b):
    result = ImpactResultFactory(program=program, indicator="gdp")
    ImpactCountyFactory(result=result, region=pairing_a.weak_county)
    ImpactCountyFactory(
        result=result,
        region=pairing_b.weak_county,
        effects=[],
        pre_rmspe=3.2,
        placebo_p=None,
        note="帮扶前合成对照与实际增速平均每年相差 3.2 个百分点（RMSPE），超过 2 个百分点。",
    )
    return result


def test_an_officer_reads_every_weak_county_with_numbers_as_json_numbers(officer_client, stored):
    body = officer_client.get(URL, {"program": "sd-test", "indicator": "gdp"}).json()
    assert set(body) == KEYS
    assert body["program"] == "sd-test" and body["first_treated_period"] == "2025"
    assert set(body["pooled"]) >= {"effect_pp", "ci_low", "ci_high", "p_value", "event_study"}
    assert isinstance(body["pooled"]["effect_pp"], float)
    assert set(body["pooled"]["event_study"][0]) == {"period", "coef", "ci_low", "ci_high"}
    assert [c["region"] for c in body["counties"]] == ["370405", "371328"]
    a, b = body["counties"]
    assert set(a) == {"region", "name", "effects", "pre_rmspe", "placebo_p", "donors", "note"}
    assert a["name"] == "台儿庄区" and isinstance(a["effects"][0]["effect_pp"], float)
    assert isinstance(a["donors"][0]["weight"], float)
    # Where the data cannot support a number, words instead.
    assert b["effects"] == [] and b["placebo_p"] is None and "RMSPE" in b["note"]


@pytest.mark.parametrize("persona", ["finance_client", "leader_client"])
def test_the_provincial_roles_read_every_county(request, persona, stored):
    body = request.getfixturevalue(persona).get(URL, {"program": "sd-test"}).json()
    assert [c["region"] for c in body["counties"]] == ["370405", "371328"]


def test_a_liaison_reads_the_pooled_figures_and_their_own_county_only(liaison_a_client, liaison_b_client, stored):
    a = liaison_a_client.get(URL, {"program": "sd-test", "indicator": "gdp"}).json()
    assert [c["region"] for c in a["counties"]] == ["370405"]
    assert a["pooled"]["effect_pp"] == 1.2
    b = liaison_b_client.get(URL, {"program": "sd-test", "indicator": "gdp"}).json()
    assert [c["region"] for c in b["counties"]] == ["371328"]
    chart = liaison_a_client.get(URL + "chart/", {"program": "sd-test"}).json()
    assert [c["region"] for c in chart["counties"]] == ["370405"]
    assert chart["counties"][0]["path"][0] == {"period": "2024", "actual": 5.0, "synthetic": 5.1}


def test_no_role_and_anonymous_are_refused(norole, api_client, stored):
    from tests.conftest import client_for

    assert client_for(norole).get(URL, {"program": "sd-test"}).status_code == 403
    assert api_client.get(URL, {"program": "sd-test"}).status_code == 401


def test_an_indicator_not_yet_computed_is_a_404_and_a_bad_one_a_400(officer_client, stored):
    assert officer_client.get(URL, {"program": "sd-test", "indicator": "fai"}).status_code == 404
    assert officer_client.get(URL, {"program": "sd-test", "indicator": "nope"}).status_code == 400
    assert officer_client.get(URL, {"program": "nope"}).status_code == 400
