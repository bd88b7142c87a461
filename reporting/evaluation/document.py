"""The evaluation report as a document: its charts (SVG), the display model of the template, the printable HTML and
the PDF, all from the stored figures alone so that the document, the PDF and ``figures`` agree.

The PDF is nearly all of the report's cost (WeasyPrint: styles, layout, drawing). For the largest program (91 weak
counties, 280 tables, 184 charts) it took 27–35 s of CPU in one process; what brought it down:

- WeasyPrint's user-agent rules for footnotes and notes, and ``::marker``, match every element: each element got six
  pseudo-element styles, computed and kept with the layout. The report renders with WeasyPrint's stylesheet less
  those rules (``common.pdf.report_ua_text``): about 3 s, and 190 MB less when nothing else changes;
- the cyclic garbage collector is off while WeasyPrint works (about 7 s: it ran thousands of times over a heap of
  millions of objects that reference counting frees anyway; the peak is about 15 MB higher);
- the per-county and summary tables use fixed layout with the widths set in the template (no measuring of every
  cell for the columns' widths), and each county starts a page instead of being kept whole (laid out once): about
  5 s;
- each county fits on one page (compact county charts, table cells with 1 pt of padding): the report of 91
  counties went from 188 pages, one of them nearly empty for every county, to 99.

What remains is WeasyPrint's own work per cell and per letter (its SVG text is laid out and drawn letter by
letter). A report of more than ``EVALUATION_PDF_PART_COUNTIES`` counties is therefore rendered in parts, side by
side in ``EVALUATION_PDF_PROCESSES`` processes forked from one PDF server process that has loaded WeasyPrint and the
CJK fonts, and joined (``common.pdf``): no process holds more than a part's laid-out pages, the parts are laid out
on both cores, and the Celery worker never holds WeasyPrint's memory (docs/benchmarks.md, "Fifth round").
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import pgettext

from common.money import format_wan
from common.pdf import PART_BREAK, Workers, html_to_pdf
from stats.models import Indicator

from ..charts import Bar, RankPoint, gap_bar_chart, rank_trend_chart
from ..models import Unit
from .narrative import _dec, indicator_label, pct_text, pp_text, rank_change_text

HTML_CONTENT_TYPE = "text/html; charset=utf-8"
PDF_CONTENT_TYPE = "application/pdf"
TEMPLATE = "reporting/evaluation_report.html"


def evaluation_charts(figures: dict[str, Any]) -> dict[str, Any]:
    """The SVGs of the document: the group's gap per indicator, each county's GDP gap, and per county its gap per
    indicator and its GDP rank over the years."""
    indicators = figures["indicators"]
    counties = figures["counties"]
    group_chart = gap_bar_chart(
        [Bar(indicator_label(code), _dec(figures["group"].get(code, {}).get("gap_pp"))) for code in indicators],
        title="弱县整体增速与全省增速之差(百分点)",
    )
    gdp_gaps = [(c["name"], _dec(c["indicators"].get(Indicator.GDP, {}).get("gap_pp"))) for c in counties]
    # Widest lead first, counties without a figure last; the name breaks ties so the order never depends on the input.
    gdp_gaps.sort(key=lambda item: (item[1] is None, -(item[1] or 0), item[0]))
    gdp_chart = gap_bar_chart(
        [Bar(name, gap) for name, gap in gdp_gaps], title="各弱县地区生产总值增速与全省之差(百分点)"
    )
    per_county = {}
    for c in counties:
        per_county[c["adcode"]] = {
            "gaps": gap_bar_chart(
                [Bar(indicator_label(code), _dec(c["indicators"].get(code, {}).get("gap_pp"))) for code in indicators],
                title=f"{c['name']}:各指标增速与全省之差(百分点)",
                width=360,
                label_width=110,
                bar_height=12,
                row_gap=5,
            ),
            "ranks": rank_trend_chart(
                [RankPoint(point["period"], point["rank"]) for point in c["gdp_rank_history"]],
                title=f"{c['name']}:地区生产总值全省位次",
                ranked_count=c["gdp_ranked_count"],
                width=300,
            ),
        }
    return {"group": group_chart, "gdp": gdp_chart, "counties": per_county}


def _target_value_text(value: str | None, unit: str) -> str:
    if value is None:
        return "—"
    amount = Decimal(value)
    if unit == Unit.YUAN:
        return format_wan(amount)  # a table column: one unit down it
    if unit in (Unit.COUNT, Unit.RANK):
        return f"{amount:,.0f}"
    if unit == Unit.PERCENT:
        return pct_text(amount)
    return pp_text(amount)


def evaluation_document(figures: dict[str, Any], *, charts: dict[str, Any]) -> dict[str, Any]:
    """The figures arranged for the template: labels resolved, numbers rounded for display."""
    from projects.models import Stage

    from ..models import Direction, Metric

    names = {c["adcode"]: c["name"] for c in figures["counties"]}
    indicators = [{"code": code, "label": indicator_label(code)} for code in figures["indicators"]]

    def indicator_rows(source: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        rows = []
        for code in figures["indicators"]:
            item = source.get(code)
            rows.append(
                {
                    "code": code,
                    "label": indicator_label(code),
                    "present": item is not None,
                    "growth": pct_text(item and item["growth_pct"]),
                    "derived": bool(item and item["growth_derived"]),
                    "province": pct_text(item and item["province_growth_pct"]),
                    "gap": pp_text(item and item["gap_pp"]),
                    "rank": item["rank"] if item and item["rank"] is not None else "—",
                    "ranked_count": item["ranked_count"] if item and item["rank"] is not None else None,
                    "previous_rank": item["previous_rank"] if item and item["previous_rank"] is not None else "—",
                    "rank_change": rank_change_text(item and item["rank_change"]),
                    # Among ten or fewer ranked units every one is "in the bottom ten": the mark would say nothing.
                    "bottom_ten": bool(item and item["in_bottom_ten"] and item["ranked_count"] > 10),
                }
            )
        return rows

    group_rows = []
    for code in figures["indicators"]:
        item = figures["group"].get(code)
        group_rows.append(
            {
                "code": code,
                "label": indicator_label(code),
                "growth": pct_text(item and item["group_growth_pct"]),
                "province": pct_text(item and item["province_growth_pct"]),
                "gap": pp_text(item and item["gap_pp"]),
                "covered": item["members_covered"] if item else 0,
                "total": item["members_total"] if item else figures["weak_total"],
            }
        )
    metric_labels = dict(Metric.choices)
    direction_signs = {Direction.AT_LEAST: "≥", Direction.AT_MOST: "≤"}
    counties = []
    for c in figures["counties"]:
        gdp = c["indicators"].get(Indicator.GDP, {})
        counties.append(
            {
                **c,
                "gdp_growth": pct_text(gdp.get("growth_pct")),
                "gdp_gap": pp_text(gdp.get("gap_pp")),
                "gdp_rank": gdp.get("rank") if gdp.get("rank") is not None else "—",
                "gdp_rank_change": rank_change_text(gdp.get("rank_change")),
                "gdp_bottom_ten": bool(gdp.get("in_bottom_ten")),
                "gdp_exited": bool(gdp.get("exited_bottom_ten")),
                "indicator_rows": indicator_rows(c["indicators"]),
                "planned": format_wan(Decimal(c["projects"]["planned_investment"])),
                "completed": format_wan(Decimal(c["projects"]["completed_investment"])),
                "received": format_wan(Decimal(c["money"]["guidance_received"])),
                "allocated": format_wan(Decimal(c["money"]["guidance_allocated"])),
                "bonds_issued": format_wan(Decimal(c["money"]["bonds_issued"])),
                "bond_quota": format_wan(_dec(c["money"]["bond_quota"])),
                "stage_counts": [c["projects"]["stages"][stage] for stage in Stage.values],
                "target_rows": [
                    {
                        **t,
                        "label": t["title"]
                        or (
                            f"{metric_labels.get(t['metric'], t['metric'])}"
                            + (f"({indicator_label(t['indicator'])})" if t["indicator"] else "")
                        ),
                        "target_text": f"{direction_signs.get(t['direction'], '')} "
                        f"{_target_value_text(t['target'], t['unit'])}",
                        "actual_text": _target_value_text(t["actual"], t["unit"]),
                        "progress_text": pct_text(t["progress_pct"]),
                    }
                    for t in c["targets"]
                ],
                "narrative": figures["narrative"]["counties"].get(c["adcode"], []),
                "chart_gaps": mark_safe(charts["counties"][c["adcode"]]["gaps"]),  # built with every text escaped
                "chart_ranks": mark_safe(charts["counties"][c["adcode"]]["ranks"]),  # built with every text escaped
            }
        )
    # The impact chapter (synthetic control and difference-in-differences) is built by the impact app.
    from impact.narrative import impact_chapter

    impact = impact_chapter(program_code=figures["program"]["code"], year=figures["year"], counties=names)
    projects = figures["projects"]
    money = figures["money"]
    fund = money["guidance_fund"]
    sample = figures["sample"]
    return {
        **figures,
        "title": f"{figures['program']['name']} {figures['year']}年度"
        + (f"{scope['name']}" if (scope := figures.get("scope")) else "")
        + "县域经济发展评价报告",
        "generated_on": figures["generated_at"][:10],
        "indicator_columns": indicators,
        "group_rows": group_rows,
        "moved_up_names": [names.get(code, code) for code in figures["moved_up"]],
        "moved_down_names": [names.get(code, code) for code in figures["moved_down"]],
        "exited_names": [names.get(code, code) for code in figures["exited_bottom_ten"]],
        "bottom_ten_names": [names.get(code, code) for code in figures["in_bottom_ten"]],
        "stage_titles": [Stage(stage).label for stage in Stage.values],
        "project_stage_rows": [(Stage(stage).label, projects["stages"].get(stage, 0)) for stage in Stage.values],
        # Sentences of a paragraph: a space in English, nothing between Chinese sentences (the translation's).
        "sentence_separator": pgettext("sentence separator", " "),
        "planned": format_wan(Decimal(projects["planned_investment"])),
        "completed": format_wan(Decimal(projects["completed_investment"])),
        "fund_total": format_wan(_dec(fund["total"])) if fund else "—",
        "fund_allocated": format_wan(_dec(fund["allocated"])) if fund else "—",
        "received": format_wan(Decimal(money["guidance_received"])),
        "bond_quota": format_wan(_dec(money["bond_quota"])),
        "bonds_issued": format_wan(Decimal(money["bonds_issued"])),
        "has_sample": bool(sample["designations"] or sample["pairings"] or sample["targets"] or sample["statistics"]),
        "counties": counties,
        "program_narrative": figures["narrative"]["program"],
        "chart_group": mark_safe(charts["group"]),  # built with every text escaped
        "chart_gdp": mark_safe(charts["gdp"]),  # built with every text escaped
        "impact": impact,
        "part_break": mark_safe(PART_BREAK),  # where the PDF may be cut: before each county but the first
    }


def evaluation_html(figures: dict[str, Any], *, charts: dict[str, Any] | None = None) -> str:
    """The printable A4 document, from the figures alone."""
    charts = charts if charts is not None else evaluation_charts(figures)
    return render_to_string(TEMPLATE, {"doc": evaluation_document(figures, charts=charts)})


def evaluation_pdf_workers(counties: int) -> contextlib.AbstractContextManager[Workers | None]:
    """The worker processes for the PDF of a report of ``counties`` counties, started now so that they get ready
    while the figures are gathered (a context manager: they exit on leaving it); none for a report rendered
    whole."""
    if counties <= settings.EVALUATION_PDF_PART_COUNTIES:
        return contextlib.nullcontext()
    return Workers(settings.EVALUATION_PDF_PROCESSES, timeout=settings.EVALUATION_PDF_TIMEOUT)


def evaluation_pdf(html: str, *, workers: Workers | None = None) -> bytes:
    """The HTML document as PDF (WeasyPrint: needs Pango and a CJK font such as Noto Sans CJK on the machine). A
    report of many counties is rendered in parts of ``EVALUATION_PDF_PART_COUNTIES`` counties by the ``workers``
    started for it, or by ``EVALUATION_PDF_PROCESSES`` started now, and joined (``common.pdf``)."""
    return html_to_pdf(
        html,
        base_url=str(settings.BASE_DIR),
        part_size=settings.EVALUATION_PDF_PART_COUNTIES,
        processes=settings.EVALUATION_PDF_PROCESSES,
        timeout=settings.EVALUATION_PDF_TIMEOUT,
        workers=workers,
    )
