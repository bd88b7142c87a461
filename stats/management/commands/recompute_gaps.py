import time

from django.core.management.base import BaseCommand, CommandError

from common.periods import is_stat_period
from stats.services import gaps_recompute


class Command(BaseCommand):
    help = "Recompute growth gaps and ranks from the latest statistical releases (all periods, or --period)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", action="append", default=[], help="e.g. 2025 or 2025-09; repeatable")

    def handle(self, *args, period: list[str], **options) -> None:
        bad = [p for p in period if not is_stat_period(p)]
        if bad:
            raise CommandError(f"Not a period: {', '.join(bad)} (use 2025 or 2025-09)")
        started = time.perf_counter()
        result = gaps_recompute(periods=period or None)
        self.stdout.write(
            f"{result.rows} county results; {result.written} written, {result.deleted} removed "
            f"in {time.perf_counter() - started:.2f} s"
        )
