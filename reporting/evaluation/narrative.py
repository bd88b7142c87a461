"""The evaluation report in words: figures rounded for display (1 decimal for % and pp) and the sentences of the
narrative, assembled from the stored figures alone and saying plainly when a figure is missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from common.money import format_money
from common.periods import ONE_PLACE
from stats.models import Indicator


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


# --- Display ----------------------------------------------------------------------------------------------------------


def rounded(value: Decimal | str | None) -> Decimal | None:
    """One decimal place, half up: how % and pp are shown."""
    if value is None:
        return None
    result = Decimal(value).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
    return result if result != 0 else Decimal("0.0")


def pct_text(value: Decimal | str | None) -> str:
    """5.4% (one decimal place), or — when missing."""
    shown = rounded(value)
    return "—" if shown is None else f"{shown}%"


def pp_text(value: Decimal | str | None) -> str:
    """+0.4 / -1.2 / 0.0 percentage points (one decimal place), or — when missing."""
    shown = rounded(value)
    if shown is None:
        return "—"
    return f"+{shown}" if shown > 0 else str(shown)


def rank_change_text(change: int | None) -> str:
    if change is None:
        return "—"
    if change > 0:
        return f"↑{change}"
    if change < 0:
        return f"↓{-change}"
    return "0"


def indicator_label(code: str) -> str:
    return str(Indicator(code).label) if code in Indicator.values else code


def _names(codes: Iterable[str], names: dict[str, str]) -> str:
    return pgettext("list separator", ", ").join(names.get(code, code) for code in codes)


def _growth_sentence(*, subject: str, growth: Decimal | None, gap: Decimal | None, province: Decimal | None) -> str:
    """One indicator's growth against the province, decided on the rounded gap (what the reader sees)."""
    values = {"subject": subject, "growth": pct_text(growth), "province": pct_text(province)}
    shown_gap = rounded(gap)
    if shown_gap is None:
        return _("%(subject)s grew %(growth)s; the province's own growth is not recorded.") % values
    values["gap"] = str(abs(shown_gap))
    if shown_gap > 0:
        return _("%(subject)s grew %(growth)s, %(gap)s percentage points faster than the province (%(province)s).") % (
            values
        )
    if shown_gap < 0:
        return _("%(subject)s grew %(growth)s, %(gap)s percentage points slower than the province (%(province)s).") % (
            values
        )
    return _("%(subject)s grew %(growth)s, as fast as the province (%(province)s).") % values


