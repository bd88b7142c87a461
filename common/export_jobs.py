"""Export jobs: a workbook too large to be written within a request is written by a worker, as its owner.

An Excel export of more rows than ``EXPORT_MAX_XLSX_ROWS`` (up to ``EXPORT_JOB_MAX_ROWS``) is not refused: the API
list or admin changelist records a job (``export_job_request``: which list — its path, query string and format —,
owned by the user who asked) and answers 202 / a message with the job's page. The worker (``common.tasks``) runs
``export_job_run``: it asks the same view for the same list, as the owner and in the language the list was asked
in, with the request marked as the job's (``running_job``). The list's own code therefore decides the columns, rows,
order and scoping exactly as a synchronous export would, with the owner's permissions and scope as they are when the
job runs (a role taken away since is a failed job, not a file). In a job the export's row limit is the job's, the
number of rows is recorded before the first is written and the progress every ``EXPORT_JOB_PROGRESS_EVERY`` rows.

The file goes to the default storage, which no URL serves: the owner downloads it through the job's download view
(API or admin), nobody else — superusers included — sees the job. ``export_jobs_purge`` deletes jobs and files older
than ``EXPORT_JOB_KEEP_DAYS``.

A job is claimed with a conditional UPDATE (queued → running), so a task delivered twice writes once; a job left
running by a worker that died is given up after the task's time limit, and asking again starts a new one.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.handlers.wsgi import WSGIRequest
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase, HttpResponseNotFound
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from common import exports
from common.jobs import STALE_AFTER, TRANSIENT_ERRORS
from common.models import PENDING_STATUSES, ExportJob, ExportJobStatus

logger = logging.getLogger(__name__)


MESSAGE_QUEUED = _("Waiting for a worker.")
MESSAGE_RUNNING = _("Writing the rows.")
MESSAGE_DONE = _("Ready to download.")
MESSAGE_REFUSED = _("The list could not be exported as you (status %(status)s): you may no longer read it.")
MESSAGE_TOO_LONG = _("The list no longer fits one export: narrow it with filters and export it again.")
MESSAGE_FAILED = _("The export failed: %(error)s")
MESSAGE_STALE = _("Given up: not finished within %(minutes)d minutes.")
MESSAGE_NOT_QUEUED = _("Could not be queued: %(error)s")


def stored_message(message, values: dict | None = None) -> str:
    """A message as stored on the job: in the site's language (Chinese), whoever's request wrote it."""
    with translation.override(settings.LANGUAGE_CODE):
        text = str(message)
        return (text % values if values else text)[:500]


# --- Asking for a job --------------------------------------------------------------------------------------------


def offers_job(file_format: str, count: int, *, streamed: bool = True) -> bool:
    """Whether an export of ``count`` rows too many for one request is written as a job instead of refused."""
    return count <= exports.max_rows(file_format, streamed=streamed, background=True)


def _give_up_stale(**same_list) -> int:
    now = timezone.now()
    cutoff = now - STALE_AFTER
    stale = Q(status=ExportJobStatus.RUNNING, started_at__lt=cutoff) | Q(
        status=ExportJobStatus.QUEUED, created_at__lt=cutoff
    )
    return ExportJob.objects.filter(stale, **same_list).update(
        status=ExportJobStatus.FAILED,
        message=stored_message(MESSAGE_STALE, {"minutes": STALE_AFTER.total_seconds() // 60}),
        finished_at=now,
    )


def export_job_request(
    *, owner, path: str, query: str, file_format: str, stem: str, language: str, origin: str, rows: int
) -> ExportJob:
    """A queued job exporting the list at ``path`` with ``query`` for ``owner`` — or the one already queued or
    running for that list. The task is enqueued when the caller's transaction commits."""
    if len(query) > ExportJob._meta.get_field("query").max_length:
        raise ValidationError({"format": [_("The query string is too long for an export job.")]})
    same_list = {"owner": owner, "path": path, "query": query, "file_format": file_format}
    _give_up_stale(**same_list)
    pending = ExportJob.objects.filter(status__in=PENDING_STATUSES, **same_list).first()
    if pending is not None:
        return pending
    try:
        with transaction.atomic():
            job = ExportJob.objects.create(
                **same_list,
                stem=stem[:100],
                language=language,
                origin=origin,
                rows_total=rows,
                message=stored_message(MESSAGE_QUEUED),
            )
    except IntegrityError:
        # A concurrent request inserted its job first; the partial unique index refused ours.
        if (pending := ExportJob.objects.filter(status__in=PENDING_STATUSES, **same_list).first()) is not None:
            return pending
        raise
    job_id = job.pk
    transaction.on_commit(lambda: _enqueue(job_id))
    return job


