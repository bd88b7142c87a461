"""Generated documents never carry another county's figures to a county liaison.

The threat: a liaison of 台儿庄区 (370405) opened ``/api/v1/evaluation-reports/{id}/`` and its ``html/`` and ``pdf/``
downloads and read the whole program's evaluation — every other weak county's guidance money, bond quota, partner
and targets. Now a report has a scope: the whole program (provincial roles only: a liaison's list hides it and its
URLs answer 404) or one weak county (its pairing's liaisons, on either side, read it; every other liaison gets 404).
A county report is generated from that county's figures alone, so its JSON, HTML and PDF name no other county.

The monthly bulletins are province-wide and served by the admin only; the admin of generated documents lets in the
provincial roles alone, whatever Django permissions an account was given by hand.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from funds.factories import BondPlanFactory, FundFactory
from funds.services import allocation_create, bond_quota_assign, disbursement_create
from projects.factories import ProjectFactory
from projects.models import Bulletin, Stage
from reporting.evaluation import evaluation_report_generate, evaluation_report_request
from reporting.models import EvaluationReport, Metric, Target
from tests.conftest import _service_missing, client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/evaluation-reports/"
YEAR = 2025
WAN = Decimal(10_000)
# County B's figures, chosen so that they cannot turn up by accident in A's document.
B_NAMES = ("蒙阴县", "历城区", "B-PROJECT-名称")
B_AMOUNTS = ("987.65", "9,876,543.21", "9876543.21", "4321", "43.21", "43210000")
A_NAMES = ("台儿庄区", "黄岛区")


@pytest.fixture
def world(program, pairing_a, pairing_b):
    """Both pairings with projects, guidance-fund money, a bond quota and a target each."""
    ProjectFactory(
        pairing=pairing_a,
        code="A-1",
        name="A-PROJECT",
        stage=Stage.SIGNED,
        planned_investment=300 * WAN,
        signed_date=dt.date(YEAR, 3, 1),
    )
    ProjectFactory(
        pairing=pairing_b,
        code="B-1",
        name=B_NAMES[2],
        stage=Stage.SIGNED,
        planned_investment=Decimal("9876543.21"),
        signed_date=dt.date(YEAR, 3, 1),
    )
    fund = FundFactory(program=program, year=YEAR, total=Decimal("200000000"))
    for pairing, amount in ((pairing_a, 100 * WAN), (pairing_b, Decimal("9876500"))):
        allocation = allocation_create(
            fund=fund, county=pairing.weak_county, amount=amount, allocated_on=dt.date(YEAR, 2, 1)
        )
        disbursement_create(allocation=allocation, amount=amount, paid_on=dt.date(YEAR, 4, 1))
    plan = BondPlanFactory(program=program, year=YEAR, total=Decimal("2000000000"))
    bond_quota_assign(plan=plan, county=pairing_a.weak_county, quota=Decimal("10000000"))
    bond_quota_assign(plan=plan, county=pairing_b.weak_county, quota=Decimal("43210000"))
    for pairing, value in ((pairing_a, "8"), (pairing_b, "4321")):
        Target.objects.create(
            program=program, county=pairing.weak_county, year=YEAR, metric=Metric.ORDERS_AMOUNT, target=Decimal(value)
        )
    return program


def _generated(program, county=None) -> EvaluationReport:
    extra = {} if county is None else {"county": county}
    report = evaluation_report_request(program=program, year=YEAR, **extra)
    assert evaluation_report_generate(report_id=report.pk), EvaluationReport.objects.get(pk=report.pk).error
    return EvaluationReport.objects.get(pk=report.pk)


def pdf_text(content: bytes, tmp_path: Path) -> str:
    if not shutil.which("pdftotext"):
        _service_missing("pdftotext (poppler-utils) is not installed")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=120
    ).stdout


def read_all(client, report: EvaluationReport, tmp_path: Path) -> dict[str, tuple[int, str]]:
    """The report as the client reads it: (status, text) of its JSON, HTML and PDF."""
    got = {}
    response = client.get(f"{URL}{report.pk}/")
    got["json"] = (response.status_code, response.content.decode())
    for kind in ("html", "pdf"):
        response = client.get(f"{URL}{report.pk}/{kind}/")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = pdf_text(body, tmp_path) if response.status_code == 200 and kind == "pdf" else body.decode("utf-8")
        got[kind] = (response.status_code, text)
    return got


def assert_nothing_of_b(texts: dict[str, tuple[int, str]]) -> None:
    for kind, (_status, text) in texts.items():
        compact = "".join(text.split())  # pdftotext may break a name over two lines
        for leaked in (*B_NAMES, "371328", "370112"):
            assert leaked not in compact, f"{kind} names {leaked}"
        for amount in B_AMOUNTS:
            assert amount not in compact, f"{kind} shows B's figure {amount}"


def test_a_liaison_cannot_read_the_province_wide_report(world, liaison_a, liaison_b, officer, tmp_path):
    report = _generated(world)
    # The provincial roles read it, every county in it.
    assert "蒙阴县" in client_for(officer).get(f"{URL}{report.pk}/").content.decode()
    for liaison in (liaison_a, liaison_b):
        client = client_for(liaison)
        texts = read_all(client, report, tmp_path)
        assert {kind: status for kind, (status, _text) in texts.items()} == {"json": 404, "html": 404, "pdf": 404}
        assert_nothing_of_b(texts)
        listed = {row["id"] for row in client.get(URL, {"page_size": 500}).json()["results"]}
        assert report.pk not in listed


def test_a_liaison_reads_their_county_report_and_nothing_of_another_county(
    world, pairing_a, liaison_a, liaison_b, tmp_path
):
    report = _generated(world, county=pairing_a.weak_county)
    texts = read_all(client_for(liaison_a), report, tmp_path)
    assert {kind: status for kind, (status, _text) in texts.items()} == {"json": 200, "html": 200, "pdf": 200}
    for kind, (_status, text) in texts.items():
        compact = "".join(text.split())
        assert all(name in compact for name in A_NAMES), kind  # A's own report, with its partner
    assert_nothing_of_b(texts)
    figures = client_for(liaison_a).get(f"{URL}{report.pk}/").json()["figures"]
    assert [c["adcode"] for c in figures["counties"]] == ["370405"]
    assert figures["money"]["guidance_received"] == "1000000.00"
    assert figures["money"]["guidance_fund"] is None  # the fund's allocations to every county: not A's to read

    # liaison_b: the report is not there at all.
    other = client_for(liaison_b)
    assert {kind: status for kind, (status, _t) in read_all(other, report, tmp_path).items()} == {
        "json": 404,
        "html": 404,
        "pdf": 404,
    }
    assert report.pk not in {row["id"] for row in other.get(URL, {"page_size": 500}).json()["results"]}


def test_the_strong_partner_reads_its_weak_partners_report(world, pairing_a, django_user_model):
    from accounts.services import user_set_role

    report = _generated(world, county=pairing_a.weak_county)
    huangdao = django_user_model.objects.create_user("liaison_huangdao")
    user_set_role(user=huangdao, role="liaison", county=pairing_a.strong_county)
    assert client_for(huangdao).get(f"{URL}{report.pk}/").status_code == 200


def test_a_county_report_is_only_for_a_weak_county_of_the_program(world, pairing_a, officer):
    client = client_for(officer)
    response = client.post(URL, {"program": "sd-test", "year": YEAR, "county": "370211"}, format="json")
    assert response.status_code == 400 and "county" in response.json()
    response = client.post(URL, {"program": "sd-test", "year": YEAR, "county": "370405"}, format="json")
    assert response.status_code == 202 and response.json()["county"] == "370405"


def test_liaisons_do_not_ask_for_reports(world, liaison_a):
    response = client_for(liaison_a).post(URL, {"program": "sd-test", "year": YEAR, "county": "370405"}, format="json")
    assert response.status_code == 403


def _staff_liaison(user, *codenames: str):
    """A liaison account someone made staff and gave the admin's view permissions by hand."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_province_wide_documents_stay_out_of_reach_in_the_admin(world, liaison_a, client):
    bulletin = Bulletin.objects.create(
        program=world,
        period="2025-06",
        summary={},
        workbook=ContentFile(b"PK\x03\x04", name="bulletin.xlsx"),
        generated_at=timezone.now(),
    )
    report = _generated(world)
    client.force_login(_staff_liaison(liaison_a, "view_bulletin", "view_evaluationreport"))
    urls = [
        reverse("admin:projects_bulletin_changelist"),
        reverse("admin:projects_bulletin_print", args=[bulletin.pk]),
        reverse("admin:projects_bulletin_download", args=[bulletin.pk]),
        reverse("admin:reporting_evaluationreport_changelist"),
        reverse("admin:reporting_evaluationreport_html", args=[report.pk]),
        reverse("admin:reporting_evaluationreport_pdf", args=[report.pk]),
    ]
    for url in urls:
        # The admin site admits the provincial roles only: a staff liaison is sent to its sign-in page.
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
