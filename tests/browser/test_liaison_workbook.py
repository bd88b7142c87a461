"""A county liaison in a real browser, on a phone (375 px) and a desktop (1440 px): the project page (plan against
actual, stage history, the review thread) and the month's workbook — downloaded, filled in with openpyxl, uploaded
once with a bad cell (named, nothing saved) and once correct (drafts saved)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from common.periods import month_add
from liaison.selectors import month_before_today
from liaison.workbooks import FIRST_ROW, KEYS
from projects.factories import ProjectFactory
from projects.models import ProgressReport, ReportStatus, Stage
from projects.reports import ReportData, progress_report_return, progress_report_save, progress_report_submit

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP_1440 = {"width": 1440, "height": 900}
COMMENT = "请核对本月投资额，并补充开工现场照片"


@pytest.fixture
def projects(pairing_a, liaison_a, officer):
    today = timezone.localdate()
    first = ProjectFactory(
        pairing=pairing_a,
        code="TEZ-001",
        name="台儿庄区黄岛产业园智能装备制造基地建设项目（一期）",
        signed_date=today - dt.timedelta(days=400),
        stage=Stage.SIGNED,
    )
    second = ProjectFactory(
        pairing=pairing_a, code="TEZ-002", name="台儿庄新材料项目", signed_date=today - dt.timedelta(days=400)
    )
    period = month_add(month_before_today(today), -1)
    data = ReportData(
        stage=Stage.SIGNED, cumulative_investment=Decimal("30000000"), month_investment=Decimal("5000000")
    )
    report = progress_report_submit(
        report=progress_report_save(project=first, period=period, data=data, by=liaison_a), by=liaison_a
    )
    progress_report_return(report=report, by=officer, comment=COMMENT)
    return first, second


def sign_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/liaison/login/")
    page.fill("#id_username", "liaison_a")
    page.fill("#id_password", "pw-liaison-a")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/liaison/")


def assert_fits(page, viewport) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the page scrolls sideways: {width}px wide"


def filled(content: bytes, **rows) -> bytes:
    """The downloaded workbook with ``{code: {column: value}}`` typed in."""
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    for row in range(FIRST_ROW, sheet.max_row + 1):
        for key, value in rows.get(sheet.cell(row=row, column=1).value, {}).items():
            sheet.cell(row=row, column=KEYS.index(key) + 1).value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (DESKTOP_1440, "desktop")])
def test_project_page_and_month_workbook(browser, live_server, screenshot, projects, viewport, name):
    first, _second = projects
    due = month_before_today(timezone.localdate())
    context = browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_server.url)

    # The project page, from the card.
    page.click(f"#project-{first.pk} .card-title a")
    page.wait_for_url(f"**/liaison/projects/{first.pk}/")
    assert page.locator("#plan").is_visible()
    assert page.locator("#stage-history").is_visible()
    thread = page.locator(f"#report-{month_add(due, -1)}")
    assert COMMENT in thread.inner_text()
    assert thread.locator(".step").count() == 3  # drafted, submitted, returned
    assert_fits(page, viewport)
    screenshot(page, f"liaison-project-page-{name}")

    # The workbook page: download.
    page.goto(f"{live_server.url}/liaison/workbook/")
    assert "TEZ-001" in page.locator("#download").inner_text()
    assert_fits(page, viewport)
    screenshot(page, f"liaison-workbook-1-download-{name}")
    with page.expect_download() as download_info:
        page.click("#download-link")
    download = download_info.value
    assert download.suggested_filename == f"progress-{due}.xlsx"
    with open(download.path(), "rb") as file:
        content = file.read()

    # A bad cell: named, nothing saved.
    bad = filled(
        content,
        **{
            "TEZ-001": {"month_investment": 500, "cumulative_investment": 3500},
            "TEZ-002": {"month_investment": -1, "cumulative_investment": 10},
        },
    )
    page.set_input_files("#id_workbook", files=[{"name": "月报.xlsx", "mimeType": "application/zip", "buffer": bad}])
    page.click("#upload button[type=submit]")
    page.wait_for_load_state()
    errors = page.locator("#workbook-errors")
    assert errors.is_visible()
    assert "第5行 本月完成投资（万元）：金额不能为负数。" in errors.inner_text()
    assert not ProgressReport.objects.filter(period=due).exists()
    assert_fits(page, viewport)
    screenshot(page, f"liaison-workbook-2-errors-{name}")

    # Corrected: both drafts saved, not submitted.
    good = filled(
        content,
        **{
            "TEZ-001": {"month_investment": 500, "cumulative_investment": 3500},
            "TEZ-002": {"month_investment": 1, "cumulative_investment": 10},
        },
    )
    page.set_input_files("#id_workbook", files=[{"name": "月报.xlsx", "mimeType": "application/zip", "buffer": good}])
    page.click("#upload button[type=submit]")
    page.wait_for_url(f"{live_server.url}/liaison/")
    assert page.locator(".message-success").is_visible()
    saved = ProgressReport.objects.filter(period=due).order_by("project__code")
    assert [(report.project.code, report.status) for report in saved] == [
        ("TEZ-001", ReportStatus.DRAFT),
        ("TEZ-002", ReportStatus.DRAFT),
    ]
    assert saved[0].month_investment == Decimal("5000000.00")
    assert_fits(page, viewport)
    screenshot(page, f"liaison-workbook-3-saved-{name}")
    context.close()
