"""Reads of the validation app."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import RuleOutcome, Severity, Subject, ValidationRule


def rules_of_program(program_id: int) -> list[ValidationRule]:
    """The program's active rules, in a stable order (the order of the findings)."""
    return list(ValidationRule.objects.active().filter(program_id=program_id).order_by("kind", "field", "id"))


def rules_for_province(province_adcode: str) -> list[ValidationRule]:
    """The active rules that apply to a province's statistics: those of the programs of that province and of the
    programs that span provinces."""
    return list(
        ValidationRule.objects.active()
        .filter(Q(program__province_id=province_adcode) | Q(program__province__isnull=True))
        .order_by("program_id", "kind", "field", "id")
    )


def report_warnings(report_id: int) -> QuerySet[RuleOutcome]:
    return RuleOutcome.objects.filter(subject=Subject.REPORT, report_id=report_id).select_related("rule")


def warning_count(*, program_id: int, period: str) -> int:
    """Warnings recorded for the program's reports of ``period`` and its statistics of that month."""
    return RuleOutcome.objects.filter(program_id=program_id, severity=Severity.WARNING, period=period).count()
