"""The provincial review of a progress report, done by people in real browsers: a county liaison on a phone files
the month's report, a provincial officer at a desk returns it with a comment in the admin, the liaison corrects and
resubmits, the officer approves and the project moves on. Two officers who open the same report at once cannot
overwrite each other: the second is told someone else changed it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import formats, translation

from accounts.models import Role
from accounts.services import user_create
from projects.models import ProgressReport, ProjectStageChange, ReportStatus, Stage
from projects.reports import ReportData, progress_report_save, progress_report_submit
from tests.liaison import conftest as liaison_fixtures

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The liaison pages' project and reporting month, shared: pytest finds a fixture by its name in the module.
today = liaison_fixtures.today
due_period = liaison_fixtures.due_period
project_a = liaison_fixtures.project_a

RETURN_COMMENT = "本月投资额与台账不符，请核对后重新提交"
CONFLICT_COMMENT = "请补充开工现场照片"
OFFICER_B_PASSWORD = "second-officer-browser-pw"
REPORTS = "/admin/projects/progressreport/"


@pytest.fixture
def officer_b(db):
    """A second provincial officer, by role rather than as a superuser."""
    user, _password = user_create(username="officer_b", role=Role.OFFICER, password=OFFICER_B_PASSWORD)
    return user


def zh(text) -> str:
    with translation.override("zh-hans"):
        return str(translation.gettext(text) if isinstance(text, str) else text)


def liaison_signs_in(browser, live_server):
    page = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/liaison/login/")
    page.fill("#id_username", "liaison_a")
    page.fill("#id_password", "pw-liaison-a")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/liaison/")
    return page


def officer_signs_in(browser, live_server, username: str, password: str):
    page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def filter_by_status(page, status: ReportStatus) -> None:
    status_filter = page.locator(f'#changelist-filter details[data-filter-title="{zh("status")}"]')
    status_filter.get_by_role("link", name=zh(status.label), exact=True).click()
    page.wait_for_url(f"**status__exact={status.value}**")


def open_submitted_report(page, live_server, report: ProgressReport) -> None:
    """From the report list, filtered to the submitted ones, into the report."""
    page.goto(f"{live_server.url}{REPORTS}")
    filter_by_status(page, ReportStatus.SUBMITTED)
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    rows.first.locator("th a").click()
    page.wait_for_url(f"**{REPORTS}{report.pk}/change/**")


def post(page, button: str) -> None:
    """Click the button that sends the form and wait for the answer, even one at the same address."""
    with page.expect_navigation():
        page.click(button)


def decide(page, decision: str, comment: str = "") -> None:
    page.select_option("#id_decision", decision)
    if comment:
        page.fill("#id_comment", comment)
    post(page, "input[name=_save]")


def test_an_officer_returns_then_approves_a_liaisons_report_in_the_admin(
    browser, live_server, screenshot, liaison_a, officer, project_a, due_period
):
    project = project_a
    start = dt.date.fromisoformat(f"{due_period}-01") + dt.timedelta(days=7)

    # The liaison fills in the month's report on the phone and types a negative investment.
    phone = liaison_signs_in(browser, live_server)
    phone.locator(f"#project-{project.pk} a.button").click()
    phone.wait_for_url(f"**/liaison/projects/{project.pk}/reports/{due_period}/")
    phone.select_option("#id_stage", Stage.STARTED.value)
    phone.fill("#id_actual_start_date", start.isoformat())
    phone.fill("#id_cumulative_investment", "1234.5678")
    phone.fill("#id_month_investment", "-50")
    phone.fill("#id_jobs_created", "35")
    post(phone, "button[name=submit]")
    error = phone.locator("#field-month_investment #id_month_investment_error")
    assert error.inner_text().strip() == "金额不能为负数。"
    assert not ProgressReport.objects.exists()
    screenshot(phone, "review-1-liaison-negative-amount")

    phone.fill("#id_month_investment", "50")
    phone.click("button[name=submit]")
    phone.wait_for_url(f"{live_server.url}/liaison/")
    report = ProgressReport.objects.get()
    assert (report.status, report.month_investment) == (ReportStatus.SUBMITTED, Decimal("500000.00"))
    screenshot(phone, "review-2-liaison-submitted")

    # The officer finds it among the submitted reports and returns it with a comment.
    desk = officer_signs_in(browser, live_server, "officer", "pw-officer")
    open_submitted_report(desk, live_server, report)
    review = desk.locator("fieldset").filter(has=desk.locator("#id_decision"))
    assert zh("decision") in review.inner_text()
    assert zh("comment to the liaison") in review.inner_text()
    screenshot(desk, "review-3-officer-opens-the-report")
    decide(desk, "return", RETURN_COMMENT)
    desk.wait_for_url(f"**{REPORTS}?**")
    assert desk.locator(".messagelist .success").is_visible()
    report.refresh_from_db()
    assert (report.status, report.review_comment, report.reviewed_by) == (
        ReportStatus.RETURNED,
        RETURN_COMMENT,
        officer,
    )
    assert desk.locator("#result_list tbody tr").count() == 0  # no longer among the submitted ones
    screenshot(desk, "review-4-officer-returned")

    # The liaison sees the comment, corrects the figure and resubmits.
    phone.reload()
    card = phone.locator(f"#project-{project.pk}")
    assert RETURN_COMMENT in card.locator(".review-comment").inner_text()
    screenshot(phone, "review-5-liaison-sees-the-comment")
    card.locator("a.button").click()
    phone.wait_for_url(f"**/reports/{due_period}/")
    assert RETURN_COMMENT in phone.locator("#review-comment").inner_text()
    phone.fill("#id_month_investment", "60")
    phone.click("button[name=submit]")
    phone.wait_for_url(f"{live_server.url}/liaison/")
    report.refresh_from_db()
    assert (report.status, report.month_investment) == (ReportStatus.SUBMITTED, Decimal("600000.00"))
    screenshot(phone, "review-6-liaison-resubmitted")

    # The officer approves it.
    open_submitted_report(desk, live_server, report)
    decide(desk, "approve")
    desk.wait_for_url(f"**{REPORTS}?**")
    assert desk.locator(".messagelist .success").is_visible()
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED
    filter_by_status(desk, ReportStatus.APPROVED)
    assert desk.locator("#result_list tbody tr").count() == 1
    screenshot(desk, "review-7-officer-approved")

    # The project moved on: the liaison sees the new stage, the officer its log line and start date.
    started = zh(Stage.STARTED.label)
    assert started == "开工"
    phone.reload()
    card = phone.locator(f"#project-{project.pk}")
    assert card.locator(".stage").inner_text() == started
    assert card.locator(".pill-ok").is_visible()
    screenshot(phone, "review-8-liaison-sees-the-new-stage")

    desk.goto(f"{live_server.url}/admin/projects/project/{project.pk}/change/")
    with translation.override("zh-hans"):
        assert desk.input_value("#id_actual_start_date") == formats.localize_input(start)
    log = desk.locator("#stage_changes-group tbody tr").filter(has_text=started)
    assert log.count() == 1
    line = log.inner_text()
    assert zh(Stage.SIGNED.label) in line
    assert "officer" in line
    assert zh("From the approved progress report of %(period)s.") % {"period": due_period} in line
    log.scroll_into_view_if_needed()
    screenshot(desk, "review-9-project-stage-log")
    phone.context.close()
    desk.context.close()


@pytest.fixture
def submitted_report(liaison_a, project_a, due_period):
    start = dt.date.fromisoformat(f"{due_period}-01") + dt.timedelta(days=7)
    data = ReportData(
        stage=Stage.STARTED,
        cumulative_investment=Decimal("12345678.00"),
        month_investment=Decimal("500000.00"),
        jobs_created=35,
        actual_start_date=start,
    )
    report = progress_report_save(project=project_a, period=due_period, data=data, by=liaison_a)
    return progress_report_submit(report=report, by=liaison_a)


def test_two_officers_review_the_same_report_and_the_second_cannot_overwrite_the_first(
    browser, live_server, screenshot, officer, officer_b, project_a, submitted_report
):
    report = submitted_report
    opened_at = report.version
    change_page = f"{live_server.url}{REPORTS}{report.pk}/change/"
    first = officer_signs_in(browser, live_server, "officer", "pw-officer")
    second = officer_signs_in(browser, live_server, "officer_b", OFFICER_B_PASSWORD)
    first.goto(change_page)
    second.goto(change_page)
    assert first.input_value("#id_seen_version") == second.input_value("#id_seen_version") == str(opened_at)

    decide(first, "return", CONFLICT_COMMENT)
    first.wait_for_url(f"**{REPORTS}")
    screenshot(first, "review-10-first-officer-returned")

    decide(second, "approve")
    assert second.url == change_page
    conflict = zh("Someone else changed this record since you opened it. Reload it and try again.")
    assert conflict == "您打开后，该记录已被他人修改。请重新加载后重试。"
    assert conflict in second.locator(".errorlist").inner_text()
    screenshot(second, "review-11-second-officer-conflict")

    report.refresh_from_db()
    project_a.refresh_from_db()
    assert (report.status, report.review_comment, report.reviewed_by) == (
        ReportStatus.RETURNED,
        CONFLICT_COMMENT,
        officer,
    )
    assert report.version == opened_at + 1
    assert project_a.stage == Stage.SIGNED
    assert not ProjectStageChange.objects.filter(project=project_a).exists()

    # Reloaded, the second officer sees what the first decided.
    second.goto(change_page)
    assert CONFLICT_COMMENT in second.locator(".field-review_comment").inner_text()
    assert zh(ReportStatus.RETURNED.label) in second.locator(".field-status").inner_text()
    screenshot(second, "review-12-second-officer-reloaded")
    first.context.close()
    second.context.close()
