from django.core.management.base import BaseCommand

from demo.reference import reference_load
from pairing.models import Region, RegionLevel


class Command(BaseCommand):
    help = "Load the region registry and the documented programs and pairings (fixtures/reference). Idempotent."

    def handle(self, *args, **options) -> None:
        programs = reference_load()
        counties = Region.objects.filter(level=RegionLevel.COUNTY).count()
        self.stdout.write(f"regions: {Region.objects.count()} ({counties} county-level)")
        for program in programs:
            documented = program.pairings.filter(is_sample=False).count()
            weak = program.counties.filter(role="weak").count()
            self.stdout.write(f"{program.code} {program.name}: {documented} documented pairings, {weak} weak counties")
