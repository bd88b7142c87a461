"""Export jobs: an Excel export longer than ``EXPORT_MAX_XLSX_ROWS`` is written by a worker, as its owner.

The limit is set to a few rows here, so the lists of two pairings' projects are "national". The job's workbook is
compared, cell by cell, with the synchronous export of the same list (the limit raised), as the same user: same
columns, rows and order; a liaison's job holds their county's rows only, decided when the job runs. Only the owner
finds the job and its file — not another officer, not a superuser.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_set_role
from common.export_jobs import JobRun, export_job_run, export_jobs_purge
from common.models import ExportJob, ExportJobStatus
from common.tasks import export_job_run_task, export_jobs_purge_task
from projects.factories import ProjectFactory
from projects.models import Stage
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIMIT = 3


@pytest.fixture
def projects(pairing_a, pairing_b):
    """Six projects of county A (one with a name a spreadsheet would run) and four of county B."""
    made = [ProjectFactory(pairing=pairing_a, code=f"A-{n:03d}", signed_date=dt.date(2025, 3, n)) for n in range(1, 6)]
    made.append(ProjectFactory(pairing=pairing_a, code="A-FORMULA", name='=HYPERLINK("http://x","y")'))
    made += [ProjectFactory(pairing=pairing_b, code=f"B-{n:03d}", stage=Stage.PIPELINE) for n in range(1, 5)]
    return made


@pytest.fixture
def small_limit(settings):
    settings.EXPORT_MAX_XLSX_ROWS = LIMIT
    settings.EXPORT_JOB_PROGRESS_EVERY = 2
    return settings


@pytest.fixture
def other_officer(django_user_model):
    user = django_user_model.objects.create_user("officer2", "o2@example.org", "pw", is_staff=True)
    user_set_role(user=user, role="officer")
    return user


def cells(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def synchronous(client, url: str, query: dict, settings) -> bytes:
    """The same export within the request, the limit raised."""
    before = settings.EXPORT_MAX_XLSX_ROWS
    settings.EXPORT_MAX_XLSX_ROWS = 10_000
    try:
        response = client.get(url, query)
        assert response.status_code == 200, response.content[:200]
        return body(response)
    finally:
        settings.EXPORT_MAX_XLSX_ROWS = before


def ask_api(client, query: dict, capture, *, run: bool = True):
    with capture(execute=run):
        response = client.get("/api/v1/projects/", {**query, "format": "xlsx"})
    return response


# --- The API ----------------------------------------------------------------------------------------------------------


def test_an_over_limit_workbook_is_a_job_not_a_400(officer, projects, small_limit, django_capture_on_commit_callbacks):
    client = client_for(officer)
    response = ask_api(client, {"ordering": "code"}, django_capture_on_commit_callbacks, run=False)

    assert response.status_code == 202
    assert response["Content-Type"] == "application/json"
    job = ExportJob.objects.get()
    answer = response.json()
    assert answer["id"] == job.pk
    assert answer["status"] == "queued"
    assert answer["download_url"] is None
    assert answer["rows_total"] == len(projects)
    assert response["Location"] == answer["url"] == f"http://testserver/api/v1/exports/{job.pk}/"
    # Nothing was written in the request: the job waits for its worker.
    assert job.owner == officer
    assert (job.path, job.query, job.file_format, job.stem) == (
        "/api/v1/projects/",
        "ordering=code&format=xlsx",
        "xlsx",
        "project",
    )
    assert job.rows_written == 0 and not job.file
    assert job.message == "等待处理。"


def test_the_job_writes_the_workbook_the_request_would_have(
    officer, projects, small_limit, django_capture_on_commit_callbacks
):
    client = client_for(officer)
    query = {"ordering": "-code", "stage": "signed"}
    response = ask_api(client, query, django_capture_on_commit_callbacks)
    assert response.status_code == 202

    job = ExportJob.objects.get()
    assert job.status == ExportJobStatus.DONE, job.message
    assert job.rows_total == job.rows_written == 6
    state = client.get(f"/api/v1/exports/{job.pk}/").json()
    assert state["status"] == "done"
    assert state["progress"] == 100
    assert state["download_url"] == f"http://testserver/api/v1/exports/{job.pk}/download/"

    download = client.get(state["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == XLSX_TYPE
    today = timezone.localdate()
    assert download["Content-Disposition"] == f'attachment; filename="project-{today:%Y-%m-%d}.xlsx"'
    written = cells(body(download))
    expected = cells(synchronous(client, "/api/v1/projects/", {**query, "format": "xlsx"}, small_limit))
    assert written == expected
    assert len(written) == 2 + 6  # names, labels, rows
    # Text a spreadsheet would run stays text, escaped as in every export.
    assert '\'=HYPERLINK("http://x","y")' in {cell for row in written for cell in row}


def test_progress_is_recorded_as_the_rows_are_written(
    officer, projects, small_limit, monkeypatch, django_capture_on_commit_callbacks
):
    seen: list[tuple[int, int | None]] = []
    wrote = JobRun.wrote

    def spy(self, rows):
        wrote(self, rows)
        job = ExportJob.objects.get(pk=self.job_id)
        seen.append((job.rows_written, job.rows_total))

    monkeypatch.setattr(JobRun, "wrote", spy)
    ask_api(client_for(officer), {}, django_capture_on_commit_callbacks)

    # Every second row (EXPORT_JOB_PROGRESS_EVERY), then once at the end; the total is known from the start.
    assert seen == [(2, 10), (4, 10), (6, 10), (8, 10), (10, 10), (10, 10)]
    assert ExportJob.objects.get().progress == 100


def test_a_liaisons_job_holds_their_countys_rows_only(
    liaison_a, projects, small_limit, django_capture_on_commit_callbacks
):
    client = client_for(liaison_a)
    response = ask_api(client, {}, django_capture_on_commit_callbacks)
    assert response.status_code == 202
    job = ExportJob.objects.get()
    assert job.status == ExportJobStatus.DONE, job.message
    written = cells(body(client.get(f"/api/v1/exports/{job.pk}/download/")))
    codes = {row[written[0].index("code")] for row in written[2:]}
    assert codes == {project.code for project in projects if project.code.startswith("A-")}
    assert written == cells(synchronous(client, "/api/v1/projects/", {"format": "xlsx"}, small_limit))


def test_the_owners_scope_is_read_when_the_job_runs(
    other_officer, pairing_a, projects, small_limit, django_capture_on_commit_callbacks
):
    """Asked as an officer, run after the user became county A's liaison: county A's rows, not the province's."""
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert client_for(other_officer).get("/api/v1/projects/", {"format": "xlsx"}).status_code == 202
    user_set_role(user=other_officer, role="liaison", county=pairing_a.weak_county)
    for callback in queued:
        callback()
    job = ExportJob.objects.get()
    assert job.status == ExportJobStatus.DONE, job.message
    assert job.rows_total == job.rows_written == 6


