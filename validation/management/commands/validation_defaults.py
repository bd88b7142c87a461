"""Give every program that has no validation rules the default ones (e.g. after a program is created)."""

from django.core.management.base import BaseCommand

from pairing.models import Program
from validation.services import validation_rules_add_defaults


class Command(BaseCommand):
    help = "Add the default validation rules to every program that has none."

    def handle(self, *args, **options) -> None:
        added = 0
        for program in Program.objects.order_by("code"):
            n = validation_rules_add_defaults(program=program)
            if n:
                self.stdout.write(f"{program.code}: {n}")
            added += n
        self.stdout.write(self.style.SUCCESS(f"{added} rules added."))