def evaluation_narrative(figures: dict[str, Any]) -> dict[str, Any]:
    """The program's paragraph and each county's, assembled from the figures alone: every number in them is one of
    the figures, rounded as the tables show it, and a missing figure is said to be missing."""
    year, weak_total = figures["year"], figures["weak_total"]
    counties, group = figures["counties"], figures["group"]
    names = {c["adcode"]: c["name"] for c in counties}
    lines: list[str] = []
    values: dict[str, Any] = {"year": year, "count": weak_total}
    if weak_total == 0:
        lines.append(_("The program has no weak counties designated."))
    for code in figures["indicators"]:
        item = group.get(code)
        label = indicator_label(code)
        if item is None or item["group_growth_pct"] is None:
            if weak_total:
                lines.append(
                    _("No %(indicator)s growth of the weak counties is recorded for %(year)s.")
                    % {"indicator": label, "year": year}
                )
            continue
        if code == Indicator.GDP:
            subject = (
                ngettext(
                    "In %(year)s the %(count)d weak county's GDP",
                    "In %(year)s the %(count)d weak counties' GDP, taken together,",
                    weak_total,
                )
                % values
            )
        else:
            subject = _("Their %(indicator)s") % {"indicator": label}
        sentence = _growth_sentence(
            subject=subject,
            growth=_dec(item["group_growth_pct"]),
            gap=_dec(item["gap_pp"]),
            province=_dec(item["province_growth_pct"]),
        )
        if item["members_covered"] < item["members_total"]:
            sentence += " " + _("(Figures for %(covered)d of the %(total)d counties.)") % {
                "covered": item["members_covered"],
                "total": item["members_total"],
            }
        lines.append(sentence)
    if weak_total and not figures["indicators"]:
        lines.append(_("No growth figures of the weak counties are recorded for %(year)s.") % values)
    if weak_total and not figures["gdp_ranked"]:
        lines.append(_("No GDP ranking of the weak counties is recorded for %(year)s.") % values)
    elif figures["gdp_ranked"]:
        moved_up = figures["moved_up"]
        if moved_up:
            lines.append(
                ngettext(
                    "%(moved)d of the %(count)d weak counties moved up in the provincial GDP ranking: %(names)s.",
                    "%(moved)d of the %(count)d weak counties moved up in the provincial GDP ranking: %(names)s.",
                    len(moved_up),
                )
                % {"moved": len(moved_up), "count": weak_total, "names": _names(moved_up, names)}
            )
        elif figures["gdp_rank_compared"]:
            lines.append(_("None of the weak counties moved up in the provincial GDP ranking."))
        else:
            lines.append(_("The previous year's GDP ranking is not recorded, so rank changes cannot be stated."))
        exited = figures["exited_bottom_ten"]
        if exited:
            lines.append(
                _("%(names)s left the bottom ten of the provincial GDP ranking.") % {"names": _names(exited, names)}
            )
        elif figures["gdp_rank_compared"]:
            lines.append(_("No weak county left the bottom ten of the provincial GDP ranking."))
        still = figures["in_bottom_ten"]
        if still:
            lines.append(
                ngettext(
                    "%(number)d weak county is in the bottom ten: %(names)s.",
                    "%(number)d weak counties are in the bottom ten: %(names)s.",
                    len(still),
                )
                % {"number": len(still), "names": _names(still, names)}
            )
    lines.extend(_project_sentences(figures["projects"], year, whose="program"))
    lines.extend(_money_sentences_program(figures["money"], year))
    targets = figures["targets"]
    if targets["total"]:
        sentence = ngettext(
            "%(met)d of the %(total)d target was met.", "%(met)d of the %(total)d targets were met.", targets["total"]
        ) % {"met": targets["met"], "total": targets["total"]}
        if targets["without_actual"]:
            sentence += " " + ngettext(
                "%(number)d has no actual figure yet.",
                "%(number)d have no actual figure yet.",
                targets["without_actual"],
            ) % {"number": targets["without_actual"]}
        lines.append(sentence)
    elif weak_total:
        lines.append(_("No targets are set for %(year)s.") % values)
    if figures.get("scope"):
        lines = []  # a county's report has no program paragraph: the program's figures are every county's
    return {"program": lines, "counties": {c["adcode"]: _county_narrative(c, year) for c in counties}}


def _stage_text(stages: dict[str, int]) -> str:
    from projects.models import Stage

    parts = [
        _("%(stage)s %(count)d") % {"stage": Stage(stage).label, "count": count}
        for stage, count in stages.items()
        if count
    ]
    return pgettext("list separator", ", ").join(parts)


def _project_sentences(projects: dict[str, Any], year: int, *, whose: str) -> list[str]:
    values = {
        "count": projects["count"],
        "stages": _stage_text(projects["stages"]),
        "planned": format_money(Decimal(projects["planned_investment"])),
        "completed": format_money(Decimal(projects["completed_investment"])),
        "year": year,
        "started": projects["started_in_year"],
        "producing": projects["producing_in_year"],
        "signed": projects["signed_in_year"],
    }
    if projects["count"] == 0:
        if whose == "program":
            return [_("No projects are recorded for the weak counties' pairings.")]
        return [_("No projects are recorded for its pairing.")]
    return [
        ngettext(
            "%(count)d live project (%(stages)s) with a planned investment of %(planned)s; %(completed)s invested "
            "by the end of %(year)s according to the approved monthly reports.",
            "%(count)d live projects (%(stages)s) with a planned investment of %(planned)s; %(completed)s invested "
            "by the end of %(year)s according to the approved monthly reports.",
            projects["count"],
        )
        % values,
        _("In %(year)s: %(signed)d signed, %(started)d started construction, %(producing)d went into production.")
        % values,
    ]


def _money_sentences_program(money: dict[str, Any], year: int) -> list[str]:
    lines = []
    fund = money["guidance_fund"]
    values = {"year": year, "received": format_money(Decimal(money["guidance_received"]))}
    if fund is None:
        lines.append(_("No guidance fund is recorded for %(year)s.") % values)
    else:
        values["total"] = format_money(Decimal(fund["total"]))
        lines.append(_("The %(year)s guidance fund totals %(total)s.") % values)
    lines.append(_("The weak counties received %(received)s from the guidance fund in %(year)s.") % values)
    if money["bond_quota"] is None:
        lines.append(_("No special-bond quota is recorded for %(year)s.") % values)
    else:
        values.update(
            quota=format_money(Decimal(money["bond_quota"])), issued=format_money(Decimal(money["bonds_issued"]))
        )
        lines.append(_("Special bonds: %(issued)s issued in %(year)s against a quota of %(quota)s.") % values)
    return lines