def test_a_job_whose_owner_lost_their_role_fails_with_a_reason(
    other_officer, projects, small_limit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert client_for(other_officer).get("/api/v1/projects/", {"format": "xlsx"}).status_code == 202
    other_officer.membership.delete()
    for callback in queued:
        callback()
    job = ExportJob.objects.get()
    assert job.status == ExportJobStatus.FAILED
    assert not job.file
    assert "403" in job.message and "无权" in job.message


def test_asking_again_while_it_runs_gives_the_same_job(
    officer, projects, small_limit, django_capture_on_commit_callbacks
):
    client = client_for(officer)
    first = ask_api(client, {}, django_capture_on_commit_callbacks, run=False).json()
    second = ask_api(client, {}, django_capture_on_commit_callbacks, run=False).json()
    assert first["id"] == second["id"]
    other = ask_api(client, {"stage": "signed"}, django_capture_on_commit_callbacks, run=False).json()
    assert other["id"] != first["id"]


def test_small_exports_and_csv_stay_in_the_request(officer, projects, small_limit):
    client = client_for(officer)
    small = client.get("/api/v1/projects/", {"format": "xlsx", "county": "370405", "stage": "pipeline"})
    assert small.status_code == 200 and small["Content-Type"] == XLSX_TYPE
    assert client.get("/api/v1/projects/", {"format": "csv"}).status_code == 200
    assert not ExportJob.objects.exists()


def test_a_list_longer_than_a_job_may_hold_is_still_refused(officer, projects, small_limit):
    small_limit.EXPORT_JOB_MAX_ROWS = 5
    response = client_for(officer).get("/api/v1/projects/", {"format": "xlsx"})
    assert response.status_code == 400
    assert "format" in response.json()
    assert not ExportJob.objects.exists()


@pytest.fixture
def liaison_job(liaison_a, projects, small_limit, django_capture_on_commit_callbacks) -> ExportJob:
    ask_api(client_for(liaison_a), {}, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert job.status == ExportJobStatus.DONE
    return job


@pytest.mark.parametrize("persona", ["officer", "other_officer", "finance", "leader", "liaison_b", "norole"])
def test_nobody_but_the_owner_finds_the_job(request, liaison_job, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(f"/api/v1/exports/{liaison_job.pk}/").status_code == 404
    assert client.get(f"/api/v1/exports/{liaison_job.pk}/download/").status_code == 404


def test_anonymous_callers_are_asked_to_sign_in(api_client, liaison_job):
    assert api_client.get(f"/api/v1/exports/{liaison_job.pk}/").status_code == 401
    assert api_client.get(f"/api/v1/exports/{liaison_job.pk}/download/").status_code == 401


def test_the_file_is_offered_once_the_job_is_done(liaison_a, liaison_job):
    client = client_for(liaison_a)
    ExportJob.objects.filter(pk=liaison_job.pk).update(status=ExportJobStatus.RUNNING)
    assert client.get(f"/api/v1/exports/{liaison_job.pk}/").json()["download_url"] is None
    assert client.get(f"/api/v1/exports/{liaison_job.pk}/download/").status_code == 404


# --- Running twice, and keeping files -------------------------------------------------------------------------------


def test_a_job_run_twice_writes_once(officer, projects, small_limit, django_capture_on_commit_callbacks):
    ask_api(client_for(officer), {}, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert job.status == ExportJobStatus.DONE
    files = default_storage.listdir(f"exports/{officer.pk}")[1]
    assert job.file.name.rsplit("/", 1)[1] in files
    assert export_job_run(job_id=job.pk) is False
    assert export_job_run_task.delay(job.pk).get() is False
    again = ExportJob.objects.get()
    assert (again.file.name, again.finished_at, again.rows_written) == (job.file.name, job.finished_at, 10)
    assert default_storage.listdir(f"exports/{officer.pk}")[1] == files  # no second file


def test_old_jobs_and_their_files_are_removed(officer, projects, small_limit, django_capture_on_commit_callbacks):
    client = client_for(officer)
    ask_api(client, {}, django_capture_on_commit_callbacks)
    ask_api(client, {"stage": "signed"}, django_capture_on_commit_callbacks)
    old, recent = ExportJob.objects.order_by("pk")
    ExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    assert default_storage.exists(old.file.name)

    assert export_jobs_purge_task.delay().get() == 1
    assert list(ExportJob.objects.all()) == [recent]
    assert not default_storage.exists(old.file.name)
    assert default_storage.exists(recent.file.name)
    assert export_jobs_purge() == 0  # run again: nothing left to remove


def test_the_purge_is_scheduled(settings):
    assert any(
        entry["task"] == "common.tasks.export_jobs_purge_task" for entry in settings.CELERY_BEAT_SCHEDULE.values()
    )


# --- The admin --------------------------------------------------------------------------------------------------------


def admin_export_url(file_format: str = "xlsx") -> str:
    return reverse("admin:projects_project_changelist_export", args=[file_format])


def test_an_over_limit_admin_export_links_to_the_jobs_page(
    officer, projects, small_limit, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(admin_export_url(), {"stage__exact": "signed", "o": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/projects/project/?o=1&stage__exact=signed"
    job = ExportJob.objects.get()
    assert job.status == ExportJobStatus.DONE, job.message
    page_url = reverse("admin:export_job", args=[job.pk])
    listing = client.get(response["Location"]).content.decode()
    assert page_url in listing

    page = client.get(page_url)
    assert page.status_code == 200
    text = page.content.decode()
    download_url = reverse("admin:export_job_download", args=[job.pk])
    assert download_url in text
    assert 'http-equiv="refresh"' not in text  # done: nothing to wait for
    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="project-')
    expected = synchronous(client, admin_export_url(), {"stage__exact": "signed", "o": "1"}, small_limit)
    assert cells(body(download)) == cells(expected)


def test_the_jobs_page_reloads_while_the_job_runs(officer, projects, small_limit, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=False):
        client.get(admin_export_url())
    job = ExportJob.objects.get()
    text = client.get(reverse("admin:export_job", args=[job.pk])).content.decode()
    assert 'http-equiv="refresh"' in text
    assert reverse("admin:export_job_download", args=[job.pk]) not in text
    assert client.get(reverse("admin:export_job_download", args=[job.pk])).status_code == 404


def test_another_officer_does_not_find_the_jobs_page(
    officer, other_officer, projects, small_limit, django_capture_on_commit_callbacks
):
    owner = Client()
    owner.force_login(other_officer)
    with django_capture_on_commit_callbacks(execute=True):
        owner.get(admin_export_url())
    job = ExportJob.objects.get()
    assert owner.get(reverse("admin:export_job", args=[job.pk])).status_code == 200
    superuser = Client()
    superuser.force_login(officer)  # a superuser too
    assert superuser.get(reverse("admin:export_job", args=[job.pk])).status_code == 404
    assert superuser.get(reverse("admin:export_job_download", args=[job.pk])).status_code == 404
    anonymous = Client().get(reverse("admin:export_job_download", args=[job.pk]))
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]


@pytest.mark.parametrize("where", ["api", "admin"])
def test_a_list_grown_past_what_a_job_may_hold_fails_with_a_reason(
    officer, projects, small_limit, django_capture_on_commit_callbacks, where
):
    client = client_for(officer) if where == "api" else Client()
    client.force_login(officer)
    url = "/api/v1/projects/" if where == "api" else admin_export_url()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.get(url, {"format": "xlsx"} if where == "api" else {})
    small_limit.EXPORT_JOB_MAX_ROWS = 5  # as if rows were added since: the list no longer fits a job
    for callback in queued:
        callback()
    job = ExportJob.objects.get()
    assert job.status == ExportJobStatus.FAILED
    assert job.message == "该列表已超出单次导出的行数上限：请用筛选条件缩小范围后重新导出。"
    assert not job.file
