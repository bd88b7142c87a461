"""The officers' review workspace in a real browser: a county liaison on a phone (375 px) is stopped by a validation
rule with the reason on the field, corrects it and submits; a provincial officer at a desk (1440 px) opens the queue,
reviews the longest waiting report (changes highlighted, the rule's warning shown), tries to return it without a
comment, approves it and lands on the next report of the queue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from projects.factories import ProjectFactory
from projects.models import ProgressReport, ReportStatus, Stage
from projects.reports import ReportData, progress_report_save, progress_report_submit
from tests.liaison import conftest as liaison_fixtures
from validation.factories import ValidationRuleFactory
from validation.models import RuleField, RuleKind, Severity

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

today = liaison_fixtures.today
due_period = liaison_fixtures.due_period
project_a = liaison_fixtures.project_a

WIDE = {"width": 1440, "height": 900}
QUEUE = "/admin/projects/progressreport/review/"


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return str(translation.gettext(text))


@pytest.fixture
def rules(program):
    ValidationRuleFactory(
        program=program,
        kind=RuleKind.DATE_RANGE,
        field=RuleField.ACTUAL_START_DATE,
        severity=Severity.ERROR,
        maximum=None,
        earliest=dt.date(2000, 1, 1),
    )
    ValidationRuleFactory(
        program=program,
        kind=RuleKind.VALUE_RANGE,
        field=RuleField.JOBS_CREATED,
        severity=Severity.WARNING,
        maximum=Decimal(1000),
    )


@pytest.fixture
def waiting_since_yesterday(pairing_a, liaison_a, due_period, today):
    """Another project's report, submitted a day later than the liaison's below will be: second in the queue."""
    other = ProjectFactory(
        pairing=pairing_a, code="TEZ-009", name="台儿庄新材料项目", signed_date=today - dt.timedelta(days=100)
    )
    data = ReportData(stage=Stage.SIGNED, cumulative_investment=Decimal("8000000"), month_investment=Decimal("1e6"))
    report = progress_report_submit(
        report=progress_report_save(project=other, period=due_period, data=data, by=liaison_a), by=liaison_a
    )
    ProgressReport.objects.filter(pk=report.pk).update(submitted_at=timezone.now() + dt.timedelta(minutes=5))
    return report


def test_queue_review_decision_and_next(
    browser, live_server, screenshot, rules, liaison_a, officer, project_a, due_period, waiting_since_yesterday
):
    start = dt.date.fromisoformat(f"{due_period}-01") + dt.timedelta(days=3)

    # The liaison, on a phone, types a start date in 1900: refused, the reason on the field.
    phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    phone.goto(f"{live_server.url}/liaison/login/")
    phone.fill("#id_username", "liaison_a")
    phone.fill("#id_password", "pw-liaison-a")
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{live_server.url}/liaison/")
    phone.goto(f"{live_server.url}/liaison/projects/{project_a.pk}/reports/{due_period}/")
    phone.select_option("#id_stage", Stage.STARTED.value)
    phone.fill("#id_actual_start_date", start.replace(year=1900).isoformat())
    phone.fill("#id_cumulative_investment", "2500")
    phone.fill("#id_month_investment", "300")
    phone.fill("#id_jobs_created", "1500")
    with phone.expect_navigation():
        phone.click("button[name=submit]")
    error = phone.locator("#field-actual_start_date #id_actual_start_date_error")
    assert "2000-01-01" in error.inner_text()
    assert not ProgressReport.objects.filter(project=project_a).exists()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "review-workspace-1-liaison-rule-error-375")

    phone.fill("#id_actual_start_date", start.isoformat())
    phone.click("button[name=submit]")
    phone.wait_for_url(f"{live_server.url}/liaison/")
    report = ProgressReport.objects.get(project=project_a)
    assert report.status == ReportStatus.SUBMITTED  # accepted with a warning (1,500 jobs)
    screenshot(phone, "review-workspace-2-liaison-submitted-375")

    # The officer sees how many wait on the admin index, opens the queue: the liaison's report waited longest.
    desk = browser.new_context(viewport=WIDE, locale="zh-CN").new_page()
    desk.goto(f"{live_server.url}/admin/login/")
    desk.fill("#id_username", "officer")
    desk.fill("#id_password", "pw-officer")
    desk.click("input[type=submit]")
    desk.wait_for_url(f"{live_server.url}/admin/")
    assert "2" in desk.locator("#review-waiting caption").inner_text()
    screenshot(desk, "review-workspace-3-admin-index-1440")
    desk.locator("#review-waiting caption a").click()
    desk.wait_for_url(f"**{QUEUE}")
    rows = desk.locator("#review-queue tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).get_attribute("data-report") == str(report.pk)
    assert rows.nth(1).get_attribute("data-report") == str(waiting_since_yesterday.pk)
    screenshot(desk, "review-workspace-4-queue-1440")

    # One page: changes highlighted, the rule's warning on the jobs, the buttons.
    rows.nth(0).locator("a.button").click()
    desk.wait_for_url(f"**/progressreport/{report.pk}/review/")
    assert desk.locator("#row-cumulative_investment.changed").is_visible()
    assert (
        "1,500" in desk.locator("#review-warnings").inner_text()
        or "1500" in desk.locator("#review-warnings").inner_text()
    )
    assert desk.evaluate("document.documentElement.scrollWidth") <= WIDE["width"]
    screenshot(desk, "review-workspace-5-report-page-1440")

    # Returning without a comment is refused on the comment.
    with desk.expect_navigation():
        desk.click("button[value=return]")
    assert zh("Say what must be corrected.") in desk.locator("#review-decision").inner_text()
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    screenshot(desk, "review-workspace-6-return-needs-a-comment-1440")

    # Approved: on to the next report of the queue.
    with desk.expect_navigation():
        desk.click("button[value=approve]")
    desk.wait_for_url(f"**/progressreport/{waiting_since_yesterday.pk}/review/")
    assert desk.locator(".messagelist .success").is_visible()
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED
    project_a.refresh_from_db()
    assert (project_a.stage, project_a.actual_start_date) == (Stage.STARTED, start)
    screenshot(desk, "review-workspace-7-next-report-1440")
    phone.context.close()
    desk.context.close()
