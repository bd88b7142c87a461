from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum

from common.money import format_money
from demo.impact_history import demo_impact_history_seed
from demo.seed import DemoDataError, demo_seed
from demo.statistics import demo_statistics_delete, demo_statistics_seed
from demo.targets import demo_targets_seed
from funds.models import Disbursement, Fund, FundKind
from projects.warnings import warnings_refresh


class Command(BaseCommand):
    help = (
        "Fill the 2024 Shandong program with demo data marked as samples (示例): the pairs the sources do not name, "
        "parks, projects, reports, cooperation, funds and bonds. Needs `load_reference` first. Idempotent."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the program's sample rows (only rows marked as samples) and build the demo again.",
        )

    def handle(self, *args, reset: bool = False, **options) -> None:
        try:
            result = demo_seed(reset=reset)
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        program = result.program
        if reset:
            demo_statistics_delete(program=program)
        figures = demo_statistics_seed(program=program)
        if figures:
            self.stdout.write(f"Sample statistics (source 示例数据): {figures} figures, gaps recomputed")
        # Impact estimates need years before the program (computed by `recompute_impact`, not here: it takes a while).
        earlier = demo_impact_history_seed(program=program)
        if earlier:
            self.stdout.write(f"Sample GDP of earlier years for the impact estimates: {earlier} figures")
        targets = demo_targets_seed(program=program)
        if targets:
            self.stdout.write(f"Sample targets (示例): {targets} created")
        # The daily job would colour the projects tomorrow; do it now so the demo shows its warnings at once.
        refreshed = warnings_refresh(program=program)
        colours = ", ".join(f"{n} {colour}" for colour, n in sorted(refreshed.by_colour.items()))
        self.stdout.write(f"Warnings: {refreshed.checked} projects checked ({colours or 'none'})")
        if result.already_present:
            self.stdout.write(
                f"Demo data is already in {program.code}; nothing changed. Use --reset to delete and rebuild it."
            )
            return
        if result.deleted:
            deleted = ", ".join(f"{n} {label}" for label, n in result.deleted.items())
            self.stdout.write(f"Deleted sample rows: {deleted}")
        created = ", ".join(f"{n} {label}" for label, n in result.created.items())
        self.stdout.write(f"Demo data for {program.code} (every row marked as a sample, 示例): {created}")
        pairings = program.pairings.active()
        self.stdout.write(
            f"{program.code}: {pairings.count()} active pairings, "
            f"{pairings.filter(is_sample=False).count()} documented, {pairings.filter(is_sample=True).count()} sample"
        )
        for fund in Fund.objects.filter(program=program, is_sample=True, kind=FundKind.GUIDANCE):
            disbursed = Disbursement.objects.filter(allocation__fund=fund).aggregate(total=Sum("amount"))["total"]
            self.stdout.write(
                f"{fund.name}: total {format_money(fund.total)}, allocated {format_money(fund.allocated)}, "
                f"disbursed {format_money(disbursed)}"
            )
