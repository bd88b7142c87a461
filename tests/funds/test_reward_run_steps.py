"""The reward run's steps without traps: a draft locks nothing and can be discarded; closing the fund's year is an
explicit, confirmed step that can be undone until the run is approved; approval works on the figures as they are
then; four eyes over closing and reopening; the working paper on the page, printed and in Excel.

The data are the worked example of ``tests/funds/test_reward_runs.py`` (surplus ¥36,550,000, 台儿庄 ¥16,244,444.45).
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import threading
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation
from openpyxl import load_workbook

from funds.models import Allocation, Fund, RewardPayout, RewardRun, RewardRunEdit, RewardRunStatus
from funds.reward_paper import reward_paper
from funds.reward_runs import (
    RewardRunConflict,
    RewardRunStale,
    reward_run_approve,
    reward_run_changes,
    reward_run_discard,
    reward_run_start,
)
from funds.services import (
    FundYearConflict,
    allocation_create,
    disbursement_create,
    fund_close_year,
    fund_reopen_year,
)
from stats.models import ReleaseKind
from tests.conftest import client_for
from tests.funds import test_reward_runs
from tests.funds.test_reward_runs import main_tax

fund = test_reward_runs.fund  # a fixture: the worked example's guidance fund with its statistics

RUNS = "/api/v1/reward-runs/"


@pytest.fixture
def officer_b(django_user_model):
    return django_user_model.objects.create_superuser("officer_b", "b@example.org", "pw-officer-b")


def close_url(fund: Fund) -> str:
    return f"/api/v1/funds/{fund.pk}/close-year/"


def reopen_url(fund: Fund) -> str:
    return f"/api/v1/funds/{fund.pk}/reopen-year/"


class TestDraftLocksNothing:
    def test_after_a_draft_finance_still_allocates_and_pays(self, fund, finance, pairing_a):
        reward_run_start(fund=fund, by=finance)

        allocation = allocation_create(
            fund=fund, county=pairing_a.weak_county, amount=Decimal("1000000.00"), allocated_on=dt.date(2025, 11, 1)
        )
        disbursement_create(allocation=allocation, amount=Decimal("400000.00"), paid_on=dt.date(2025, 11, 2))

        fund.refresh_from_db()
        assert fund.frozen_at is None and fund.closed_by is None
        assert Allocation.objects.get(pk=allocation.pk).disbursed == Decimal("400000.00")

    def test_a_draft_can_be_run_again_and_discarded(self, fund, finance, officer):
        run, _ = reward_run_start(fund=fund, by=finance)
        reward_run_start(fund=fund, by=finance, cap=Decimal("15000000.00"))

        reward_run_discard(run=run, by=officer)

        assert not RewardRun.objects.exists()
        assert RewardRun.history.filter(id=run.pk, history_type="-").get().history_user == officer
        again, created = reward_run_start(fund=fund, by=finance)
        assert created and again.cap is None

    def test_discard_through_the_api_and_the_admin(self, client, fund, finance, officer, leader):
        run, _ = reward_run_start(fund=fund, by=finance)
        assert client_for(leader).post(f"{RUNS}{run.pk}/discard/").status_code == 403
        assert client_for(finance).post(f"{RUNS}{run.pk}/discard/").json() == {
            "id": run.pk,
            "fund": fund.pk,
            "discarded": True,
        }
        assert not RewardRun.objects.exists()

        run, _ = reward_run_start(fund=fund, by=finance)
        client.force_login(officer)
        client.post("/admin/funds/rewardrun/", {"action": "discard_drafts", "_selected_action": [run.pk]})
        assert not RewardRun.objects.exists()

    def test_an_approved_run_is_never_discarded(self, fund, finance, officer):
        run, _ = reward_run_start(fund=fund, by=finance)
        fund_close_year(fund=fund, by=finance)
        reward_run_approve(run=run, by=officer)

        with pytest.raises(RewardRunConflict):
            reward_run_discard(run=run, by=finance)
        assert client_for(finance).post(f"{RUNS}{run.pk}/discard/").status_code == 409
        assert RewardRun.objects.get().status == RewardRunStatus.APPROVED


class TestCloseAndReopen:
    def test_the_api_closes_only_when_confirmed_and_lists_the_consequences(self, fund, finance):
        refused = client_for(finance).post(close_url(fund), {}, format="json", HTTP_ACCEPT_LANGUAGE="en")

        assert refused.status_code == 400
        messages = " ".join(refused.json()["confirm"])
        assert "confirm: true" in messages and "No more allocations" in messages
        assert Fund.objects.get(pk=fund.pk).frozen_at is None

        closed = client_for(finance).post(close_url(fund), {"confirm": True}, format="json")
        assert closed.status_code == 200 and closed.json()["closed"] is True
        fund.refresh_from_db()
        assert fund.frozen_at is not None and fund.closed_by.username == "finance"

    def test_the_admin_page_lists_the_consequences_and_closes_on_confirmation(self, client, fund, finance):
        run, _ = reward_run_start(fund=fund, by=finance)
        client.force_login(finance)
        url = f"/admin/funds/rewardrun/year/{fund.pk}/close/"

        page = client.get(url).content.decode()
        assert "分配、拨付" in page or "No more allocations" in page
        assert 'name="confirm"' in page
        client.post(url, {})  # no confirmation: nothing happens
        assert Fund.objects.get(pk=fund.pk).frozen_at is None

        response = client.post(url, {"confirm": "yes"})

        assert response.status_code == 302 and response["Location"].endswith(f"/rewardrun/{run.pk}/change/")
        assert Fund.objects.get(pk=fund.pk).frozen_at is not None
        assert [edit.action for edit in run.edits.order_by("at", "id")] == ["start", "close"]

    def test_the_list_shows_each_year_and_its_next_step_in_chinese(self, client, fund, finance, officer):
        run, _ = reward_run_start(fund=fund, by=finance)
        client.force_login(officer)
        headers = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}

        listing = client.get("/admin/funds/rewardrun/", **headers).content.decode()
        assert "未结账" in listing and f"/admin/funds/rewardrun/year/{fund.pk}/close/" in listing
        page = client.get(f"/admin/funds/rewardrun/year/{fund.pk}/close/", **headers).content.decode()
        assert "资金不再登记分配、拨付、出资或投资。" in page and "确认结账" in page

        fund_close_year(fund=fund, by=finance)
        listing = client.get("/admin/funds/rewardrun/", **headers).content.decode()
        assert "已结账" in listing and f"/admin/funds/rewardrun/year/{fund.pk}/reopen/" in listing
        assert run.pk

    def test_undo_the_close_and_money_moves_again(self, client, fund, finance, officer):
        reward_run_start(fund=fund, by=finance)
        fund_close_year(fund=fund, by=finance)
        allocation = fund.allocations.get(county_id="370405")
        with pytest.raises(ValidationError):
            disbursement_create(allocation=allocation, amount=Decimal("1.00"), paid_on=dt.date(2025, 12, 30))

        client.force_login(officer)
        page = client.get(f"/admin/funds/rewardrun/year/{fund.pk}/reopen/").content.decode()
        assert 'name="confirm"' in page
        client.post(f"/admin/funds/rewardrun/year/{fund.pk}/reopen/", {"confirm": "yes"})

        fund.refresh_from_db()
        assert fund.frozen_at is None and fund.closed_by is None
        disbursement_create(allocation=allocation, amount=Decimal("1.00"), paid_on=dt.date(2025, 12, 30))
        assert client_for(finance).post(close_url(fund), {"confirm": True}, format="json").status_code == 200
        assert client_for(finance).post(reopen_url(fund)).status_code == 200
        assert Fund.objects.get(pk=fund.pk).frozen_at is None

    def test_no_undo_after_approval(self, client, fund, finance, officer):
        run, _ = reward_run_start(fund=fund, by=finance)
        fund_close_year(fund=fund, by=finance)
        reward_run_approve(run=run, by=officer)

        with pytest.raises(FundYearConflict):
            fund_reopen_year(fund=fund, by=finance)
        assert client_for(finance).post(reopen_url(fund)).status_code == 409
        client.force_login(officer)
        page = client.get(f"/admin/funds/rewardrun/year/{fund.pk}/reopen/").content.decode()
        assert 'name="confirm"' not in page
        client.post(f"/admin/funds/rewardrun/year/{fund.pk}/reopen/", {"confirm": "yes"})
        assert Fund.objects.get(pk=fund.pk).frozen_at is not None

    def test_who_may_close_or_reopen(self, client, fund, leader, liaison_a):
        for person in (leader, liaison_a):
            with pytest.raises(PermissionDenied):
                fund_close_year(fund=fund, by=person)
            assert client_for(person).post(close_url(fund), {"confirm": True}, format="json").status_code == 403
        client.force_login(leader)
        assert client.get(f"/admin/funds/rewardrun/year/{fund.pk}/close/").status_code == 403
        assert Fund.objects.get(pk=fund.pk).frozen_at is None


class TestApprovalOnTodaysFigures:
    def test_an_open_year_is_not_approved(self, fund, finance, officer):
        run, _ = reward_run_start(fund=fund, by=finance)

        with translation.override("en"), pytest.raises(RewardRunConflict, match="Close the 2025 fund year"):
            reward_run_approve(run=run, by=officer)
        assert not RewardPayout.objects.exists()

    def test_a_draft_made_stale_by_a_later_disbursement_is_refused_with_the_reason(
        self, fund, finance, officer, officer_b
    ):
        run, _ = reward_run_start(fund=fund, by=finance)
        allocation = fund.allocations.get(county_id="370405")
        disbursement_create(allocation=allocation, amount=Decimal("5000000.00"), paid_on=dt.date(2025, 12, 1))
        fund_close_year(fund=fund, by=finance)

        with translation.override("en"), pytest.raises(RewardRunStale) as refused:
            reward_run_approve(run=run, by=officer)

        assert refused.value.reasons == [
            "16,845.000000 万元 has been disbursed from the fund; the draft used 16,345.000000 万元."
        ]
        assert RewardRun.objects.get().status == RewardRunStatus.DRAFT
        response = client_for(officer).post(f"{RUNS}{run.pk}/approve/", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 409 and "16,845.000000" in response.json()["detail"]

        reward_run_start(fund=fund, by=officer_b)  # recomputed on today's figures: officer_b is now an editor
        approved = reward_run_approve(run=run, by=officer)
        assert approved.surplus == Decimal("31550000.00")
        assert sum(p.amount for p in RewardPayout.objects.all()) == Decimal("31550000.00")

    def test_a_revised_statistic_after_the_draft_is_named(self, fund, finance, officer):
        run, _ = reward_run_start(fund=fund, by=finance)
        fund_close_year(fund=fund, by=finance)
        main_tax("370481", "2025", "530000000.00", "6.0", release=ReleaseKind.REVISED, as_of=dt.date(2026, 6, 30))

        with translation.override("en"):
            reasons = reward_run_changes(run=run)
        assert len(reasons) == 1 and reasons[0].startswith("滕州市's main-tax revenue is now 53,000.000000 万元")
        with pytest.raises(RewardRunStale):
            reward_run_approve(run=run, by=officer)

    def test_the_admin_shows_the_draft_is_out_of_date(self, client, fund, finance, officer):
        run, _ = reward_run_start(fund=fund, by=finance)
        disbursement_create(
            allocation=fund.allocations.get(county_id="370405"), amount=Decimal("1.00"), paid_on=dt.date(2025, 12, 1)
        )
        client.force_login(officer)
        page = client.get(f"/admin/funds/rewardrun/{run.pk}/change/").content.decode()
        assert "reward-stale" in page and "16,345.000100" in page


class TestFourEyesOverTheYear:
    def test_who_closed_the_year_does_not_approve(self, fund, finance, officer, officer_b):
        run, _ = reward_run_start(fund=fund, by=finance)
        fund_close_year(fund=fund, by=officer)

        with pytest.raises(PermissionDenied):
            reward_run_approve(run=run, by=officer)
        assert client_for(officer).post(f"{RUNS}{run.pk}/approve/").status_code == 403
        assert reward_run_approve(run=run, by=officer_b).status == RewardRunStatus.APPROVED

    def test_closing_before_the_draft_counts_too(self, fund, finance, officer):
        fund_close_year(fund=fund, by=officer)
        run, _ = reward_run_start(fund=fund, by=finance)

        with pytest.raises(PermissionDenied):
            reward_run_approve(run=run, by=officer)

    def test_who_reopened_the_year_does_not_approve(self, fund, finance, officer, officer_b):
        run, _ = reward_run_start(fund=fund, by=finance)
        fund_close_year(fund=fund, by=finance)
        fund_reopen_year(fund=fund, by=officer)
        fund_close_year(fund=fund, by=finance)

        with pytest.raises(PermissionDenied):
            reward_run_approve(run=run, by=officer)
        edits = [(edit.by.username, edit.action) for edit in RewardRunEdit.objects.filter(run=run).order_by("at", "id")]
        assert edits == [("finance", "start"), ("finance", "close"), ("officer", "reopen"), ("finance", "close")]
        body = client_for(officer_b).post(f"{RUNS}{run.pk}/approve/").json()
        assert body["status"] == "approved"
        assert {(p["user"], p["role"]) for p in body["participants"]} == {
            ("finance", "editor"),
            ("officer", "editor"),
            ("officer_b", "approver"),
        }


class TestWorkingPaper:
    def test_the_paper_reads_as_a_finance_officers_working_paper(self, fund, finance, officer):
        run, _ = reward_run_start(fund=fund, by=finance)
        fund_close_year(fund=fund, by=finance)

        paper = reward_paper(RewardRun.objects.get(pk=run.pk))
        titles = [table.title for table in paper.tables]
        assert titles == ["一、基本情况", "二、结余计算", "三、各县资格审查", "四、权重与分配", "五、经办记录"]
        assert paper.title == "2025年度测试项目帮扶引导资金结余奖励测算底稿"
        surplus = paper.tables[1]
        assert surplus.total[1].text == "3,655.000000"
        eligibility = {row[0].text: [cell.text for cell in row] for row in paper.tables[2].rows}
        assert eligibility["台儿庄区"][2:7] == ["120,000.000000", "124,000.000000", "4,000.000000", "3.33", "符合"]
        assert "高于门槛 0.00%" in eligibility["台儿庄区"][7]
        assert eligibility["山亭区"][5:8] == ["-2.50", "不符合", "主体税收增长率 -2.50%，未高于门槛 0.00%，不予奖励。"]
        allocation = {row[0].text: [cell.text for cell in row] for row in paper.tables[3].rows}
        assert allocation["台儿庄区"] == [
            "台儿庄区",
            "4,000.000000",
            "44.44",
            "1,624.444444",
            "1,624.444444",
            "0.44",
            "是",
            "否",
            "1,624.444445",
        ]
        assert paper.tables[3].total[-1].text == "3,655.000000"
        every_text = " ".join(cell.text for table in paper.tables for row in table.rows for cell in row)
        assert "True" not in every_text and "None" not in every_text
        assert "3.333333" not in every_text  # growth to two decimals, not the stored twelve
        log = [[cell.text for cell in row] for row in paper.tables[4].rows]
        assert [row[1:3] for row in log] == [["finance", "开始测算（草稿）"], ["finance", "年度结账"]]

    def test_the_run_page_the_print_page_and_the_workbook_carry_the_paper(self, client, fund, finance, officer):
        run, _ = reward_run_start(fund=fund, by=finance)
        client.force_login(officer)

        page = client.get(f"/admin/funds/rewardrun/{run.pk}/change/").content.decode()
        printed = client.get(f"/admin/funds/rewardrun/{run.pk}/paper/")
        workbook_response = client.get(f"/admin/funds/rewardrun/{run.pk}/xlsx/")

        for html in (page, printed.content.decode()):
            assert "四、权重与分配" in html and "1,624.444445" in html and "未高于门槛" in html
        assert printed.status_code == 200 and "@page" in printed.content.decode()
        assert workbook_response.status_code == 200
        assert "fund-2025-guidance-reward-run.xlsx" in workbook_response["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(workbook_response.content))["测算底稿"]
        values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
        assert "四、权重与分配" in values
        assert Decimal(str(next(v for v in values if str(v).startswith("1624.444445")))) == Decimal("1624.444445")
        assert any(isinstance(v, str) and "未高于门槛" in v for v in values)

    def test_a_name_that_looks_like_a_formula_is_text_in_the_workbook(self, client, fund, finance, officer):
        from pairing.models import Region

        Region.objects.filter(adcode="370406").update(name='=HYPERLINK("http://x")')
        run, _ = reward_run_start(fund=fund, by=finance)
        client.force_login(officer)

        sheet = load_workbook(io.BytesIO(client.get(f"/admin/funds/rewardrun/{run.pk}/xlsx/").content))["测算底稿"]
        names = [row[0] for row in sheet.iter_rows(values_only=True) if row and row[0] and "HYPERLINK" in str(row[0])]
        assert names and all(not name.startswith("=") for name in names)


def test_the_data_migration_records_who_closed_the_years_closed_before(fund, finance, officer):
    record = importlib.import_module("funds.migrations.0007_record_closed_years").record
    run, _ = reward_run_start(fund=fund, by=finance)
    # As the first draft used to: the year closed by the person who drafted, nothing else recorded.
    fund.frozen_at = timezone.now()
    fund._history_user = finance
    fund.save(update_fields=["frozen_at"])

    record(apps, None)

    fund.refresh_from_db()
    assert fund.frozen_at is not None and fund.closed_by == finance
    assert [edit.action for edit in run.edits.order_by("at", "id")] == ["start", "close"]
    with pytest.raises(PermissionDenied):
        reward_run_approve(run=run, by=finance)
    fund_reopen_year(fund=fund, by=officer)  # a draft's year is undone as any other
    assert Fund.objects.get(pk=fund.pk).frozen_at is None


@pytest.mark.django_db(transaction=True)
def test_a_reopening_racing_an_approval_never_leaves_an_approved_run_in_an_open_year(require_postgres, request):
    """Finance reopens the year while an officer approves: whichever takes the fund's row lock first, either the run
    is approved and the year stays closed (the reopening is refused), or the year is reopened and nothing is paid."""
    fund = request.getfixturevalue("fund")
    finance = request.getfixturevalue("finance")
    officer = request.getfixturevalue("officer")
    run, _ = reward_run_start(fund=fund, by=finance)
    fund_close_year(fund=fund, by=finance)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def reopen() -> None:
        try:
            barrier.wait()
            fund_reopen_year(fund=fund, by=finance)
            outcomes["reopen"] = "done"
        except FundYearConflict:
            outcomes["reopen"] = "conflict"
        finally:
            connection.close()

    def approve() -> None:
        try:
            barrier.wait()
            reward_run_approve(run=run, by=officer)
            outcomes["approve"] = "approved"
        except RewardRunConflict:
            outcomes["approve"] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=reopen), threading.Thread(target=approve)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes in ({"reopen": "conflict", "approve": "approved"}, {"reopen": "done", "approve": "refused"})
    fund.refresh_from_db()
    if RewardRun.objects.get().status == RewardRunStatus.APPROVED:
        assert fund.frozen_at is not None
        assert sum(p.amount for p in RewardPayout.objects.all()) == Decimal("36550000.00")
    else:
        assert fund.frozen_at is None and not RewardPayout.objects.exists()
