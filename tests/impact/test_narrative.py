"""The impact chapter of the annual evaluation report, in plain Chinese, from the stored estimates."""

from __future__ import annotations

import pytest

from impact.factories import ImpactCountyFactory, ImpactResultFactory
from impact.narrative import county_sentence, impact_chapter, pooled_sentence

pytestmark = pytest.mark.django_db


def test_a_county_sentence_states_the_effect_and_whether_it_is_distinguishable_from_zero():
    county = {"note": "", "effects": [{"period": "2025", "effect_pp": 2.134}], "placebo_p": 0.03}
    assert county_sentence(name="台儿庄区", indicator="gdp", year="2025", county=county) == (
        "台儿庄区 2025年GDP增速比合成对照高 2.1 个百分点，安慰剂检验 p = 0.03；在统计上可与零区分。"
    )
    county = {"note": "", "effects": [{"period": "2025", "effect_pp": -0.46}], "placebo_p": 0.4}
    assert county_sentence(name="蒙阴县", indicator="fai", year="2025", county=county) == (
        "蒙阴县 2025年固定资产投资增速比合成对照低 0.5 个百分点，安慰剂检验 p = 0.4；在统计上不可与零区分。"
    )


def test_where_there_is_no_number_the_note_is_said_instead():
    county = {"note": "帮扶前只有 1 年可用数据，合成对照至少需要 3 年，无法估计。", "effects": [], "placebo_p": None}
    sentence = county_sentence(name="台儿庄区", indicator="gdp", year="2025", county=county)
    assert sentence == "台儿庄区GDP：帮扶前只有 1 年可用数据，合成对照至少需要 3 年，无法估计。"
    assert pooled_sentence(indicator="gdp", pooled={"effect_pp": None, "note": "对照县只有 2 个。"}) == (
        "弱县整体（双重差分）GDP：对照县只有 2 个。"
    )


def test_the_pooled_sentence_gives_the_interval_and_the_pre_trend_warning():
    pooled = {"effect_pp": 1.25, "ci_low": 0.31, "ci_high": 2.19, "p_value": 0.012, "pre_trend": False, "note": ""}
    assert pooled_sentence(indicator="gdp", pooled=pooled) == (
        "弱县整体：双重差分估计帮扶期间GDP增速平均提高 1.2 个百分点（95% 置信区间 0.3 至 2.2，p = 0.012），"
        "在统计上可与零区分。"
    )
    flagged = {**pooled, "pre_trend": True, "note": "平行趋势假设不成立。"}
    assert pooled_sentence(indicator="gdp", pooled=flagged).endswith("在统计上不可与零区分。平行趋势假设不成立。")


def test_a_county_report_chapter_names_its_own_county_only(program, pairing_a, pairing_b):
    result = ImpactResultFactory(program=program, indicator="gdp")
    ImpactCountyFactory(result=result, region=pairing_a.weak_county)
    ImpactCountyFactory(result=result, region=pairing_b.weak_county)
    chapter = impact_chapter(program_code="sd-test", year=2025, counties={"370405": "台儿庄区"})
    text = "".join(chapter["paragraphs"])
    assert "台儿庄区 2025年GDP增速比合成对照高 1.1 个百分点" in text and "蒙阴县" not in text
    assert chapter["first_treated_period"] == "2025" and chapter["empty"] == ""
    assert impact_chapter(program_code="none", year=2025, counties={})["empty"]
