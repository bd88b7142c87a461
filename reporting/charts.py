"""Small server-side SVG charts for the evaluation report: no JavaScript, so they print and go into a PDF as they are.

Pure string building. Every text is escaped; coordinates are written with one decimal place and the inputs are
taken in the order given, so the same figures always give the same bytes. Labels are the callers' (county and
indicator names); the few words a chart writes itself are the document's Chinese vocabulary, like the bulletin's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.html import escape

from common.periods import ONE_PLACE

FONT_FAMILY = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif"
AHEAD = "#2e7d32"  # faster than the province
BEHIND = "#c62828"  # slower
NEUTRAL = "#555555"
GRID = "#d0d0d0"
BOTTOM_BAND = "#fbe3e3"
LINE = "#1f5f8b"
NO_DATA = "无数据"
BOTTOM_TEN = "后十位"
NICE_STEPS = (1, 2, 2.5, 5)


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | None


@dataclass(frozen=True)
class RankPoint:
    period: str
    rank: int | None


def _n(value: float) -> str:
    """A coordinate: one decimal place, no trailing zero, never "-0"."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def signed_one_place(value: Decimal) -> str:
    """+0.4 / −1.2 / 0.0: one decimal place (half up), with a sign."""
    rounded = Decimal(value).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
    if rounded == 0:
        return "0.0"
    return f"+{rounded}" if rounded > 0 else f"−{-rounded}"


def _nice_step(span: float, ticks: int = 4) -> float:
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in NICE_STEPS:
        if step * magnitude >= raw:
            return step * magnitude
    return 10 * magnitude


def _tick_text(value: float, step: float) -> str:
    places = 0 if float(step).is_integer() else (1 if float(step * 10).is_integer() else 2)
    text = f"{value:.{places}f}"
    if float(text) == 0:
        return "0"
    return text.replace("-", "−")


def _svg(width: float, height: float, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label="{escape(label)}" '
        f'font-family="{escape(FONT_FAMILY)}" font-size="11">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )


def _text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    fill: str = "#222",
    size: int | None = None,
    weight: str | None = None,
) -> str:
    extra = f' font-size="{size}"' if size else ""
    extra += f' font-weight="{weight}"' if weight else ""
    return f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" fill="{fill}"{extra}>{escape(content)}</text>'


def gap_bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    unit: str = "pp",
    width: int = 600,
    label_width: int = 120,
    bar_height: int = 14,
    row_gap: int = 8,
) -> str:
    """Horizontal bars of growth gaps against the province (pp): right and green when faster, left and red when
    slower, a zero line, a value column on the right. A bar without a value says so instead of drawing nothing."""
    top, axis = 24, 20
    value_width = 64
    plot_left, plot_right = label_width, width - value_width
    plot_width = plot_right - plot_left
    height = top + len(bars) * (bar_height + row_gap) + axis
    values = [float(bar.value) for bar in bars if bar.value is not None]
    low, high = min([0.0, *values]), max([0.0, *values])
    if high - low == 0:
        high = 1.0
    step = _nice_step(high - low)
    low = math.floor(low / step + 1e-9) * step
    high = math.ceil(high / step - 1e-9) * step

    def x_of(value: float) -> float:
        return plot_left + (value - low) / (high - low) * plot_width

    body = [_text(0, 14, title, size=12, weight="bold")]
    grid_bottom = top + len(bars) * (bar_height + row_gap)
    ticks = round((high - low) / step)
    for i in range(ticks + 1):
        value = low + i * step
        x = x_of(value)
        colour = NEUTRAL if abs(value) < 1e-9 else GRID
        body.append(
            f'<line x1="{_n(x)}" y1="{_n(top - 4)}" x2="{_n(x)}" y2="{_n(grid_bottom)}" stroke="{colour}" '
            f'stroke-width="{1 if colour == NEUTRAL else 0.5}"/>'
        )
        body.append(_text(x, grid_bottom + 13, _tick_text(value, step), anchor="middle", fill=NEUTRAL, size=9))
    body.append(_text(plot_right + value_width - 2, grid_bottom + 13, unit, anchor="end", fill=NEUTRAL, size=9))
    zero = x_of(0.0)
    for i, bar in enumerate(bars):
        y = top + i * (bar_height + row_gap)
        middle = y + bar_height / 2 + 4
        body.append(_text(plot_left - 6, middle, bar.label, anchor="end"))
        if bar.value is None:
            body.append(_text(zero + 4, middle, NO_DATA, fill=NEUTRAL))
            body.append(_text(plot_right + value_width - 2, middle, "—", anchor="end", fill=NEUTRAL))
            continue
        end = x_of(float(bar.value))
        left, right = min(zero, end), max(zero, end)
        colour = AHEAD if bar.value > 0 else BEHIND if bar.value < 0 else NEUTRAL
        body.append(
            f'<rect x="{_n(left)}" y="{_n(y)}" width="{_n(max(right - left, 1))}" height="{bar_height}" '
            f'fill="{colour}"/>'
        )
        body.append(_text(plot_right + value_width - 2, middle, signed_one_place(bar.value), anchor="end", fill=colour))
    return _svg(width, height, title, body)


