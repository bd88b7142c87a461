"""Formula injection: text typed by one user must never run as a formula in the spreadsheet another user opens.

Every workbook and CSV the tracker writes is listed in ``WRITERS`` and read back with the same hostile names in it
(project, fund, program names, allocation and disbursement purposes, document numbers). Each text cell must come out
as text: a CSV cell or a workbook string that does not start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return (unless it is a plain number), and no workbook cell of type formula. ``common.exports.spreadsheet_text`` is the
one rule; a new writer joins ``WRITERS`` and is held to it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from common.periods import month_add
from funds.factories import BondPlanFactory, FundFactory, PairIndustryFundFactory
from funds.models import Fund
from funds.services import allocation_create, bond_issue_create, bond_quota_assign, disbursement_create
from liaison.selectors import month_before_today
from projects.bulletins import bulletin_generate
from projects.factories import ProjectFactory
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://example.org/x","点此")', "+1", "-1+1", "@SUM(1)", "\t=1", "\r=1"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def is_safe(text: str) -> bool:
    return not text.startswith(FORMULA_START) or bool(PLAIN_NUMBER.fullmatch(text))


@dataclass
class World:
    officer: object
    fund: Fund
    funds: list[Fund]
    plan_id: int
    bulletin_workbook: bytes


@pytest.fixture
def world(program, pairing_a, officer) -> World:
    program.name = HOSTILE[0]
    program.save()
    projects = []
    for n, text in enumerate(HOSTILE):
        projects.append(
            ProjectFactory(
                pairing=pairing_a, code=f"X-{n}", name=text, enterprise=text, signed_date=dt.date(2025, 1, 15)
            )
        )
    fund = FundFactory(program=program, year=2025, name=HOSTILE[0], total=Decimal("900000000.00"))
    funds = [fund]
    for n, text in enumerate(HOSTILE):
        allocation = allocation_create(
            fund=fund,
            county=pairing_a.weak_county,
            amount=Decimal("1000.00"),
            allocated_on=dt.date(2025, 3, 1),
            project=projects[n],
            document_no=text,
            purpose=text,
        )
        disbursement_create(
            allocation=allocation, amount=Decimal("10.00"), paid_on=dt.date(2025, 4, 1), document_no=text, purpose=text
        )
        funds.append(PairIndustryFundFactory(pairing=pairing_a, name=text, total=Decimal("100.00")))
    plan = BondPlanFactory(program=program, year=2025, total=Decimal("900000000.00"))
    quota = bond_quota_assign(plan=plan, county=pairing_a.weak_county, quota=Decimal("100000000.00"))
    for project in projects:
        bond_issue_create(
            quota=quota,
            project=project,
            amount=Decimal("1000.00"),
            issue_date=dt.date(2025, 6, 1),
            term_years=10,
            rate_pct=Decimal("2.1"),
        )
    bulletin = bulletin_generate(program=program, period="2025-10", by=officer, today=dt.date(2025, 11, 1))
    with bulletin.workbook.open("rb") as handle:
        workbook = handle.read()
    return World(officer=officer, fund=fund, funds=funds, plan_id=plan.pk, bulletin_workbook=workbook)


# --- Reading the files back: every text cell ------------------------------------------------------------------------


def csv_cells(content: bytes) -> list[tuple[str, str]]:
    text = content.decode("utf-8").lstrip("\ufeff")
    return [(value, "s") for row in csv.reader(io.StringIO(text, newline="")) for value in row]


def xlsx_cells(content: bytes) -> list[tuple[object, str]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [
        (cell.value, cell.data_type)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def get(world: World, url: str, data: dict | None = None) -> bytes:
    response = client_for(world.officer).get(url, data or {})
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content) if response.streaming else response.content


def admin_get(client, world: World, url: str) -> bytes:
    client.force_login(world.officer)
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content) if response.streaming else response.content


def admin_action(client, world: World, url: str, action: str, ids: list[int]) -> bytes:
    client.force_login(world.officer)
    response = client.post(url, {"action": action, "_selected_action": ids})
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content) if response.streaming else response.content


def dashboard_csv(client, world: World) -> bytes:
    """The dashboard's chart downloads are written in the browser (``csvOf`` in dashboard.js): run that code in Node
    over rows holding the hostile names."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs Node.js to run the dashboard's CSV writer")
    source = (Path(settings.BASE_DIR) / "reporting/static/reporting/dashboard.js").read_text(encoding="utf-8")
    start, end = source.index("  // --- Panels"), source.index("  function fill(")
    rows = [{"name": text, "value": -1.5} for text in HOSTILE]
    script = source[start:end] + (
        f"\nprocess.stdout.write(csvOf([{{key: 'name'}}, {{key: 'value'}}], {json.dumps(rows)}));"
    )
    done = subprocess.run([node, "-e", script], capture_output=True, check=True, timeout=30)
    return done.stdout


