"""A finance officer drafts the year-end reward run, closes the fund's year, undoes it, closes it again, and another
provincial officer approves — in a real browser at 1440 px, with a screenshot of each step (and the working paper at
phone size)."""

from __future__ import annotations

import pytest

from funds.models import Fund, RewardRun, RewardRunStatus
from tests.funds import test_reward_runs

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

fund = test_reward_runs.fund  # a fixture: the worked example's guidance fund with its statistics
WIDE = {"width": 1440, "height": 900}


def sign_in(browser, live_server, username: str, password: str, viewport=WIDE):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def confirm_year_step(page, run_url: str, step: str) -> None:
    """Open the close / reopen link on the run's page, read the consequences, confirm, and land on the run again."""
    page.goto(run_url)
    with page.expect_navigation():
        page.click(f'.reward-year-state a[href*="/year/"][href$="/{step}/"]')
    assert page.locator(".reward-consequences li").count() >= 3
    return None


def test_close_undo_close_approve(browser, live_server, fund, finance, officer, screenshot):
    page = sign_in(browser, live_server, "finance", "pw-finance")
    page.goto(f"{live_server.url}/admin/funds/rewardrun/add/")
    page.select_option("#id_fund", str(fund.pk))
    with page.expect_navigation():
        page.click("input[name=_save]")
    run = RewardRun.objects.get()
    run_url = f"{live_server.url}/admin/funds/rewardrun/{run.pk}/change/"
    page.goto(run_url)
    assert "四、权重与分配" in page.inner_text(".reward-paper")
    assert Fund.objects.get(pk=fund.pk).frozen_at is None  # the draft locks nothing
    screenshot(page, "reward-run-1-draft-1440")

    confirm_year_step(page, run_url, "close")
    screenshot(page, "reward-run-2-close-confirm-1440")
    with page.expect_navigation():
        page.click("input[type=submit].default")
    assert Fund.objects.get(pk=fund.pk).frozen_at is not None
    screenshot(page, "reward-run-3-closed-1440")

    confirm_year_step(page, run_url, "reopen")
    screenshot(page, "reward-run-4-reopen-confirm-1440")
    with page.expect_navigation():
        page.click("input[type=submit].default")
    assert Fund.objects.get(pk=fund.pk).frozen_at is None
    screenshot(page, "reward-run-5-reopened-1440")

    confirm_year_step(page, run_url, "close")
    with page.expect_navigation():
        page.click("input[type=submit].default")
    assert Fund.objects.get(pk=fund.pk).frozen_at is not None
    page.context.close()

    page = sign_in(browser, live_server, "officer", "pw-officer")
    page.goto(f"{live_server.url}/admin/funds/rewardrun/")
    page.check(f'input.action-select[value="{run.pk}"]')
    page.select_option("select[name=action]", "approve_runs")
    with page.expect_navigation():
        page.click("button[name=index]")
    assert RewardRun.objects.get().status == RewardRunStatus.APPROVED
    screenshot(page, "reward-run-6-approved-1440")
    page.goto(run_url)
    assert page.locator('.reward-year-state a[href$="/reopen/"]').count() == 0  # no undo after approval
    screenshot(page, "reward-run-7-approved-run-1440")

    page.goto(f"{live_server.url}/admin/funds/rewardrun/{run.pk}/paper/")
    assert "测算底稿" in page.title()
    screenshot(page, "reward-run-8-print-1440")
    page.context.close()

    phone = sign_in(browser, live_server, "officer", "pw-officer", viewport=PHONE)
    phone.goto(f"{live_server.url}/admin/funds/rewardrun/{run.pk}/paper/")
    assert "1,624.444445" in phone.inner_text("body")
    screenshot(phone, "reward-run-9-print-375")
    phone.context.close()
