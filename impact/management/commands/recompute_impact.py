import time

from django.core.management.base import BaseCommand, CommandError

from impact.services import impact_recompute
from pairing.models import Program


class Command(BaseCommand):
    help = (
        "Recompute the impact estimates (synthetic control per weak county, difference-in-differences and event "
        "study) of every program, or of --program CODE, from the stored growth results. A second run writes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--program", help="the program's code, e.g. sd-2024")

    def handle(self, *args, program: str | None, **options) -> None:
        programs = Program.objects.order_by("code")
        if program:
            programs = programs.filter(code=program)
            if not programs.exists():
                raise CommandError(f"No program {program}.")
        for item in programs:
            started = time.perf_counter()
            result = impact_recompute(program=item)
            self.stdout.write(
                f"{result.program}: {result.indicators} indicator(s); {result.written} written, "
                f"{result.deleted} removed in {time.perf_counter() - started:.2f} s"
            )
