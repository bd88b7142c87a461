from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stats.import_jobs import import_job_run
from stats.importers import FileRejected
from stats.models import ImportJob, ImportJobStatus
from stats.services import indicators_import


class Command(BaseCommand):
    help = (
        "Import statistics from a .csv or .xlsx file: the long format with the columns "
        "region,indicator,period,value,growth_pct,source[,release,as_of], or a statistics bureau's wide table "
        "(title rows, a one- or two-row header naming the indicators in Chinese, a row per province, city and "
        "county). A file with any bad row imports nothing. "
        "With --job ID, run a queued background import (uploaded in the admin) in this process instead."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path, nargs="?")
        parser.add_argument("--job", type=int, help="the id of a queued import job to run here")
        parser.add_argument(
            "--period",
            help="a wide table's period (2025, or 2025-09 for January to September) if its title does not say",
        )
        parser.add_argument(
            "--skip-unknown",
            action="store_true",
            help="leave out a wide table's rows that name no county-level unit (开发区, 高新区, notes) and list them",
        )

    def handle(
        self, *args, path: Path | None, job: int | None, period: str | None, skip_unknown: bool, **options
    ) -> None:
        if job is not None:
            return self._run_job(job)
        if path is None:
            raise CommandError("Give a file to import, or --job ID.")
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            with path.open("rb") as stream:
                report = indicators_import(stream=stream, filename=path.name, period=period, skip_unknown=skip_unknown)
        except FileRejected as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{path.name}: {len(exc.problems)} bad row(s); nothing was imported.") from exc
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(warning))
        for skipped in report.skipped:
            self.stdout.write(self.style.WARNING(f"skipped: {skipped}"))
        self.stdout.write(
            f"{path.name}: {report.rows} rows — {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.warnings)} warning(s)"
            + (f", {len(report.skipped)} row(s) skipped" if report.skipped else "")
        )

    def _run_job(self, job_id: int) -> None:
        if not ImportJob.objects.filter(pk=job_id).exists():
            raise CommandError(f"No import job {job_id}.")
        ran = import_job_run(job_id=job_id, on_progress=lambda percent: self.stdout.write(f"{percent}%"))
        job = ImportJob.objects.get(pk=job_id)
        if job.status == ImportJobStatus.DONE:
            for warning in job.warnings:
                self.stdout.write(self.style.WARNING(warning))
            self.stdout.write(
                f"{job.filename}: {job.rows} rows — {job.created} created, {job.updated} updated, "
                f"{job.unchanged} unchanged, {len(job.warnings)} warning(s)"
            )
            return
        if not ran and job.status != ImportJobStatus.FAILED:
            raise CommandError(f"Import job {job_id} is {job.status}, not queued: nothing to do.")
        for problem in job.problems:
            self.stderr.write(f"line {problem['line']}: {problem['message']}")
        raise CommandError(f"{job.filename}: {job.error}")
