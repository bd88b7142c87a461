from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stats.importers import FileRejected
from stats.services import pairings_import


class Command(BaseCommand):
    help = "Import pairings from a .csv or .xlsx file with the columns program,strong,weak,start_date,source."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options) -> None:
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            with path.open("rb") as stream:
                report = pairings_import(stream=stream, filename=path.name)
        except FileRejected as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{path.name}: {len(exc.problems)} bad row(s); nothing was imported.") from exc
        self.stdout.write(f"{path.name}: {report.rows} rows — {report.created} created, {report.unchanged} unchanged")
