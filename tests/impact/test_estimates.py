"""Impact estimates on generated panels whose truth is known (docs/domain.md, "Impact").

Six weak counties, each paired with a strong one, and thirty other counties of the province as donors; yearly
figures 2016–2026 and a program started in September 2024, so 2025 is the first treated year. The panel generator
(``impact.factories.impact_panel_write``) gives every county a common cycle, its own constant and noise; the weak
counties gain a known number of pp a year from 2025, or drift before it.

The seeds are fixed, and chance still plays: with six treated counties the pre-trend test (α = 5 %) flagged 3 of 30
generated panels without a trend (seeds 10 and 14 among them) and found the −0.6 pp/year drift in 10 of 10; the
no-effect interval covered zero in 29 of 30 (docs/domain.md, "Impact").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from impact.factories import impact_panel_write
from impact.models import ImpactCounty, ImpactResult
from impact.services import donor_pool, first_treated_year, impact_recompute, impact_setting_set
from pairing.factories import CountyFactory, PairingFactory, ProgramFactory
from pairing.models import Program
from stats.models import GapResult
from stats.services import gaps_recompute
from stats.tasks import recompute_growth_gaps_task

pytestmark = pytest.mark.django_db

YEARS = range(2016, 2027)
WEAK = 6
DONORS = 30


def county(i: int):
    return CountyFactory(adcode=f"3704{10 + i:02d}", name=f"示例县{i}")


@pytest.fixture
def setting():
    program = ProgramFactory(code="sd-impact", start_date=dt.date(2024, 9, 1))
    weak = [county(i) for i in range(WEAK)]
    strong = [county(WEAK + i) for i in range(WEAK)]
    for s, w in zip(strong, weak, strict=True):
        PairingFactory(program=program, strong_county=s, weak_county=w)
    donors = [county(2 * WEAK + i) for i in range(DONORS)]
    return program, weak, donors


def build(setting, **panel):
    program, weak, donors = setting
    impact_panel_write(weak=weak, donors=donors, years=YEARS, first_treated=2025, **panel)
    gaps_recompute()
    impact_recompute(program=program, indicators=["gdp"])
    return ImpactResult.objects.get(program=program, indicator="gdp")


def test_the_first_treated_year_is_the_first_full_year_after_the_start_unless_set():
    assert first_treated_year(ProgramFactory(code="a", start_date=dt.date(2024, 9, 1))) == 2025
    assert first_treated_year(ProgramFactory(code="b", start_date=dt.date(2025, 1, 1))) == 2025
    program = ProgramFactory(code="c", start_date=dt.date(2024, 9, 1))
    impact_setting_set(program=program, first_treated_year=2024)
    assert first_treated_year(program) == 2024
    impact_setting_set(program=program, first_treated_year=None)
    assert first_treated_year(program) == 2025


def test_the_donor_pool_leaves_out_every_county_of_any_program_in_the_province(setting):
    program, weak, donors = setting
    other = ProgramFactory(code="sd-other", start_date=dt.date(2023, 1, 1))
    PairingFactory(program=other, strong_county=donors[0], weak_county=donors[1])
    pool = donor_pool(program)
    assert set(pool) == {d.adcode for d in donors[2:]}
    assert not {w.adcode for w in weak} & set(pool)


def test_a_known_effect_is_recovered_within_its_interval(setting):
    # Given weak counties growing 3 pp a year faster from 2025 on
    result = build(setting, effect_pp=3.0, seed=1)
    pooled = result.pooled
    # then the difference-in-differences interval holds 3 and not 0, without a pre-trend
    assert pooled["ci_low"] <= 3.0 <= pooled["ci_high"], pooled
    assert pooled["ci_low"] > 0 and pooled["p_value"] < 0.05
    assert pooled["pre_trend"] is False and pooled["note"] == ""
    post = [e for e in pooled["event_study"] if e["period"] >= 0]
    assert post and all(e["ci_low"] > 0 for e in post)
    assert result.first_treated_period == "2025" and result.post_periods == ["2025", "2026"]
    # and every weak county's synthetic control finds about 3 pp with a small placebo p-value
    counties = list(ImpactCounty.objects.filter(result=result))
    assert len(counties) == WEAK
    for row in counties:
        assert row.note == "", row.note
        assert sum(d["weight"] for d in row.donors) == pytest.approx(1, abs=0.01)
        assert all(d["weight"] >= 0 for d in row.donors)
        assert [e["period"] for e in row.effects] == ["2025", "2026"]
        mean = sum(e["effect_pp"] for e in row.effects) / len(row.effects)
        assert 1.5 < mean < 4.5, (row.region_id, row.effects)
        assert row.placebo_p is not None and row.placebo_p <= 0.1


def test_no_effect_gives_an_interval_that_covers_zero(setting):
    result = build(setting, effect_pp=0.0, seed=7)
    pooled = result.pooled
    assert pooled["ci_low"] <= 0 <= pooled["ci_high"], pooled
    assert pooled["pre_trend"] is False


def test_a_pre_trend_is_flagged_in_words(setting):
    result = build(setting, effect_pp=0.0, pre_trend_pp=-0.6)
    pooled = result.pooled
    assert pooled["pre_trend"] is True and pooled["pre_trend_p"] < 0.05
    assert "平行趋势" in pooled["note"]


def test_too_few_years_before_the_program_give_a_note_and_no_number(setting):
    program, weak, donors = setting
    impact_panel_write(weak=weak, donors=donors, years=range(2023, 2027), first_treated=2025, effect_pp=3.0)
    gaps_recompute()
    impact_recompute(program=program, indicators=["gdp"])
    result = ImpactResult.objects.get(program=program, indicator="gdp")
    assert result.pooled["effect_pp"] is None and "事件研究" in result.pooled["note"]
    for row in ImpactCounty.objects.filter(result=result):
        assert row.effects == [] and row.placebo_p is None
        assert "合成对照" in row.note


def test_a_second_run_writes_nothing(setting):
    result = build(setting, effect_pp=1.0)
    program = setting[0]
    stamp = result.computed_at
    again = impact_recompute(program=program)
    assert again.written == 0 and again.deleted == 0
    assert ImpactResult.objects.get(pk=result.pk).computed_at == stamp


def test_a_gap_recomputation_that_changes_figures_queues_one_task_per_program(
    setting, django_capture_on_commit_callbacks
):
    program, weak, donors = setting
    impact_panel_write(weak=weak, donors=donors, years=YEARS, first_treated=2025, effect_pp=2.0)
    with django_capture_on_commit_callbacks(execute=True):
        recompute_growth_gaps_task.delay()
    assert ImpactResult.objects.filter(program=program, indicator="gdp").exists()
    # A second recomputation changes no figure: no impact task is queued.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        recompute_growth_gaps_task.delay()
    assert callbacks == []


def test_the_command_recomputes_one_program(setting, capsys):
    program, weak, donors = setting
    impact_panel_write(weak=weak, donors=donors, years=YEARS, first_treated=2025)
    gaps_recompute()
    call_command("recompute_impact", "--program", program.code)
    assert f"{program.code}: 1 indicator(s); 1 written" in capsys.readouterr().out
    assert Program.objects.count() == 1


def test_unchanged_inputs_are_not_estimated_again_and_a_changed_figure_is(setting, monkeypatch):
    from impact import engine

    result = build(setting, effect_pp=1.0)
    program = setting[0]
    calls = []
    real = engine.estimate
    monkeypatch.setattr(engine, "estimate", lambda **kwargs: calls.append(1) or real(**kwargs))

    impact_recompute(program=program, indicators=["gdp"])
    assert calls == []  # same panel, same counties, same first year: nothing to estimate

    GapResult.objects.filter(region=setting[1][0], indicator="gdp", period="2020").update(growth_pct=Decimal("9.9"))
    impact_recompute(program=program, indicators=["gdp"])
    assert calls == [1]
    assert ImpactResult.objects.get(pk=result.pk).inputs_digest
