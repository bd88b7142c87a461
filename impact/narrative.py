"""The impact chapter of the annual evaluation report (评价报告), in plain Chinese like the rest of the report:
for each weak county and indicator, the synthetic control's effect in the report's year with its placebo p-value,
then the pooled difference-in-differences with its interval — or, where the data cannot support a number, the note
that says why. Built from the stored estimates alone; JSON-ready, so it travels with the report's figures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stats.models import Indicator

from .models import ImpactCounty, ImpactResult

SIGNIFICANCE = 0.05  # a placebo p-value or a DiD p-value at most this is "distinguishable from zero"
INDICATOR_NAMES = {
    Indicator.GDP: "GDP",
    Indicator.FAI: "固定资产投资",
    Indicator.GPBR: "一般公共预算收入",
    Indicator.TAX: "税收收入",
    Indicator.MAIN_TAX: "主体税收",
    Indicator.INDUSTRY_VA: "规上工业增加值",
    Indicator.RETAIL: "社会消费品零售总额",
    Indicator.INCOME_PC: "居民人均可支配收入",
    Indicator.TRADE: "进出口总额",
}


def _num(value: float, places: int = 1) -> str:
    return f"{abs(value):.{places}f}"


def _p(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"{value:.3f}".rstrip("0").rstrip(".") if value else "0"


def county_sentence(*, name: str, indicator: str, year: str, county: dict[str, Any]) -> str:
    """台儿庄区 2025年GDP增速比合成对照高 2.1 个百分点，安慰剂检验 p = 0.03；在统计上可与零区分。"""
    label = INDICATOR_NAMES.get(indicator, indicator)
    if county["note"]:
        return f"{name}{label}：{county['note']}"
    effect = next((e["effect_pp"] for e in county["effects"] if e["period"] == year), None)
    if effect is None:
        return f"{name} {year}年{label}增速尚无数据，无法与合成对照比较。"
    direction = "高" if effect > 0 else ("低" if effect < 0 else "持平，差")
    sentence = f"{name} {year}年{label}增速比合成对照{direction} {_num(effect)} 个百分点"
    p = county["placebo_p"]
    if p is None:
        return sentence + "；安慰剂检验无法进行，不能判断是否可与零区分。"
    verdict = "可" if p <= SIGNIFICANCE else "不可"
    return sentence + f"，安慰剂检验 p = {_p(p)}；在统计上{verdict}与零区分。"


def pooled_sentence(*, indicator: str, pooled: dict[str, Any]) -> str:
    label = INDICATOR_NAMES.get(indicator, indicator)
    if pooled.get("effect_pp") is None:
        return f"弱县整体（双重差分）{label}：{pooled.get('note') or '无法估计。'}"
    effect = pooled["effect_pp"]
    direction = "提高" if effect >= 0 else "降低"
    verdict = "可" if pooled["p_value"] <= SIGNIFICANCE and not pooled.get("pre_trend") else "不可"
    sentence = (
        f"弱县整体：双重差分估计帮扶期间{label}增速平均{direction} {_num(effect)} 个百分点"
        f"（95% 置信区间 {pooled['ci_low']:.1f} 至 {pooled['ci_high']:.1f}，p = {_p(pooled['p_value'])}），"
        f"在统计上{verdict}与零区分。"
    )
    if pooled.get("note"):
        sentence += pooled["note"]
    return sentence


def impact_chapter(*, program_code: str, year: int, counties: Mapping[str, str]) -> dict[str, Any]:
    """The chapter's paragraphs for the weak counties ``counties`` (adcode → name; one for a county's report). Two
    queries at most, whatever the number of counties and indicators."""
    order = {code: index for index, code in enumerate(Indicator.values)}
    results = sorted(ImpactResult.objects.filter(program__code=program_code), key=lambda r: order.get(r.indicator, 99))
    rows: dict[int, dict[str, ImpactCounty]] = {}
    if results:
        for row in ImpactCounty.objects.filter(result__in=results, region_id__in=list(counties)):
            rows.setdefault(row.result_id, {})[row.region_id] = row
    period = str(year)
    lines: list[str] = []
    for result in results:
        by_county = rows.get(result.pk, {})
        for code, name in counties.items():
            row = by_county.get(code)
            if row is None:
                continue
            lines.append(
                county_sentence(
                    name=name,
                    indicator=result.indicator,
                    year=period,
                    county={"note": row.note, "effects": row.effects, "placebo_p": row.placebo_p},
                )
            )
        lines.append(pooled_sentence(indicator=result.indicator, pooled=result.pooled))
    return {
        "first_treated_period": results[0].first_treated_period if results else None,
        "paragraphs": lines,
        "empty": "" if results else "尚未计算帮扶成效评估。",
    }
