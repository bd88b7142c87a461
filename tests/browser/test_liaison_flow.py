"""A county liaison reports a month's progress on a phone (375 × 812) in a real browser: signs in, opens the report
due, gets an error next to the field, corrects it and submits; a provincial officer returns it with a comment, the
liaison corrects and resubmits, the officer approves, and the liaison sees the project's new stage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from liaison.selectors import month_before_today
from projects.factories import ProjectFactory
from projects.models import ProgressReport, ReportStatus, Stage
from projects.reports import progress_report_approve, progress_report_return

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
COMMENT = "请补充开工现场照片,并核对本月投资额"


@pytest.fixture
def project(pairing_a):
    return ProjectFactory(
        pairing=pairing_a,
        code="TEZ-001",
        name="台儿庄区黄岛产业园智能装备项目",
        signed_date=timezone.localdate() - dt.timedelta(days=200),
        stage=Stage.SIGNED,
    )


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return str(translation.gettext(text))


def assert_fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px wide"


def choose_photo(page) -> None:
    page.set_input_files("#id_attachments", files=[{"name": "开工现场.png", "mimeType": "image/png", "buffer": PNG}])


def test_a_liaison_reports_on_a_phone_through_return_and_approval(
    browser, live_server, screenshot, liaison_a, officer, project
):
    period = month_before_today(timezone.localdate())
    start = (dt.date.fromisoformat(f"{period}-01") + dt.timedelta(days=7)).isoformat()
    page = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()

    # Sign in: a liaison page sends the anonymous visitor to the liaison sign-in, then back.
    page.goto(f"{live_server.url}/liaison/")
    page.wait_for_url("**/liaison/login/**")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    screenshot(page, "liaison-1-sign-in")
    assert_fits_the_phone(page)
    page.fill("#id_username", "liaison_a")
    page.fill("#id_password", "pw-liaison-a")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/liaison/")
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor") == "rgb(164, 22, 26)"
    card = page.locator(f"#project-{project.pk}")
    assert "TEZ-001" in card.inner_text()
    screenshot(page, "liaison-2-my-projects")
    assert_fits_the_phone(page)

    # The report due: the stage's fields appear as the stage is chosen.
    card.locator("a.button").click()
    page.wait_for_url(f"**/liaison/projects/{project.pk}/reports/{period}/")
    assert page.locator("#field-actual_start_date").is_hidden()
    assert page.locator("#output-group").is_hidden()
    page.select_option("#id_stage", Stage.STARTED.value)
    assert page.locator("#field-actual_start_date").is_visible()
    page.fill("#id_actual_start_date", start)
    page.fill("#id_cumulative_investment", "1234.5678")
    page.fill("#id_month_investment", "-50")
    page.fill("#id_jobs_created", "35")
    choose_photo(page)
    screenshot(page, "liaison-3-form-filled")
    assert_fits_the_phone(page)
    page.click("button[name=submit]")
    page.wait_for_load_state()

    # The error is next to the field; nothing was saved.
    error = page.locator("#field-month_investment #id_month_investment_error")
    assert error.is_visible()
    message = zh("The amount cannot be negative.")
    if message == "金额不能为负数。":
        assert message in error.inner_text()
    else:  # the new strings are not compiled yet: the service's message, in whichever language it is
        assert error.inner_text().strip() == message
    field_box = page.locator("#id_month_investment").bounding_box()
    error_box = error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 40
    assert page.input_value("#id_month_investment") == "-50"
    assert page.locator("#files-dropped").is_visible()
    assert not ProgressReport.objects.exists()
    screenshot(page, "liaison-4-error-next-to-the-field")
    assert_fits_the_phone(page)

    # Corrected and submitted.
    page.fill("#id_month_investment", "50")
    choose_photo(page)
    page.click("button[name=submit]")
    page.wait_for_url(f"{live_server.url}/liaison/")
    report = ProgressReport.objects.get()
    assert report.status == ReportStatus.SUBMITTED
    assert report.cumulative_investment == Decimal("12345678.00")
    assert report.month_investment == Decimal("500000.00")
    assert report.attachments.count() == 1
    assert page.locator(f"#project-{project.pk} .pill-info").is_visible()
    screenshot(page, "liaison-5-submitted")
    assert_fits_the_phone(page)

    # The officer returns it with a comment; the liaison sees it and resubmits.
    progress_report_return(report=report, by=officer, comment=COMMENT)
    page.reload()
    card = page.locator(f"#project-{project.pk}")
    assert COMMENT in card.inner_text()
    screenshot(page, "liaison-6-returned")
    card.locator("a.button").click()
    page.wait_for_url(f"**/reports/{period}/")
    assert COMMENT in page.locator("#review-comment").inner_text()
    assert page.input_value("#id_cumulative_investment") == "1234.5678"
    screenshot(page, "liaison-7-returned-form")
    assert_fits_the_phone(page)
    page.fill("#id_month_investment", "60")
    page.click("button[name=submit]")
    page.wait_for_url(f"{live_server.url}/liaison/")
    report.refresh_from_db()
    assert (report.status, report.month_investment) == (ReportStatus.SUBMITTED, Decimal("600000.00"))

    # Approved: the project moves to the reported stage.
    progress_report_approve(report=report, by=officer)
    page.reload()
    with translation.override("zh-hans"):
        started = str(Stage.STARTED.label)
    card = page.locator(f"#project-{project.pk}")
    assert card.locator(".stage").inner_text() == started
    assert card.locator(".pill-ok").is_visible()
    screenshot(page, "liaison-8-approved")
    assert_fits_the_phone(page)

    # The approved report is read-only, with the reason.
    card.locator("a.button").click()
    page.wait_for_url(f"**/reports/{period}/")
    assert page.locator("#lock-reason").is_visible()
    assert page.locator("form.report-form").count() == 0
    screenshot(page, "liaison-9-read-only")
    assert_fits_the_phone(page)
    page.context.close()
