"""Every existing program gets the default validation rules (validation/defaults.py). Reversing removes the rules
that still hold exactly the default values and found nothing yet; rules an officer changed or that have outcomes
stay (they are removed with the tables by the reversal of 0001)."""

from django.db import migrations

from validation.defaults import DEFAULT_RULES, add_defaults


def add_default_rules(apps, schema_editor):
    Program = apps.get_model("pairing", "Program")
    ValidationRule = apps.get_model("validation", "ValidationRule")
    for program in Program.objects.all():
        add_defaults(ValidationRule, program)


def remove_default_rules(apps, schema_editor):
    ValidationRule = apps.get_model("validation", "ValidationRule")
    RuleOutcome = apps.get_model("validation", "RuleOutcome")
    for values in DEFAULT_RULES:
        ValidationRule.objects.filter(**values).exclude(
            pk__in=RuleOutcome.objects.values("rule_id")
        ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("validation", "0001_rules_and_outcomes"),
        ("pairing", "0002_region_level_label"),
    ]

    operations = [migrations.RunPython(add_default_rules, remove_default_rules)]
