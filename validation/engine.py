"""The checks of the validation rules, as functions of the figures: no database access here. The services of
projects (progress reports) and stats (statistics imports) gather the figures and call these."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from common.money import format_wan

from .models import RuleField, RuleKind, Severity, ValidationRule

HUNDRED = Decimal(100)
MONEY_FIELDS = {
    RuleField.CUMULATIVE_INVESTMENT,
    RuleField.MONTH_INVESTMENT,
    RuleField.OUTPUT_VALUE,
    RuleField.TAX_PAID,
}
# A Chinese (CJK) character is a word; so is a run of Latin letters or digits (with inner apostrophes or hyphens).
_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[A-Za-z0-9]+(?:['’\-.][A-Za-z0-9]+)*")


def word_count(text: str) -> int:
    return len(_WORD.findall(text or ""))


@dataclass(frozen=True)
class Finding:
    """What one rule found on one field: refused (error) or accepted and recorded (warning)."""

    rule: ValidationRule
    field: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.rule.severity == Severity.ERROR


@dataclass(frozen=True)
class ReportFigures:
    """A progress report's figures as the rules see them. ``previous`` holds the figures of the project's latest
    earlier report that was submitted or approved (``previous_period`` its month), if any."""

    values: Mapping[str, object]
    planned_investment: Decimal | None = None
    previous: Mapping[str, object] | None = None
    previous_period: str | None = None


def _shown(field: str, value) -> str:
    if value is None:
        return "—"
    if field in MONEY_FIELDS:
        return format_wan(Decimal(value))
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def _range(rule: ValidationRule, field: str, value) -> str | None:
    if value is None:
        return None
    value = Decimal(value)
    if rule.minimum is not None and value < rule.minimum:
        return _("%(value)s is below the lowest plausible value, %(bound)s.") % {
            "value": _shown(field, value),
            "bound": _shown(field, rule.minimum),
        }
    if rule.maximum is not None and value > rule.maximum:
        return _("%(value)s is above the highest plausible value, %(bound)s.") % {
            "value": _shown(field, value),
            "bound": _shown(field, rule.maximum),
        }
    return None


def _dates(rule: ValidationRule, value: dt.date | None) -> str | None:
    if value is None:
        return None
    if rule.earliest is not None and value < rule.earliest:
        return _("The date %(date)s is before %(bound)s: check the year.") % {"date": value, "bound": rule.earliest}
    if rule.latest is not None and value > rule.latest:
        return _("The date %(date)s is after %(bound)s.") % {"date": value, "bound": rule.latest}
    return None


def _words(rule: ValidationRule, text: str | None) -> str | None:
    count = word_count(text or "")
    if rule.max_words is not None and count > rule.max_words:
        return _("The text has %(count)d words; at most %(limit)d are taken. Keep to what needs coordinating.") % {
            "count": count,
            "limit": rule.max_words,
        }
    return None


def _jump(rule: ValidationRule, field: str, figures: ReportFigures) -> str | None:
    value = figures.values.get(field)
    before = (figures.previous or {}).get(field)
    if value is None or before is None or Decimal(before) == 0:
        return None
    change = (Decimal(value) / Decimal(before) - 1) * HUNDRED
    if abs(change) <= rule.threshold:
        return None
    return _(
        "%(value)s is %(change)s%% from %(before)s in %(period)s, more than the %(threshold)s%% a month that is "
        "plausible."
    ) % {
        "value": _shown(field, value),
        "change": f"{change.quantize(Decimal('0.1')):+f}",
        "before": _shown(field, before),
        "period": figures.previous_period,
        "threshold": _shown("", rule.threshold),
    }


def _falls(field: str, figures: ReportFigures) -> str | None:
    value = figures.values.get(field)
    before = (figures.previous or {}).get(field)
    if value is None or before is None or Decimal(value) >= Decimal(before):
        return None
    return _("The cumulative figure falls from %(before)s (%(period)s) to %(value)s.") % {
        "before": _shown(field, before),
        "period": figures.previous_period,
        "value": _shown(field, value),
    }


def _beyond_plan(rule: ValidationRule, field: str, figures: ReportFigures) -> str | None:
    value = figures.values.get(field)
    plan = figures.planned_investment
    if value is None or not plan:
        return None
    limit = plan * (1 + rule.threshold / HUNDRED)
    if Decimal(value) <= limit:
        return None
    return _("The completed investment %(value)s is beyond the planned %(plan)s (%(pct)s%% of the plan).") % {
        "value": _shown(field, value),
        "plan": format_wan(plan),
        "pct": f"{(Decimal(value) / plan * HUNDRED).quantize(Decimal('0.1')):f}",
    }


def check_report(rules: Iterable[ValidationRule], figures: ReportFigures) -> list[Finding]:
    """What ``rules`` find on a progress report's figures, errors and warnings, in the rules' order."""
    findings = []
    for rule in rules:
        field = rule.field
        if field not in figures.values:
            continue  # a statistics rule
        value = figures.values.get(field)
        if rule.kind == RuleKind.VALUE_RANGE:
            message = _range(rule, field, value)
        elif rule.kind == RuleKind.DATE_RANGE:
            message = _dates(rule, value)
        elif rule.kind == RuleKind.TEXT_WORDS:
            message = _words(rule, value)
        elif rule.kind == RuleKind.MONTH_JUMP:
            message = _jump(rule, field, figures)
        elif rule.kind == RuleKind.CUMULATIVE_FALLS:
            message = _falls(field, figures)
        elif rule.kind == RuleKind.BEYOND_PLAN:
            message = _beyond_plan(rule, field, figures)
        else:
            message = None
        if message:
            findings.append(Finding(rule=rule, field=field, message=message))
    return findings


def check_statistic(
    rules: Iterable[ValidationRule],
    *,
    value: Decimal | None,
    growth_pct: Decimal | None,
    implied_growth_pct: Decimal | None,
) -> list[Finding]:
    """What ``rules`` find on one statistic: its level, its reported growth and the growth its levels imply (this
    period's level over the previous period's, None when either is missing)."""
    findings = []
    for rule in rules:
        message = None
        if rule.kind == RuleKind.VALUE_RANGE and rule.field == RuleField.STAT_VALUE:
            message = _range(rule, rule.field, value)
        elif rule.kind == RuleKind.VALUE_RANGE and rule.field == RuleField.STAT_GROWTH:
            message = _range(rule, rule.field, growth_pct)
        elif (
            rule.kind == RuleKind.GROWTH_MISMATCH
            and growth_pct is not None
            and implied_growth_pct is not None
            and abs(implied_growth_pct - growth_pct) > rule.threshold
        ):
            message = _(
                "reported growth %(reported)s%% differs from the %(implied)s%% implied by the levels by more than "
                "%(tolerance)s percentage points"
            ) % {
                "reported": f"{Decimal(growth_pct).normalize():f}",
                "implied": implied_growth_pct.quantize(Decimal("0.1")),
                "tolerance": _shown("", rule.threshold),
            }
        if message:
            findings.append(Finding(rule=rule, field=rule.field, message=message))
    return findings
