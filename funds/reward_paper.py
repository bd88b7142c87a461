"""A reward run as the finance office's working paper (测算底稿): the same tables on the admin page, the print page and
in the Excel workbook (``funds.exports.reward_run_workbook``).

The paper is built from what the run stored (its rule, the fund's figures it used and one line per weak county),
in Chinese, as the office files it whatever the reader's language: amounts in 万元 to the fen (six decimals), growth
to two decimals, each county's eligibility with its reason in words. Eligibility is read with
``funds.reward.assess_county``, the rule's only implementation, so the paper's reasons cannot drift from the run's.
Every cell is a ``Cell``: its value (a ``Decimal`` where it is a number, for the workbook) and its text (for pages).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.formats import date_format
from django.utils.timezone import localtime

from common.money import FEN, WAN

from .models import RewardBasis, RewardRun, RewardRunAction, RewardRunStatus
from .reward import CountyInput, RewardRule, RewardRuleError, assess_county

WAN_FEN = Decimal("0.000001")  # one fen in 万元
TWO = Decimal("0.01")
CHINESE_ACTIONS = {
    RewardRunAction.START: "开始测算（草稿）",
    RewardRunAction.RECOMPUTE: "重新测算",
    RewardRunAction.RULE: "修改规则并重新测算",
    RewardRunAction.CLOSE: "年度结账",
    RewardRunAction.REOPEN: "撤销年度结账",
}
RULE_NAMES = {"threshold_pct": "增长率门槛", "basis": "权重依据", "cap": "单县上限"}
BASIS_NAMES = {RewardBasis.INCREMENT: "主体税收增量", RewardBasis.RATE: "主体税收增长率"}


RELEASE_WORDS = {"preliminary": "初步核算", "revised": "修订"}


def release_text(release: str) -> str:
    """'2025 preliminary 2026-02-10; 2024 revised' → '2025年初步核算（2026-02-10）；2024年修订'."""
    parts = []
    for item in filter(None, (part.strip() for part in (release or "").split(";"))):
        words = item.split()
        if len(words) >= 2 and words[1] in RELEASE_WORDS:
            text_ = f"{words[0]}年{RELEASE_WORDS[words[1]]}"
            parts.append(text_ + (f"（{words[2]}）" if len(words) > 2 else ""))
        else:
            parts.append(item)
    return "；".join(parts) or "—"


def wan_fen(amount: Decimal | None) -> str:
    """¥16,244,444.45 → '1,624.444445 万元': 万元 to the fen."""
    if amount is None:
        return "—"
    return f"{wan_number(amount):,.6f} 万元"


def wan_number(amount: Decimal) -> Decimal:
    return (Decimal(amount) / WAN).quantize(WAN_FEN, rounding=ROUND_HALF_UP)


def pct2(value: Decimal | None) -> str:
    """3.333333… → '3.33%'."""
    if value is None:
        return "—"
    return f"{Decimal(value).quantize(TWO, rounding=ROUND_HALF_UP)}%"


@dataclass(frozen=True)
class Cell:
    """One cell: ``kind`` is text, wan (yuan shown in 万元 to the fen), pct (two decimals), fen (a fraction of a fen,
    two decimals) or int."""

    value: Any
    kind: str = "text"

    @property
    def text(self) -> str:
        if self.value is None:
            return "—"
        if self.kind == "wan":
            return f"{wan_number(self.value):,.6f}"
        if self.kind in ("pct", "fen"):
            return f"{Decimal(self.value).quantize(TWO, rounding=ROUND_HALF_UP):,}"
        return str(self.value)

    @property
    def number(self) -> Any:
        """The value as the workbook stores it: 万元 for money, the rounded figure for rates."""
        if self.value is None or self.kind == "text":
            return self.value
        if self.kind == "wan":
            return wan_number(self.value)
        if self.kind in ("pct", "fen"):
            return Decimal(self.value).quantize(TWO, rounding=ROUND_HALF_UP)
        return self.value

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


def text(value: Any) -> Cell:
    return Cell("—" if value in (None, "") else value)


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    total: list[Cell] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Paper:
    title: str
    tables: list[Table]


def _reason(assessment, county: CountyInput, rule: RewardRule) -> str:
    threshold = pct2(rule.threshold_pct)
    if assessment.eligible:
        return f"主体税收增长率 {pct2(county.growth_pct)}，高于门槛 {threshold}，符合奖励条件。"
    code = assessment.reason_code
    if code == "growth_unknown":
        return "缺少主体税收增长率（本年或上年数据未报），无法评定，不予奖励。"
    if code == "growth_not_above_threshold":
        return f"主体税收增长率 {pct2(county.growth_pct)}，未高于门槛 {threshold}，不予奖励。"
    if code == "increment_unknown":
        return "缺少本年或上年主体税收，无法计算增量，不予奖励。"
    if code == "weight_not_positive" and assessment.increment is not None and rule.basis == RewardBasis.INCREMENT:
        return f"主体税收增量 {wan_fen(assessment.increment)}，不为正数，不能作为分配权重，不予奖励。"
    if code == "weight_not_positive":
        return f"主体税收增长率 {pct2(county.growth_pct)}，不为正数，不能作为分配权重，不予奖励。"
    return "不符合奖励条件。"


def _rule_text(run: RewardRun) -> list[tuple[str, str]]:
    basis = BASIS_NAMES.get(run.basis, run.basis)
    return [
        ("奖励条件", f"弱县主体税收增长率高于 {pct2(run.threshold_pct)}（增长率未知的县不参与）"),
        ("分配权重", f"按{basis}占全部符合条件县合计的比例分配"),
        ("单县上限", wan_fen(run.cap) if run.cap is not None else "不设上限"),
        (
            "取整方法",
            "最大余数法：各县应得份额先舍去分以下尾数，余下的分按尾数从大到小逐一补足，奖励合计与结余分毫不差",
        ),
    ]


def _change_text(changes: dict) -> str:
    parts = []
    for name, value in sorted(changes.items()):
        label = RULE_NAMES.get(name, name)
        values = value if isinstance(value, list) else [value]
        shown = []
        for item in values:
            if item is None:
                shown.append("无")
            elif name == "cap":
                shown.append(wan_fen(Decimal(item)))
            elif name == "threshold_pct":
                shown.append(pct2(Decimal(item)))
            else:
                shown.append(BASIS_NAMES.get(item, str(item)))
        parts.append(f"{label}：{' → '.join(shown)}")
    return "；".join(parts) or "—"


def _when(moment) -> str:
    return "—" if moment is None else date_format(localtime(moment), "Y-m-d H:i")


def reward_paper(run: RewardRun) -> Paper:
    """The working paper of ``run`` (its fund, program, lines and edits are read here)."""
    fund = run.fund
    shares = list(run.shares.select_related("county").order_by("county_id"))
    rule = RewardRule(threshold_pct=Decimal(run.threshold_pct), basis=run.basis, cap=run.cap)
    status = "已批准并发放" if run.status == RewardRunStatus.APPROVED else "草稿（未批准）"
    year_state = f"已结账（{_when(fund.frozen_at)}）" if fund.frozen_at else "未结账（资金仍可分配、拨付）"
    basics = Table(
        "一、基本情况",
        ["项目", "内容"],
        [
            [text("资金"), text(str(fund))],
            [text("帮扶计划"), text(str(fund.program))],
            [text("统计期"), text(f"{run.period}年（与{int(run.period) - 1}年比较）" if run.period else "—")],
            *([text(label), text(value)] for label, value in _rule_text(run)),
            [text("状态"), text(status)],
            [text("年度结账"), text(year_state)],
            [text("测算时间"), text(_when(run.computed_at))],
            [text("批准"), text(f"{run.approved_by}（{_when(run.approved_at)}）" if run.approved_by else "—")],
        ],
    )
    surplus = Table(
        "二、结余计算",
        ["项目", "金额（万元）"],
        [
            [text("资金总额"), Cell(run.fund_total, "wan")],
            [text("减：已拨付"), Cell(run.disbursed, "wan")],
        ],
        total=[text("结余（可奖励金额）"), Cell(run.surplus, "wan")],
        notes=[
            f"结余 = 资金总额 − 已拨付 = {wan_fen(run.fund_total)} − {wan_fen(run.disbursed)} = {wan_fen(run.surplus)}"
        ],
    )

    eligibility = Table(
        "三、各县资格审查",
        [
            "县（市、区）",
            "行政区划代码",
            "上年主体税收（万元）",
            "本年主体税收（万元）",
            "增量（万元）",
            "增长率（%）",
            "是否符合",
            "理由",
            "数据来源",
        ],
    )
    eligible = []
    for share in shares:
        county = CountyInput(
            adcode=share.county_id,
            name=share.county.name,
            main_tax_current=share.main_tax,
            main_tax_previous=share.main_tax_previous,
            growth_pct=share.growth_pct,
            release=share.release,
        )
        try:
            assessment = assess_county(county, rule)
        except RewardRuleError:  # figures the rule cannot read: the run's own verdict stands
            reason = share.reason or "—"
        else:
            reason = _reason(assessment, county, rule)
        if share.eligible:
            eligible.append(share)
        eligibility.rows.append(
            [
                text(share.county.name),
                text(share.county_id),
                Cell(share.main_tax_previous, "wan"),
                Cell(share.main_tax, "wan"),
                Cell(share.increment, "wan"),
                Cell(share.growth_pct, "pct"),
                text("符合" if share.eligible else "不符合"),
                text(reason),
                text(release_text(share.release)),
            ]
        )
    eligibility.notes.append(f"符合条件的县 {len(eligible)} 个，共 {len(shares)} 个弱县参与审查。")

    weight_kind = "wan" if run.basis == RewardBasis.INCREMENT else "pct"
    weight_header = "权重：主体税收增量（万元）" if run.basis == RewardBasis.INCREMENT else "权重：主体税收增长率（%）"
    total_weight = sum((Decimal(share.weight) for share in eligible if share.weight is not None), Decimal(0))
    allocation = Table(
        "四、权重与分配",
        [
            "县（市、区）",
            weight_header,
            "权重占比（%）",
            "应得份额（万元，未取整）",
            "舍去分以下尾数后（万元）",
            "尾数（分）",
            "补足一分",
            "封顶",
            "奖励金额（万元）",
        ],
    )
    truncated_total = Decimal("0.00")
    for share in eligible:
        exact = Decimal(share.exact_share)
        truncated = exact.quantize(FEN, rounding=ROUND_DOWN)
        truncated_total += truncated
        remainder_fen = (exact - truncated) * 100
        extra = not share.capped and share.share > truncated
        ratio = Decimal(share.weight) * 100 / total_weight if total_weight else None
        allocation.rows.append(
            [
                text(share.county.name),
                Cell(share.weight, weight_kind),
                Cell(ratio, "pct"),
                Cell(exact, "wan"),
                Cell(truncated, "wan"),
                Cell(None if share.capped else remainder_fen, "fen"),
                text("是" if extra else "否"),
                text("是" if share.capped else "否"),
                Cell(share.share, "wan"),
            ]
        )
    paid = sum((share.share for share in shares), Decimal("0.00"))
    allocation.total = [
        text("合计"),
        Cell(total_weight if eligible else None, weight_kind),
        Cell(Decimal(100) if eligible else None, "pct"),
        Cell(run.surplus if eligible else None, "wan"),
        Cell(truncated_total if eligible else None, "wan"),
        text(""),
        text(""),
        text(""),
        Cell(paid, "wan"),
    ]
    leftover_fen = int(((run.surplus - truncated_total) * 100).to_integral_value()) if eligible else 0
    if eligible:
        allocation.notes.append(
            f"应得份额 = 结余 × 本县权重 ÷ 权重合计；各县舍去分以下尾数后合计 {wan_fen(truncated_total)}，"
            f"与结余相差 {leftover_fen} 分，按尾数从大到小各补一分（尾数相同时行政区划代码小者优先）。"
        )
    else:
        allocation.notes.append("没有符合条件的县，结余为零，无需分配。")
    for step in run.explainer or []:
        if step.get("code") == "cap" and step.get("capped"):
            names = "、".join(item.get("name", "") for item in step["capped"])
            allocation.notes.append(
                f"第{step.get('round')}轮：{names}的应得份额超过单县上限 {wan_fen(Decimal(step['cap']))}，按上限核定；"
                f"其余 {wan_fen(Decimal(step['remaining_pool']))} 在其他符合条件的县之间按权重重新分配。"
            )
    allocation.notes.append(
        f"核对：各县奖励合计 {wan_fen(paid)}，结余 {wan_fen(run.surplus)}，"
        + ("两者相等。" if paid == run.surplus else "两者不等，请重新测算。")
    )

    log = Table("五、经办记录", ["时间", "经办人", "操作", "变更内容"])
    for edit in run.edits.select_related("by").order_by("at", "id"):
        log.rows.append(
            [
                text(_when(edit.at)),
                text(edit.by.get_username() if edit.by else "系统（年终定时任务）"),
                text(CHINESE_ACTIONS.get(edit.action, edit.action)),
                text(
                    _change_text(edit.changes) if edit.action in (RewardRunAction.START, RewardRunAction.RULE) else "—"
                ),
            ]
        )
    if run.approved_by is not None:
        log.rows.append(
            [text(_when(run.approved_at)), text(run.approved_by.get_username()), text("批准并发放"), text("—")]
        )
    log.notes.append("参与起草、重新测算、修改规则、年度结账或撤销结账的人员，不能批准本次奖励（双人复核）。")

    title = f"{fund.year}年度{fund.program}{fund.name}结余奖励测算底稿"
    return Paper(title=title, tables=[basics, surplus, eligibility, allocation, log])
