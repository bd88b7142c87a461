from pairing.factories import ProgramFactory
from validation.defaults import DEFAULT_RULES
from validation.models import ValidationRule


def test_a_new_program_starts_with_the_default_rules(db):
    program = ProgramFactory()
    assert ValidationRule.objects.filter(program=program).count() == len(DEFAULT_RULES)
    program.save()  # saved again: nothing added twice
    assert ValidationRule.objects.filter(program=program).count() == len(DEFAULT_RULES)
