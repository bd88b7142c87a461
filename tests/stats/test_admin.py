"""The statistics admin: upload page, gap table, lists."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from pairing.factories import CountyFactory, ProvinceFactory
from pairing.models import Region
from stats.models import GapResult, ImportBatch, StatValue

from . import headline

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, officer):
    client.force_login(officer)
    return client


def upload(admin_client, name: str, content: str, kind: str = "indicators"):
    return admin_client.post(
        "/admin/stats/importbatch/upload/",
        {"kind": kind, "file": SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/csv")},
        follow=True,
    )


def confirm(admin_client, preview):
    """Confirm the import previewed on ``preview`` (statistics are written only then)."""
    assert preview.context["token"], preview.context.get("problems")
    return admin_client.post(
        "/admin/stats/importbatch/upload/confirm/", {"token": preview.context["token"]}, follow=True
    )


def test_upload_imports_and_recomputes(admin_client, django_capture_on_commit_callbacks):
    ProvinceFactory()
    CountyFactory(adcode="370405", name="台儿庄区")
    content = (
        "region,indicator,period,value,growth_pct,source\n"
        "370000,gdp,2025,,5.0,公报\n"
        "370405,gdp,2024,18000000000,,公报\n"
        "370405,gdp,2025,19000000000,,公报\n"
    )
    preview = upload(admin_client, "gdp.csv", content)
    assert StatValue.objects.count() == 0  # nothing is written before the import is confirmed
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = confirm(admin_client, preview)
    assert response.status_code == 200
    assert len(callbacks) == 1  # the recomputation, enqueued once the import has committed
    assert StatValue.objects.count() == 3
    assert ImportBatch.objects.get().created == 3
    result = GapResult.objects.get(region="370405", period="2025")
    assert result.growth_derived is True
    assert result.rank == 1


def test_bad_upload_lists_every_line_and_imports_nothing(admin_client):
    ProvinceFactory()
    content = (
        "region,indicator,period,value,growth_pct,source\n"
        "999999,gdp,2025,1,,x\n"
        "370000,gdpx,2025,1,,x\n"
        "370000,gdp,2025-13,1,,x\n"
    )
    response = upload(admin_client, "bad.csv", content)
    assert response.status_code == 200
    body = response.content.decode()
    for line in ("<td>2</td>", "<td>3</td>", "<td>4</td>"):
        assert line in body
    assert StatValue.objects.count() == 0


def test_gap_table_shows_weak_counties_first_with_colours(admin_client, tmp_path):
    call_command("load_regions")
    call_command("import_pairings", str(headline.write_pairings(tmp_path / "p.csv")))
    counties = list(Region.objects.counties().filter(adcode__startswith="37").values_list("adcode", flat=True))
    call_command("import_indicators", str(headline.write_indicators(tmp_path / "s.csv", counties)))
    call_command("recompute_gaps")
    response = admin_client.get(
        "/admin/stats/gapresult/table/", {"program": headline.PROGRAM, "period": "2025", "indicator": "gdp"}
    )
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 136
    assert {row["role"] for row in rows[:10]} == {"weak"}
    body = response.content.decode()
    assert "gap-ahead" in body and "gap-behind" in body
    assert response.context["exited_bottom_ten"] == sorted([headline.GAOQING, headline.MENGYIN])


@pytest.mark.parametrize(
    "url",
    [
        "/admin/stats/statvalue/",
        "/admin/stats/importbatch/",
        "/admin/stats/gapresult/",
        "/admin/stats/gapresult/table/",
    ],
)
def test_pages_render(admin_client, url):
    assert admin_client.get(url).status_code == 200