def _county_narrative(county: dict[str, Any], year: int) -> list[str]:
    lines: list[str] = []
    partner = county["partner"]
    if partner is None:
        lines.append(_("No partner county is recorded for it."))
    else:
        lines.append(_("Assisted by %(partner)s.") % {"partner": partner["name"]})
    gdp = county["indicators"].get(Indicator.GDP)
    if gdp is None or gdp["growth_pct"] is None:
        lines.append(_("No GDP growth is recorded for it for %(year)s.") % {"year": year})
    else:
        lines.append(
            _growth_sentence(
                subject=_("Its GDP in %(year)s") % {"year": year},
                growth=_dec(gdp["growth_pct"]),
                gap=_dec(gdp["gap_pp"]),
                province=_dec(gdp["province_growth_pct"]),
            )
        )
    if gdp is not None and gdp["rank"] is not None:
        values = {
            "rank": gdp["rank"],
            "count": gdp["ranked_count"],
            "previous": gdp["previous_rank"],
            "places": abs(gdp["rank_change"] or 0),
        }
        change = gdp["rank_change"]
        if change is None:
            lines.append(_("It ranks %(rank)d of %(count)d in the province by GDP.") % values)
        elif change > 0:
            lines.append(
                ngettext(
                    "It ranks %(rank)d of %(count)d in the province by GDP, up %(places)d place from %(previous)d.",
                    "It ranks %(rank)d of %(count)d in the province by GDP, up %(places)d places from %(previous)d.",
                    values["places"],
                )
                % values
            )
        elif change < 0:
            lines.append(
                ngettext(
                    "It ranks %(rank)d of %(count)d in the province by GDP, down %(places)d place from %(previous)d.",
                    "It ranks %(rank)d of %(count)d in the province by GDP, down %(places)d places from %(previous)d.",
                    values["places"],
                )
                % values
            )
        else:
            lines.append(_("It ranks %(rank)d of %(count)d in the province by GDP, as the year before.") % values)
        if gdp["exited_bottom_ten"]:
            lines.append(_("It left the bottom ten."))
        elif gdp["in_bottom_ten"] and gdp["was_in_bottom_ten"]:
            lines.append(_("It remains in the bottom ten."))
        elif gdp["in_bottom_ten"]:
            lines.append(_("It is in the bottom ten."))
    elif gdp is not None:
        lines.append(_("Its GDP rank for %(year)s is not recorded.") % {"year": year})
    for code, figures in county["indicators"].items():
        if code == Indicator.GDP or figures["growth_pct"] is None:
            continue
        lines.append(
            _growth_sentence(
                subject=indicator_label(code),
                growth=_dec(figures["growth_pct"]),
                gap=_dec(figures["gap_pp"]),
                province=_dec(figures["province_growth_pct"]),
            )
        )
    lines.extend(_project_sentences(county["projects"], year, whose="county"))
    money = county["money"]
    values = {
        "year": year,
        "received": format_money(Decimal(money["guidance_received"])),
        "issued": format_money(Decimal(money["bonds_issued"])),
    }
    if Decimal(money["guidance_received"]):
        lines.append(_("It received %(received)s from the guidance fund in %(year)s.") % values)
    else:
        lines.append(_("No guidance-fund payment to it is recorded for %(year)s.") % values)
    if money["bond_quota"] is not None:
        values["quota"] = format_money(Decimal(money["bond_quota"]))
        lines.append(_("Special bonds: %(issued)s issued in %(year)s against a quota of %(quota)s.") % values)
    elif Decimal(money["bonds_issued"]):
        lines.append(_("Special bonds issued in %(year)s: %(issued)s.") % values)
    total = len(county["targets"])
    if total == 0:
        lines.append(_("No targets are set for it for %(year)s.") % {"year": year})
    else:
        sentence = ngettext(
            "%(met)d of its %(total)d target was met.", "%(met)d of its %(total)d targets were met.", total
        ) % {"met": county["targets_met"], "total": total}
        if county["targets_without_actual"]:
            sentence += " " + ngettext(
                "%(number)d has no actual figure yet.",
                "%(number)d have no actual figure yet.",
                county["targets_without_actual"],
            ) % {"number": county["targets_without_actual"]}
        lines.append(sentence)
    return lines