def export_job_for(request: HttpRequest, *, file_format: str, stem: str, rows: int) -> ExportJob:
    """The job of the list ``request`` asked for (an API list or an admin changelist export)."""
    origin = f"{request.scheme}://{request.get_host()}"
    return export_job_request(
        owner=request.user,
        path=request.path,
        query=request.META.get("QUERY_STRING", ""),
        file_format=file_format,
        stem=stem,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        origin=origin,
        rows=rows,
    )


def _enqueue(job_id: int) -> None:
    from kombu.exceptions import OperationalError as BrokerUnavailable

    from common.tasks import export_job_run_task

    try:
        export_job_run_task.delay(job_id)
    except BrokerUnavailable as exc:
        logger.exception("export job %s could not be queued", job_id)
        export_job_fail(job_id=job_id, message=stored_message(MESSAGE_NOT_QUEUED, {"error": exc}))


# --- Running it --------------------------------------------------------------------------------------------------


@dataclass
class JobRun:
    """What the export code of a list is told when it runs for a job: the limit is the job's, and it reports the
    number of rows and its progress here."""

    job_id: int

    def counted(self, rows: int) -> None:
        ExportJob.objects.filter(pk=self.job_id, status=ExportJobStatus.RUNNING).update(rows_total=rows)

    def wrote(self, rows: int) -> None:
        ExportJob.objects.filter(pk=self.job_id, status=ExportJobStatus.RUNNING).update(rows_written=rows)


RUN_ATTRIBUTE = "export_job_run"


def running_job(request) -> JobRun | None:
    """The job ``request`` runs for, or None for a request of a person (a DRF request reads its Django request's)."""
    return getattr(request, RUN_ATTRIBUTE, None)


