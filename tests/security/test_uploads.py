"""Every upload is bounded before it is spooled: the request's size (413, the limit named) and its number of files.
Each service then checks its own files (attachments: tests/liaison/test_views.py; imports: test_imports.py)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation

from projects.models import ReportAttachment
from stats.models import ImportBatch, StatValue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@override_settings(REQUEST_MAX_BYTES=1_000_000)
def test_oversized_liaison_upload_is_refused_unread(client, liaison_a):
    client.force_login(liaison_a)
    big = SimpleUploadedFile("现场.png", b"\x89PNG\r\n\x1a\n" + b"0" * 1_200_000, content_type="image/png")
    response = client.post("/liaison/projects/1/reports/2025-01/", {"attachments": [big]}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert response.content.decode() == "The request is 1.2 MB; at most 1 MB can be sent at once."
    assert ReportAttachment.objects.count() == 0


@override_settings(REQUEST_MAX_BYTES=1_000_000)
def test_oversized_import_upload_is_refused_unread(client, officer):
    client.force_login(officer)
    big = SimpleUploadedFile("stats.csv", b"region\n" + b"370405\n" * 200_000, content_type="text/csv")
    response = client.post("/admin/stats/importbatch/upload/", {"kind": "indicators", "file": big})
    assert response.status_code == 413
    assert (ImportBatch.objects.count(), StatValue.objects.count()) == (0, 0)


@override_settings(REQUEST_MAX_BYTES=1_000_000)
def test_oversized_api_request_is_a_json_413(officer_client):
    response = officer_client.post(
        "/api/v1/progress-reports/", data="x" * 1_200_000, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "The request is 1.2 MB; at most 1 MB can be sent at once."


@override_settings(REQUEST_MAX_BYTES=1_000_000)
def test_the_limit_is_named_in_chinese(client):
    response = client.post("/liaison/login/", data="x" * 1_500_000, content_type="text/plain")
    assert response.status_code == 413
    assert response.content.decode() == "请求大小为 1.5 MB，一次最多只能发送 1 MB。"


def test_more_files_than_a_report_can_take_are_refused(client, officer):
    client.force_login(officer)
    files = [SimpleUploadedFile(f"{i}.csv", b"region\n") for i in range(21)]
    response = client.post("/admin/stats/importbatch/upload/", {"kind": "indicators", "file": files})
    assert response.status_code == 400
