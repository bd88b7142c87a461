"""A hand-checked case in the shape of the program's 2025 headline (docs/domain.md §3, last paragraph).

The ten weak counties' GDP grows 5.4% as a group; their FAI, general budget revenue and tax revenue grow 11.6, 3.8
and 5.8 pp faster than the province; four of them move up the provincial GDP ranking; 高青 and 蒙阴 leave the bottom
ten. The arithmetic, by hand:

- GDP (reported growth, weights = 2024 levels in 亿元 190,189,…,181): every weak county grows 5.4% except
  台儿庄 5.581 and S4 5.21 (190·0.181 = 181·0.190 = 34.39), 高青 5.77 and
  蒙阴 5.028 (186·0.37 = 185·0.372 = 68.82) — the deviations cancel in the weighted sum, so the group grows exactly
  5.4%; the province reports 5.0%, so the gap is 0.4 pp.
- FAI (rates only; weights derived as current/(1+g)): five counties at 20% with 12亿 this year (weight 10亿), five at
  9.2% with 10.92亿 (weight 10亿): group 14.6%, province 3.0%, gap 11.6 pp.
- General budget revenue (levels only; growth derived): five from 10亿 to 10.53亿 (5.3%), five from 10亿 to 10.73亿
  (7.3%): group 6.3% = Σcurrent/Σprevious − 1, province 2.5%, gap 3.8 pp.
- Tax (reported growth): nine counties at 7.3% with 2024 levels of 5亿; the tenth reports 50% with no levels and is
  left out (9 of 10 covered): group 7.3%, province 1.5%, gap 5.8 pp.
- GDP ranks among Shandong's 136 county-level units (亿元): the 126 other counties have 200…325 in 2024 and
  212…335 in 2025, except the two smallest (X 200 → 195, Y 201 → 196). The weak counties fall from ranks 127–136 in
  2024 to: 高青 125 (+6), 蒙阴 126 (+6), S3 129 (+6), S2 130 (+4), 台儿庄 131 (−4), 沾化 132, 武城 133, 庆云 134
  (−4 each), S1 135 (−2), S4 136 (0). Moved up: 高青, 蒙阴, S2, S3. Exited the bottom ten: 高青, 蒙阴.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

PROGRAM = "headline-2025"
YI = Decimal(100_000_000)

# (strong, weak) — the five documented pairs, then five test pairs (S1–S4 and 高青 need partners for the program).
PAIRS = [
    ("370211", "370405"),  # 黄岛区 → 台儿庄区
    ("370202", "371603"),  # 市南区 → 沾化区
    ("370112", "371328"),  # 历城区 → 蒙阴县
    ("370681", "371428"),  # 龙口市 → 武城县
    ("370602", "371423"),  # 芝罘区 → 庆云县
    ("370215", "370322"),  # 即墨区 → 高青县
    ("370281", "371725"),  # 胶州市 → 郓城县 (S1)
    ("370783", "371726"),  # 寿光市 → 鄄城县 (S2)
    ("370883", "371526"),  # 邹城市 → 高唐县 (S3)
    ("370481", "371327"),  # 滕州市 → 莒南县 (S4)
]
WEAK = [weak for _strong, weak in PAIRS]
TAIERZHUANG, ZHANHUA, MENGYIN, WUCHENG, QINGYUN, GAOQING, S1, S2, S3, S4 = WEAK

GDP_2024 = {
    TAIERZHUANG: 190,
    ZHANHUA: 189,
    WUCHENG: 188,
    QINGYUN: 187,
    GAOQING: 186,
    MENGYIN: 185,
    S1: 184,
    S2: 183,
    S3: 182,
    S4: 181,
}
GDP_2025 = {
    TAIERZHUANG: 193,
    ZHANHUA: 192,
    WUCHENG: 191,
    QINGYUN: 190,
    GAOQING: 198,
    MENGYIN: 197,
    S1: 189,
    S2: Decimal("193.5"),
    S3: 194,
    S4: 188,
}
GDP_GROWTH = {
    TAIERZHUANG: "5.581",
    ZHANHUA: "5.4",
    WUCHENG: "5.4",
    QINGYUN: "5.4",
    GAOQING: "5.77",
    MENGYIN: "5.028",
    S1: "5.4",
    S2: "5.4",
    S3: "5.4",
    S4: "5.21",
}
EXPECTED_RANKS = {
    GAOQING: (131, 125),
    MENGYIN: (132, 126),
    S3: (135, 129),
    S2: (134, 130),
    TAIERZHUANG: (127, 131),
    ZHANHUA: (128, 132),
    WUCHENG: (129, 133),
    QINGYUN: (130, 134),
    S1: (133, 135),
    S4: (136, 136),
}
EXPECTED_GAPS = {"gdp": "0.4", "fai": "11.6", "gpbr": "3.8", "tax": "5.8"}
EXPECTED_GROUP = {"gdp": "5.4", "fai": "14.6", "gpbr": "6.3", "tax": "7.3"}
PROVINCE_GROWTH = {"gdp": "5.0", "fai": "3.0", "gpbr": "2.5", "tax": "1.5"}


def write_pairings(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["program", "strong", "weak", "start_date", "source"])
        for strong, weak in PAIRS:
            writer.writerow([PROGRAM, strong, weak, "2024-09-01", "测试用结对清单"])
    return path


def write_indicators(path: Path, shandong_counties: list[str]) -> Path:
    """The statistics file of the case; ``shandong_counties`` are the 136 county-level adcodes."""
    others = sorted(set(shandong_counties) - set(WEAK))
    assert len(others) == 126
    rows: list[list[object]] = []
    source = "测试统计公报"
    for indicator, growth in PROVINCE_GROWTH.items():
        if indicator != "gdp":
            rows.append(["370000", indicator, "2025", "", growth, source])
    # The province's own GDP level: deliberately not the sum of its counties.
    rows.append(["370000", "gdp", "2025", str(9 * 10**12), "5.0", source])
    for i, code in enumerate(others):
        level_2024 = 200 + i
        level_2025 = {0: 195, 1: 196}.get(i, 210 + i)
        rows.append([code, "gdp", "2024", str(level_2024 * YI), "", source])
        rows.append([code, "gdp", "2025", str(level_2025 * YI), "", source])
    for code in WEAK:
        rows.append([code, "gdp", "2024", str(GDP_2024[code] * YI), "", source])
        rows.append([code, "gdp", "2025", str(Decimal(GDP_2025[code]) * YI), GDP_GROWTH[code], source])
    for n, code in enumerate(WEAK):
        fast = n < 5
        fai_level, fai_growth = (12, "20") if fast else (Decimal("10.92"), "9.2")
        rows.append([code, "fai", "2025", str(fai_level * YI), fai_growth, source])
        rows.append([code, "gpbr", "2024", str(10 * YI), "", source])
        rows.append([code, "gpbr", "2025", str((Decimal("10.53") if fast else Decimal("10.73")) * YI), "", source])
        if code == S4:
            rows.append([code, "tax", "2025", "", "50", source])
        else:
            rows.append([code, "tax", "2024", str(5 * YI), "", source])
            rows.append([code, "tax", "2025", "", "7.3", source])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["region", "indicator", "period", "value", "growth_pct", "source"])
        writer.writerows(rows)
    return path