def _request_of(job: ExportJob) -> HttpRequest:
    """A GET of the job's list as its owner, as the browser or client asked for it."""
    origin = urlsplit(job.origin)
    host = origin.netloc or "localhost"
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": job.path,
        "QUERY_STRING": job.query,
        "HTTP_HOST": host,
        "SERVER_NAME": origin.hostname or "localhost",
        "SERVER_PORT": str(origin.port or (443 if origin.scheme == "https" else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        # The format may have been asked for by the Accept header rather than ?format=.
        "HTTP_ACCEPT": exports.MEDIA_TYPES[job.file_format],
        "HTTP_ACCEPT_LANGUAGE": job.language,
        "wsgi.url_scheme": origin.scheme or "http",
        "wsgi.input": io.BytesIO(b""),
    }
    request = WSGIRequest(environ)
    request.user = job.owner
    request.LANGUAGE_CODE = job.language
    request._dont_enforce_csrf_checks = True
    setattr(request, RUN_ATTRIBUTE, JobRun(job.pk))
    return request


def _answer(job: ExportJob) -> HttpResponseBase:
    try:
        match = resolve(job.path)
    except Resolver404:
        return HttpResponseNotFound()
    with translation.override(job.language):
        response = match.func(_request_of(job), *match.args, **match.kwargs)
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
    return response


def _file_of(response: HttpResponseBase) -> File:
    if hasattr(response, "file_to_stream"):  # the FileResponse of a workbook written into a temporary file
        return File(response.file_to_stream)
    if response.streaming:
        return ContentFile(b"".join(response.streaming_content))
    return ContentFile(response.content)


def export_job_fail(*, job_id: int, message: str) -> bool:
    """Mark a queued or running job failed with ``message``."""
    return bool(
        ExportJob.objects.filter(pk=job_id, status__in=PENDING_STATUSES).update(
            status=ExportJobStatus.FAILED, message=message[:500], finished_at=timezone.now()
        )
    )


def export_job_run(*, job_id: int) -> bool:
    """Write a queued job's file. Returns False when there was nothing to do (not queued: taken by another run,
    done, failed or given up) or when the export failed — its reason is then the job's message. A transient
    database error puts the job back in the queue and is raised again, for the task to retry."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJobStatus.QUEUED).update(
        status=ExportJobStatus.RUNNING,
        started_at=timezone.now(),
        finished_at=None,
        rows_written=0,
        message=stored_message(MESSAGE_RUNNING),
    )
    if not claimed:
        return False
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    stored = ""
    try:
        response = _answer(job)
        if response.status_code != 200:
            # 400: more rows than a job may hold by now; anything else: the owner may no longer read the list.
            message = (
                stored_message(MESSAGE_TOO_LONG)
                if response.status_code == 400
                else stored_message(MESSAGE_REFUSED, {"status": response.status_code})
            )
            export_job_fail(job_id=job_id, message=message)
            return False
        try:
            content_type = response.get("Content-Type", "").split(";")[0]
            if content_type != exports.MEDIA_TYPES[job.file_format]:  # never store a page or JSON as the workbook
                raise ValueError(f"the list answered {content_type or 'no content type'}")
            stored = job.file.field.generate_filename(job, exports.filename(job.stem, job.file_format))
            stored = job.file.storage.save(stored, _file_of(response))
        finally:
            # Not response.close(): that would tell Django the request is finished, which closes the database
            # connection the job still needs.
            if getattr(response, "file_to_stream", None) is not None:
                response.file_to_stream.close()
        finished = ExportJob.objects.filter(pk=job_id, status=ExportJobStatus.RUNNING).update(
            status=ExportJobStatus.DONE,
            file=stored,
            finished_at=timezone.now(),
            message=stored_message(MESSAGE_DONE),
        )
        if not finished:  # given up meanwhile: keep no file that no job points at
            job.file.storage.delete(stored)
            return False
        # The rows actually written are the list's rows (the count was taken just before they were read).
        job.refresh_from_db(fields=["rows_written"])
        ExportJob.objects.filter(pk=job_id).update(rows_total=job.rows_written)
        return True
    except TRANSIENT_ERRORS:
        if stored:
            job.file.storage.delete(stored)
        ExportJob.objects.filter(pk=job_id, status=ExportJobStatus.RUNNING).update(
            status=ExportJobStatus.QUEUED, started_at=None, rows_written=0, message=stored_message(MESSAGE_QUEUED)
        )
        raise
    except Exception as exc:
        logger.exception("export job %s failed", job_id)
        if stored:
            job.file.storage.delete(stored)
        export_job_fail(
            job_id=job_id, message=stored_message(MESSAGE_FAILED, {"error": f"{type(exc).__name__}: {exc}"})
        )
        return False


# --- Downloading ---------------------------------------------------------------------------------------------------


def export_job_filename(job: ExportJob) -> str:
    """The name a synchronous export would have had on the day the job was asked for: ``<stem>-<date>.<format>``."""
    return f"{job.stem}-{timezone.localdate(job.created_at):%Y-%m-%d}.{job.file_format}"


def export_job_file_response(job: ExportJob) -> FileResponse:
    """The job's workbook as a download; 404 until it is done (or once its file is gone)."""
    if job.status != ExportJobStatus.DONE or not job.file:
        raise Http404
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=exports.MEDIA_TYPES[job.file_format])
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=export_job_filename(job))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Keeping them -------------------------------------------------------------------------------------------------


def export_jobs_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the jobs asked for more than ``EXPORT_JOB_KEEP_DAYS`` days ago and their files; the number deleted.
    Run twice, the second run finds nothing."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.EXPORT_JOB_KEEP_DAYS)
    deleted = 0
    for job in ExportJob.objects.filter(created_at__lt=cutoff).only("pk", "file").iterator(chunk_size=500):
        if job.file:
            try:
                job.file.storage.delete(job.file.name)
            except OSError:  # pragma: no cover - a file that cannot be removed is left for the next run
                logger.warning("could not remove %s", job.file.name)
                continue
        deleted += ExportJob.objects.filter(pk=job.pk).delete()[0]
    return deleted