def rank_trend_chart(
    points: Sequence[RankPoint],
    *,
    title: str,
    ranked_count: int | None,
    bottom: int = 10,
    width: int = 300,
    height: int = 170,
) -> str:
    """Rank by year (1 = largest at the top) as a line, with the province's bottom ``bottom`` shaded when the range
    reaches it. The vertical range is zoomed to the ranks shown, so a move of a few places is visible."""
    left, right, top, bottom_margin = 40, 14, 26, 24
    plot_height = height - top - bottom_margin
    plot_width = width - left - right
    body = [_text(0, 14, title, size=12, weight="bold")]
    ranks = [point.rank for point in points if point.rank is not None]
    if not ranks:
        body.append(_text(width / 2, top + plot_height / 2, NO_DATA, anchor="middle", fill=NEUTRAL))
        return _svg(width, height, title, body)
    first, last = max(1, min(ranks) - 5), max(ranks) + 3
    if ranked_count and ranked_count - max(ranks) <= 20:
        last = max(last, ranked_count)
    if last - first < 10:
        first = max(1, last - 10)
    step = max(1, int(_nice_step(last - first)))

    def y_of(rank: float) -> float:
        return top + (rank - first) / (last - first) * plot_height

    def x_of(i: int) -> float:
        if len(points) == 1:
            return left + plot_width / 2
        return left + 10 + i * (plot_width - 20) / (len(points) - 1)

    if ranked_count:
        band_top = max(first, ranked_count - bottom + 1)
        if band_top <= last:
            y0, y1 = y_of(band_top - 0.5), y_of(min(last, ranked_count) + 0.5)
            y0, y1 = max(y0, top), min(y1, top + plot_height)
            body.append(
                f'<rect x="{left}" y="{_n(y0)}" width="{plot_width}" height="{_n(y1 - y0)}" fill="{BOTTOM_BAND}"/>'
            )
            body.append(_text(left + plot_width - 2, y1 - 3, BOTTOM_TEN, anchor="end", fill=BEHIND, size=9))
    tick = -(-first // step) * step  # the first multiple of the step in range
    while tick <= last:
        y = y_of(tick)
        body.append(
            f'<line x1="{left}" y1="{_n(y)}" x2="{left + plot_width}" y2="{_n(y)}" stroke="{GRID}" stroke-width="0.5"/>'
        )
        body.append(_text(left - 4, y + 3, str(tick), anchor="end", fill=NEUTRAL, size=9))
        tick += step
    body.append(f'<rect x="{left}" y="{top}" width="{plot_width}" height="{plot_height}" fill="none" stroke="{GRID}"/>')
    known = [(x_of(i), y_of(point.rank), point.rank) for i, point in enumerate(points) if point.rank is not None]
    if len(known) > 1:
        path = " ".join(f"{_n(x)},{_n(y)}" for x, y, _rank in known)
        body.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for x, y, rank in known:
        body.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3" fill="{LINE}"/>')
        body.append(_text(x, y - 6, str(rank), anchor="middle", fill=LINE, size=10, weight="bold"))
    for i, point in enumerate(points):
        body.append(_text(x_of(i), height - 8, point.period, anchor="middle", fill=NEUTRAL, size=9))
        if point.rank is None:
            body.append(_text(x_of(i), top + plot_height / 2, "—", anchor="middle", fill=NEUTRAL))
    return _svg(width, height, title, body)
