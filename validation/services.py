"""Writes of the validation app: the default rules of a program and the outcomes the rules found."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from pairing.models import Program

from .defaults import add_defaults
from .engine import Finding
from .models import RuleOutcome, Subject, ValidationRule


@transaction.atomic
def validation_rules_add_defaults(*, program: Program) -> int:
    """Give ``program`` the default rules if it has none; returns how many were added."""
    return add_defaults(ValidationRule, program)


def rule_outcomes_replace_for_report(
    *,
    report_id: int,
    program_id: int,
    region_id: str,
    period: str,
    label: str,
    findings: Iterable[Finding],
    by: AbstractBaseUser | None = None,
) -> list[RuleOutcome]:
    """The report's warnings are now ``findings`` (errors never reach here: the report was refused). Called by the
    report's own writer, inside its transaction and under its row lock."""
    RuleOutcome.objects.filter(subject=Subject.REPORT, report_id=report_id).delete()
    outcomes = [
        RuleOutcome(
            rule=finding.rule,
            program_id=program_id,
            region_id=region_id,
            period=period,
            subject=Subject.REPORT,
            report_id=report_id,
            label=label[:255],
            field=finding.field,
            severity=finding.rule.severity,
            message=finding.message,
            recorded_by=by if by is not None and by.pk is not None else None,
        )
        for finding in findings
        if not finding.is_error
    ]
    return RuleOutcome.objects.bulk_create(outcomes)


@dataclass(frozen=True)
class StatisticFinding:
    region_id: str
    period: str
    label: str
    finding: Finding


def rule_outcomes_record_statistics(
    *, findings: Sequence[StatisticFinding], by: AbstractBaseUser | None = None
) -> list[RuleOutcome]:
    """Record the warnings of a statistics import (called inside the import's transaction). A figure imported
    again replaces its earlier outcomes for the same rule, county, period and indicator."""
    for item in findings:
        RuleOutcome.objects.filter(
            subject=Subject.STATISTIC,
            rule=item.finding.rule,
            region_id=item.region_id,
            period=item.period,
            label=item.label[:255],
        ).delete()
    return RuleOutcome.objects.bulk_create(
        RuleOutcome(
            rule=item.finding.rule,
            program_id=item.finding.rule.program_id,
            region_id=item.region_id,
            period=item.period,
            subject=Subject.STATISTIC,
            label=item.label[:255],
            field=item.finding.field,
            severity=item.finding.rule.severity,
            message=item.finding.message,
            recorded_by=by if by is not None and by.pk is not None else None,
        )
        for item in findings
        if not item.finding.is_error
    )