def liaison_workbook(client, world: World) -> bytes:
    """The month's workbook a county liaison downloads: the projects' names and their last reported problems."""
    from accounts.services import user_set_role
    from projects.factories import ProgressReportFactory
    from projects.models import Project

    projects = list(Project.objects.filter(code__startswith="X-").order_by("code"))
    period = month_before_today(timezone.localdate())
    for project, text in zip(projects, HOSTILE, strict=True):
        ProgressReportFactory(project=project, period=month_add(period, -1), problem_category="other", problems=text)
    user = get_user_model().objects.create_user("liaison-x", "x@example.org", "pw-liaison-x")
    user_set_role(user=user, role="liaison", county=projects[0].county)
    client.force_login(user)
    response = client.get(reverse("liaison:workbook_download", args=[period]))
    assert response.status_code == 200, response.content[:500]
    return response.content


def export_job_workbook(client, world: World) -> bytes:
    """An Excel list too long for one request, written by its export job and downloaded from it."""
    with override_settings(EXPORT_MAX_XLSX_ROWS=1), TestCase.captureOnCommitCallbacks(execute=True):
        response = client_for(world.officer).get("/api/v1/projects/", {"format": "xlsx"})
    assert response.status_code == 202, response.content[:500]
    return get(world, response.json()["url"] + "download/")


# Every CSV and workbook the tracker writes: name → (how to get its bytes, how to read its cells).
WRITERS: dict[str, tuple[Callable, Callable]] = {
    "api list csv": (lambda c, w: get(w, "/api/v1/projects/", {"format": "csv"}), csv_cells),
    "api list xlsx": (lambda c, w: get(w, "/api/v1/projects/", {"format": "xlsx"}), xlsx_cells),
    "api allocations csv": (lambda c, w: get(w, "/api/v1/allocations/", {"format": "csv"}), csv_cells),
    "api disbursements xlsx": (lambda c, w: get(w, "/api/v1/disbursements/", {"format": "xlsx"}), xlsx_cells),
    "api list xlsx (export job)": (export_job_workbook, xlsx_cells),
    "admin changelist csv": (lambda c, w: admin_get(c, w, "/admin/projects/project/export/csv/"), csv_cells),
    "admin changelist xlsx": (lambda c, w: admin_get(c, w, "/admin/funds/fund/export/xlsx/"), xlsx_cells),
    "admin fund overview xlsx": (
        lambda c, w: admin_get(c, w, f"/admin/funds/fund/{w.fund.pk}/overview/xlsx/"),
        xlsx_cells,
    ),
    "admin fund allocations xlsx": (
        lambda c, w: admin_get(c, w, f"/admin/funds/fund/{w.fund.pk}/allocations/xlsx/"),
        xlsx_cells,
    ),
    "admin funds overview xlsx (action)": (
        lambda c, w: admin_action(c, w, "/admin/funds/fund/", "export_overview_xlsx", [f.pk for f in w.funds]),
        xlsx_cells,
    ),
    "admin funds allocations xlsx (action)": (
        lambda c, w: admin_action(c, w, "/admin/funds/fund/", "export_allocations_xlsx", [f.pk for f in w.funds]),
        xlsx_cells,
    ),
    "admin bond plan usage xlsx": (
        lambda c, w: admin_get(c, w, f"/admin/funds/bondplan/{w.plan_id}/usage/xlsx/"),
        xlsx_cells,
    ),
    "monthly bulletin workbook": (lambda c, w: w.bulletin_workbook, xlsx_cells),
    "liaison month workbook": (liaison_workbook, xlsx_cells),
    "admin statistics workbook xlsx": (
        lambda c, w: admin_get(c, w, "/admin/stats/importbatch/workbook/?program=sd-test&period=2025"),
        xlsx_cells,
    ),
    "dashboard chart csv (browser)": (dashboard_csv, csv_cells),
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_hostile_text_comes_out_as_text(client, world, writer):
    fetch, read = WRITERS[writer]

    cells = read(fetch(client, world))

    texts = [value for value, _type in cells if isinstance(value, str)]
    assert not [value for value, kind in cells if kind == "f"], "a workbook cell holds a formula"
    assert [(value, kind) for value, kind in cells if isinstance(value, str) and kind != "s"] == []
    assert [text for text in texts if not is_safe(text)] == []
    # The hostile names did reach the file (stripped, where an admin export trims its text), defused.
    assert any(HOSTILE[0] in text for text in texts), "the hostile name is not in the file: the test proves nothing"
    for hostile in HOSTILE[2:]:
        assert not any(text == hostile or text == hostile.strip() for text in texts), repr(hostile)
