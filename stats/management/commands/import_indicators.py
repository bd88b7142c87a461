from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stats.importers import FileRejected
from stats.services import indicators_import


class Command(BaseCommand):
    help = (
        "Import statistics from a .csv or .xlsx file with the columns "
        "region,indicator,period,value,growth_pct,source[,release,as_of]. A file with any bad row imports nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options) -> None:
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            with path.open("rb") as stream:
                report = indicators_import(stream=stream, filename=path.name)
        except FileRejected as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{path.name}: {len(exc.problems)} bad row(s); nothing was imported.") from exc
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(warning))
        self.stdout.write(
            f"{path.name}: {report.rows} rows — {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.warnings)} warning(s)"
        )
