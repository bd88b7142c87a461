import factory
from factory.django import DjangoModelFactory

from pairing.factories import ProgramFactory

from .models import RuleField, RuleKind, Severity, ValidationRule


class ValidationRuleFactory(DjangoModelFactory):
    class Meta:
        model = ValidationRule

    program = factory.SubFactory(ProgramFactory)
    kind = RuleKind.VALUE_RANGE
    field = RuleField.JOBS_CREATED
    severity = Severity.WARNING
    maximum = 1000
