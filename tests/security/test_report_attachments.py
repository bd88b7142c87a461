"""Report attachments are private files: served by one view that checks the viewer, always as a download.

The admin linked to ``/media/…``, which no URL serves (officers met a 404), and serving MEDIA_URL publicly would have
given every file to anyone with its address. ``/reports/attachments/<id>/`` answers whoever may read the report: the
provincial roles for every attachment, a county liaison for those of their pairings' projects (either side), and 404
to everyone else (another county's liaison, an account without a role); anonymous callers are sent to sign in. The
answer is ``Content-Disposition: attachment`` with a checked type and ``X-Content-Type-Options: nosniff``, so an
upload is never rendered as a page; a file name with HTML in it is shown escaped in the admin and the liaison pages.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.views import static

from projects.factories import ProjectFactory
from projects.models import ReportAttachment, Stage
from projects.reports import ReportData, progress_report_save, report_attachment_add

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HTML_NAME = '<img src=x onerror="alert(1)">.png'
ESCAPED_NAME = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.png"


@pytest.fixture
def report(pairing_a, liaison_a):
    project = ProjectFactory(pairing=pairing_a, code="TEZ-001", signed_date=dt.date(2025, 3, 15), stage=Stage.SIGNED)
    data = ReportData(stage=Stage.SIGNED, cumulative_investment=Decimal("100.00"), month_investment=Decimal("1.00"))
    return progress_report_save(project=project, period="2025-10", data=data, by=liaison_a)


@pytest.fixture
def attachment(report, liaison_a) -> ReportAttachment:
    return report_attachment_add(report=report, upload=SimpleUploadedFile("开工现场.png", PNG), by=liaison_a)


def browser(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def url_of(attachment: ReportAttachment) -> str:
    return f"/reports/attachments/{attachment.pk}/"


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("officer", 200),
        ("leader", 200),
        ("finance", 200),
        ("liaison_a", 200),  # the project is of their pairing
        ("liaison_b", 404),
        ("norole", 404),
        (None, 302),  # anonymous: to the sign-in page, whatever the id
    ],
)
def test_who_opens_an_attachment(request, attachment, persona, status):
    user = request.getfixturevalue(persona) if persona else None

    response = browser(user).get(url_of(attachment))

    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
    elif status == 302:
        assert response["Location"].startswith("/liaison/login/?next=")
        assert browser().get("/reports/attachments/999999/")["Location"].startswith("/liaison/login/")
    else:
        assert PNG not in response.content


def test_a_liaison_of_the_partner_county_opens_it_as_they_read_the_report(django_user_model, attachment, pairing_a):
    """The strong county's liaison reads the pairing's reports in the API, and the files attached to them."""
    from accounts.services import user_set_role

    strong = django_user_model.objects.create_user("liaison_strong")
    user_set_role(user=strong, role="liaison", county=pairing_a.strong_county)

    assert browser(strong).get(url_of(attachment)).status_code == 200


def test_the_admin_links_to_the_view_and_an_officer_opens_the_file(officer, attachment):
    client = browser(officer)
    page = client.get(f"/admin/projects/progressreport/{attachment.report_id}/change/").content.decode()

    links = re.findall(r'<a href="([^"]+)"[^>]*>开工现场\.png</a>', page)
    assert links == [url_of(attachment)]
    response = client.get(links[0])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG


def test_the_admin_links_finance_to_the_file_too(finance, attachment):
    page = browser(finance).get(f"/admin/projects/progressreport/{attachment.report_id}/change/").content.decode()

    assert "开工现场.png" in page
    assert url_of(attachment) in page


def test_the_liaison_page_links_to_the_view_and_gets_a_download(liaison_a, attachment):
    client = browser(liaison_a)
    page = client.get(f"/liaison/projects/{attachment.report.project_id}/reports/2025-10/").content.decode()

    assert f'href="{url_of(attachment)}"' in page
    assert client.get(url_of(attachment))["Content-Disposition"].startswith("attachment;")


def test_a_file_name_with_html_is_escaped_everywhere(officer, liaison_a, report):
    attachment = report_attachment_add(report=report, upload=SimpleUploadedFile(HTML_NAME, PNG), by=liaison_a)

    admin_page = browser(officer).get(f"/admin/projects/progressreport/{report.pk}/change/").content.decode()
    liaison_page = browser(liaison_a).get(f"/liaison/projects/{report.project_id}/reports/2025-10/").content.decode()

    for page in (admin_page, liaison_page):
        assert ESCAPED_NAME in page
        assert "<img src=x" not in page
    download = browser(officer).get(url_of(attachment))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")


def test_a_name_that_would_break_the_header_is_cleaned(officer, report):
    attachment = ReportAttachment(
        report=report, original_name='a"\r\nSet-Cookie: x=1\\.pdf', content_type="text/html", size=len(PNG)
    )
    attachment.file.save("x.pdf", ContentFile(PNG), save=True)

    response = browser(officer).get(url_of(attachment))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="a___Set-Cookie: x=1_.pdf"'
    assert response["Content-Type"] == "application/octet-stream"  # a type the upload check does not give


def test_media_files_are_not_served_by_any_url(officer, attachment, settings):
    """No URL (in any settings: they share ``config.urls``) serves MEDIA_URL; the file exists only behind the view."""
    assert settings.ROOT_URLCONF == "config.urls"
    media_path = f"/{settings.MEDIA_URL.strip('/')}/{attachment.file.name}"
    with pytest.raises(Resolver404):
        resolve(media_path)
    assert browser(officer).get(media_path).status_code == 404

    def views(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield pattern.callback

    assert static.serve not in set(views(get_resolver().url_patterns))
