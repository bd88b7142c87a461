"""Concurrent writes to one progress report never end in a 500.

Every writer of a report — the API's PATCH and workflow actions, the liaison's form, the admin's review — takes the
project's row lock before the report's (``projects.reports.lock_project_and_report``). Writers that took them in
opposite orders deadlocked on PostgreSQL (``OperationalError: deadlock detected``, answered with a 500). Here many
threads hit one report at once, round after round; every answer must be one a client can act on: done, a conflict
(409 / 412), or a broken rule (400).
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from projects.factories import ProjectFactory
from projects.models import ProgressReport, ReportStatus, Stage
from projects.reports import ReportData, progress_report_save, progress_report_submit
from tests.conftest import client_for

pytestmark = pytest.mark.postgres

URL = "/api/v1/progress-reports/"
ROUNDS = 4
EACH = 4  # threads per kind of write and round: PATCH, submit, approve, the liaison's form
ANSWERS = {200, 302, 400, 409, 412}  # 302: the liaison's form saved; 200: done (API) or a form with an error


def _one_round(*, project, period: str, liaison, officer, submitted: bool) -> tuple[list[str], ProgressReport]:
    """Threads PATCH, submit, approve and post the liaison's form on one report at once, all with the ETag (or the
    version) read before they start. With ``submitted`` the report is in review, so the approvals go through."""
    data = ReportData(stage=Stage.SIGNED, cumulative_investment=Decimal("3000.00"), month_investment=Decimal("1.00"))
    report = progress_report_save(project=project, period=period, data=data, by=liaison)
    if submitted:
        report = progress_report_submit(report=report, by=liaison)
    etag = client_for(liaison).get(f"{URL}{report.pk}/").headers["ETag"]
    form_url = f"/liaison/projects/{project.pk}/reports/{period}/"
    barrier = threading.Barrier(EACH * 4)
    lock = threading.Lock()
    outcomes: list[str] = []

    def patch(n: int) -> int:
        body = {"jobs_created": n}
        return client_for(liaison).patch(f"{URL}{report.pk}/", body, format="json", HTTP_IF_MATCH=etag).status_code

    def submit(n: int) -> int:
        return client_for(liaison).post(f"{URL}{report.pk}/submit/", HTTP_IF_MATCH=etag).status_code

    def approve(n: int) -> int:
        return client_for(officer).post(f"{URL}{report.pk}/approve/", {}, format="json", HTTP_IF_MATCH=etag).status_code

    def form(n: int) -> int:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(liaison)
        fields = {
            "period": period,
            "stage": Stage.SIGNED,
            "cumulative_investment": "3000",
            "month_investment": "1",
            "jobs_created": str(100 + n),
            "version": str(report.version),
            "submit": "1",
        }
        return client.post(form_url, fields).status_code

    def run(write, n: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcome = str(write(n))
        except Exception as exc:  # a deadlock surfaces here as OperationalError (a 500 for the client)
            outcome = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [
        threading.Thread(target=run, args=(write, n)) for n in range(EACH) for write in (patch, submit, approve, form)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes, report


@pytest.mark.django_db(transaction=True)
def test_concurrent_patch_submit_approve_and_form_never_fail(require_postgres, request):
    pairing = request.getfixturevalue("pairing_a")
    liaison = request.getfixturevalue("liaison_a")
    officer = request.getfixturevalue("officer")
    project = ProjectFactory(pairing=pairing, signed_date=dt.date(2025, 1, 10), stage=Stage.SIGNED)

    outcomes: list[str] = []
    rounds: list[tuple[bool, ProgressReport]] = []
    for month in range(1, ROUNDS + 1):
        submitted = month % 2 == 0
        answers, before = _one_round(
            project=project, period=f"2025-{month:02d}", liaison=liaison, officer=officer, submitted=submitted
        )
        outcomes += answers
        rounds.append((submitted, before))

    assert len(outcomes) == ROUNDS * EACH * 4
    unexpected = [outcome for outcome in outcomes if not (outcome.isdigit() and int(outcome) in ANSWERS)]
    assert unexpected == []
    for submitted, before in rounds:
        after = ProgressReport.objects.get(pk=before.pk)
        # Something was done (the writes did not only refuse each other); a report in review was approved.
        assert after.version > before.version
        if submitted:
            assert after.status == ReportStatus.APPROVED
