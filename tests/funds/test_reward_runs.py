"""The year-end surplus reward run: service, API, scheduled task and concurrency.

The worked example is at the sources' fund size: a ¥200,000,000 guidance fund with ¥163,450,000 disbursed leaves
¥36,550,000, shared among the weak counties whose main-tax revenue grew, by their main-tax increment.

    county        2024 main tax     2025 main tax     increment       growth     weight
    370405 台儿庄   1,200,000,000     1,240,000,000     40,000,000     +3.33%      40,000,000
    371328 蒙阴       900,000,000       930,000,000     30,000,000     +3.33%      30,000,000
    370481 滕州       500,000,000       520,000,000     20,000,000     +4.0% (reported)  20,000,000
    370406 山亭       800,000,000       780,000,000    −20,000,000     −2.5%      not eligible
                                                                      Σw = 90,000,000

    exact shares: 36,550,000 × 40/90 = 16,244,444.444…, × 30/90 = 12,183,333.333…, × 20/90 = 8,122,222.222…
    floors sum to 36,549,999.99: the one fen left goes to the largest remainder (0.444… fen, 台儿庄).
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from funds.factories import FundFactory
from funds.models import Fund, RewardPayout, RewardRun, RewardRunStatus
from funds.reward_runs import RewardRunConflict, reward_run_approve, reward_run_start
from funds.services import allocation_create, disbursement_create, fund_close_year
from funds.tasks import reward_runs_year_end_task
from pairing.factories import CountyFactory, ProgramCountyFactory
from stats.models import Indicator, ReleaseKind, StatValue
from tests.conftest import client_for

URL = "/api/v1/reward-runs/"
SURPLUS = Decimal("36550000.00")
EXPECTED = {
    "370405": Decimal("16244444.45"),
    "371328": Decimal("12183333.33"),
    "370481": Decimal("8122222.22"),
    "370406": Decimal("0.00"),
}
MAIN_TAX = {  # adcode: (2024, 2025, reported 2025 growth)
    "370405": ("1200000000.00", "1240000000.00", None),
    "371328": ("900000000.00", "930000000.00", None),
    "370481": ("500000000.00", "520000000.00", "4.0"),
    "370406": ("800000000.00", "780000000.00", None),
}


def main_tax(adcode: str, period: str, value: str, growth: str | None = None, **extra) -> StatValue:
    return StatValue.objects.create(
        region_id=adcode,
        indicator=Indicator.MAIN_TAX,
        period=period,
        value=Decimal(value),
        growth_pct=Decimal(growth) if growth else None,
        source="测试数据",
        **extra,
    )


@pytest.fixture
def fund(program, pairing_a, pairing_b):
    """The 2025 guidance fund with ¥163,450,000 paid out, four weak counties and their main-tax figures."""
    for adcode, name in (("370481", "滕州市"), ("370406", "山亭区")):
        ProgramCountyFactory(program=program, county=CountyFactory(adcode=adcode, name=name))
    fund = FundFactory(program=program, year=2025, total=Decimal("200000000.00"))
    to_a = allocation_create(
        fund=fund, county=pairing_a.weak_county, amount=Decimal("100000000.00"), allocated_on=dt.date(2025, 3, 1)
    )
    to_b = allocation_create(
        fund=fund, county=pairing_b.weak_county, amount=Decimal("80000000.00"), allocated_on=dt.date(2025, 3, 1)
    )
    disbursement_create(allocation=to_a, amount=Decimal("95000000.00"), paid_on=dt.date(2025, 6, 1))
    disbursement_create(allocation=to_b, amount=Decimal("68450000.00"), paid_on=dt.date(2025, 9, 1))
    for adcode, (before, now, growth) in MAIN_TAX.items():
        main_tax(adcode, "2024", before)
        main_tax(adcode, "2025", now, growth, as_of=dt.date(2026, 2, 10))
    return fund


def shares(run: RewardRun) -> dict[str, Decimal]:
    return {share.county_id: share.share for share in run.shares.all()}


class TestStart:
    def test_worked_example_at_the_sources_fund_size(self, fund, finance):
        run, created = reward_run_start(fund=fund, by=finance)

        assert created
        assert run.status == RewardRunStatus.DRAFT
        assert (run.fund_total, run.disbursed, run.surplus) == (
            Decimal("200000000.00"),
            Decimal("163450000.00"),
            SURPLUS,
        )
        assert shares(run) == EXPECTED
        assert sum(shares(run).values()) == SURPLUS
        line = {share.county_id: share for share in run.shares.all()}
        assert line["370405"].increment == Decimal("40000000.00")
        assert line["370481"].growth_pct == Decimal("4.0")  # the reported rate wins over the levels
        assert round(line["371328"].growth_pct, 4) == Decimal("3.3333")  # derived from the levels
        assert line["370406"].eligible is False
        assert "-2.5" in line["370406"].reason or "−2.5" in line["370406"].reason
        assert line["370405"].release.startswith("2025 preliminary 2026-02-10")
        codes = [step["code"] for step in run.explainer]
        assert codes[0] == "surplus" and "rounding" in codes and codes[-1] == "result"

    def test_a_draft_locks_nothing_and_closing_the_year_does(self, fund, finance):
        reward_run_start(fund=fund, by=finance)
        allocation = fund.allocations.get(county_id="370405")

        assert Fund.objects.get(pk=fund.pk).frozen_at is None
        disbursement_create(allocation=allocation, amount=Decimal("1.00"), paid_on=dt.date(2025, 12, 30))

        fund_close_year(fund=fund, by=finance)
        with translation.override("en"), pytest.raises(ValidationError, match="closed"):
            disbursement_create(allocation=allocation, amount=Decimal("1.00"), paid_on=dt.date(2025, 12, 30))
        assert Fund.objects.get(pk=fund.pk).frozen_at is not None

    def test_rerunning_a_draft_recomputes_it_with_a_revised_figure(self, fund, finance, officer):
        first, _ = reward_run_start(fund=fund, by=finance)
        # The revised release raises 滕州's 2025 main tax to 530,000,000: increment 30,000,000, Σw 100,000,000.
        main_tax("370481", "2025", "530000000.00", "6.0", release=ReleaseKind.REVISED, as_of=dt.date(2026, 6, 30))

        again, created = reward_run_start(fund=fund, by=officer)

        assert not created and again.pk == first.pk
        assert RewardRun.objects.count() == 1
        assert again.created_by == finance  # the run stays the one its starter began
        assert shares(again) == {
            "370405": Decimal("14620000.00"),
            "371328": Decimal("10965000.00"),
            "370481": Decimal("10965000.00"),
            "370406": Decimal("0.00"),
        }
        assert again.shares.get(county_id="370481").release.startswith("2025 revised 2026-06-30")

    def test_rule_can_be_changed_on_the_draft(self, fund, finance):
        reward_run_start(fund=fund, by=finance)

        run, _ = reward_run_start(fund=fund, by=finance, cap=Decimal("15000000.00"))

        assert run.cap == Decimal("15000000.00")
        assert max(shares(run).values()) == Decimal("15000000.00")
        assert sum(shares(run).values()) == SURPLUS

    def test_without_statistics_nothing_is_saved_and_the_year_stays_open(self, fund, finance):
        StatValue.objects.all().delete()

        with pytest.raises(ValidationError):
            reward_run_start(fund=fund, by=finance)

        assert not RewardRun.objects.exists()
        assert Fund.objects.get(pk=fund.pk).frozen_at is None

    def test_only_a_guidance_fund_has_a_reward(self, program, pairing_a, finance):
        industry = FundFactory(program=program, year=2025, kind="pair_industry", pairing=pairing_a)
        with pytest.raises(ValidationError):
            reward_run_start(fund=industry, by=finance)


class TestApprove:
    def test_an_officer_other_than_the_starter_approves_and_the_payouts_are_recorded(self, fund, finance, officer):
        run, _ = reward_run_start(fund=fund, by=finance)
        fund_close_year(fund=fund, by=finance)

        approved = reward_run_approve(run=run, by=officer)

        assert approved.status == RewardRunStatus.APPROVED
        assert approved.approved_by == officer
        payouts = {p.county_id: p.amount for p in RewardPayout.objects.filter(fund=fund)}
        assert payouts == {adcode: amount for adcode, amount in EXPECTED.items() if amount}
        assert sum(payouts.values()) == SURPLUS

    def test_nobody_approves_their_own_run(self, fund, officer):
        run, _ = reward_run_start(fund=fund, by=officer)
        with pytest.raises(PermissionDenied):
            reward_run_approve(run=run, by=officer)
        assert not RewardPayout.objects.exists()

    @pytest.mark.parametrize("persona", ["finance", "leader", "liaison_a"])
    def test_only_a_provincial_officer_approves(self, request, fund, officer, persona):
        run, _ = reward_run_start(fund=fund, by=officer)
        with pytest.raises(PermissionDenied):
            reward_run_approve(run=run, by=request.getfixturevalue(persona))

    def test_approving_twice_pays_once_and_an_approved_year_cannot_run_again(self, fund, finance, officer):
        run, _ = reward_run_start(fund=fund, by=finance)
        fund_close_year(fund=fund, by=finance)
        reward_run_approve(run=run, by=officer)

        with pytest.raises(RewardRunConflict):
            reward_run_approve(run=run, by=officer)
        with pytest.raises(RewardRunConflict):
            reward_run_start(fund=fund, by=finance)
        assert RewardPayout.objects.filter(fund=fund).count() == 3

    def test_the_database_refuses_a_second_payout_or_a_second_run(self, fund, finance, officer):
        run, _ = reward_run_start(fund=fund, by=finance)
        fund_close_year(fund=fund, by=finance)
        reward_run_approve(run=run, by=officer)

        with pytest.raises(IntegrityError), transaction.atomic():
            RewardPayout.objects.create(fund=fund, run=run, county_id="370405", amount=Decimal("1.00"))
        with pytest.raises(IntegrityError), transaction.atomic():
            RewardRun.objects.create(fund=fund)


class TestApi:
    def test_post_runs_then_returns_the_same_draft_then_409_after_approval(self, fund, finance, officer):
        first = client_for(finance).post(URL, {"fund": fund.pk}, format="json")
        second = client_for(finance).post(URL, {"fund": fund.pk}, format="json")

        assert first.status_code == 201, first.json()
        body = first.json()
        assert body["status"] == "draft"
        assert body["surplus"] == "36550000.00"
        rows = {row["county"]: row for row in body["shares"]}
        assert {adcode: Decimal(row["share"]) for adcode, row in rows.items()} == EXPECTED
        assert rows["370405"]["increment"] == "40000000.00"
        assert rows["370405"]["main_tax_growth_pct"].startswith("3.333333")
        assert rows["370406"]["eligible"] is False
        assert set(rows["370405"]) >= {"county", "main_tax_growth_pct", "increment", "weight", "share", "eligible"}
        assert body["explainer"]
        assert second.status_code == 200 and second.json()["id"] == body["id"]

        refused = client_for(officer).post(f"{URL}{body['id']}/approve/")
        assert refused.status_code == 409  # the year is still open
        closed = client_for(finance).post(f"/api/v1/funds/{fund.pk}/close-year/", {"confirm": True}, format="json")
        assert closed.status_code == 200 and closed.json()["closed"] is True
        approve = client_for(officer).post(f"{URL}{body['id']}/approve/")
        assert approve.status_code == 200
        assert approve.json()["status"] == "approved"
        assert client_for(officer).post(f"{URL}{body['id']}/approve/").status_code == 409
        assert client_for(finance).post(URL, {"fund": fund.pk}, format="json").status_code == 409
        assert RewardPayout.objects.filter(fund=fund).count() == 3

    def test_the_starter_cannot_approve_through_the_api(self, fund, finance):
        run = client_for(finance).post(URL, {"fund": fund.pk}, format="json").json()
        assert client_for(finance).post(f"{URL}{run['id']}/approve/").status_code == 403

    @pytest.mark.parametrize(("persona", "expected"), [("leader", 403), ("liaison_a", 403), ("norole", 403)])
    def test_who_may_not_start_a_run(self, request, fund, persona, expected):
        response = client_for(request.getfixturevalue(persona)).post(URL, {"fund": fund.pk}, format="json")
        assert response.status_code == expected
        assert not RewardRun.objects.exists()

    def test_anonymous_is_refused(self, api_client, fund):
        assert api_client.post(URL, {"fund": fund.pk}, format="json").status_code == 401
        assert api_client.get(URL).status_code == 401

    def test_a_liaison_sees_their_own_line_only(self, fund, finance, liaison_a, liaison_b, django_user_model):
        run, _ = reward_run_start(fund=fund, by=finance)

        mine = client_for(liaison_a).get(f"{URL}{run.pk}/").json()

        assert [row["county"] for row in mine["shares"]] == ["370405"]
        assert mine["explainer"] == []
        assert client_for(liaison_b).get(URL).json()["count"] == 1
        from accounts.services import user_set_role

        strong_side = django_user_model.objects.create_user("liaison_strong")
        user_set_role(user=strong_side, role="liaison", county=CountyFactory(adcode="370211"))
        assert client_for(strong_side).get(URL).json()["count"] == 0
        assert client_for(strong_side).get(f"{URL}{run.pk}/").status_code == 404

    def test_a_rule_that_cannot_be_applied_is_a_400(self, fund, finance):
        StatValue.objects.all().delete()
        response = client_for(finance).post(URL, {"fund": fund.pk}, format="json")
        assert response.status_code == 400
        assert response.json()["non_field_errors"]


def test_the_year_end_task_drafts_once_and_leaves_approved_runs_alone(fund, finance, officer):
    first = reward_runs_year_end_task(year=2025)
    second = reward_runs_year_end_task(year=2025)

    assert first == second and len(first) == 1
    reward_run_start(fund=fund, by=finance)  # a person confirms the job's draft before another approves it
    assert Fund.objects.get(pk=fund.pk).frozen_at is None  # neither the job nor the draft closed the year
    fund_close_year(fund=fund, by=finance)
    reward_run_approve(run=RewardRun.objects.get(), by=officer)
    assert reward_runs_year_end_task(year=2025) == []
    assert RewardPayout.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_simultaneous_starts_give_one_run_and_simultaneous_approvals_pay_once(require_postgres, request):
    fund = request.getfixturevalue("fund")
    finance = request.getfixturevalue("finance")
    officer = request.getfixturevalue("officer")
    barrier = threading.Barrier(6)
    errors: list[Exception] = []

    def start() -> None:
        try:
            barrier.wait()
            reward_run_start(fund=fund, by=finance)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert RewardRun.objects.count() == 1

    run = RewardRun.objects.get()
    fund_close_year(fund=fund, by=finance)
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def approve() -> None:
        try:
            barrier.wait()
            reward_run_approve(run=run, by=officer)
            outcomes.append("approved")
        except RewardRunConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved"] + ["conflict"] * 5
    assert RewardPayout.objects.filter(fund=fund).count() == 3
    assert sum(p.amount for p in RewardPayout.objects.all()) == SURPLUS


class TestAdmin:
    def test_start_read_and_approve_in_the_admin(self, client, fund, officer, django_user_model):
        client.force_login(officer)

        added = client.post(
            "/admin/funds/rewardrun/add/", {"fund": fund.pk, "threshold_pct": "0", "basis": "increment", "cap": ""}
        )

        assert added.status_code == 302, added.content.decode()[:3000]
        run = RewardRun.objects.get()
        assert shares(run) == EXPECTED
        page = client.get(f"/admin/funds/rewardrun/{run.pk}/change/").content.decode()
        assert "3,655.00" in page  # the surplus in 万元
        assert "1,624.444444" in page and "1,624.444445" in page  # the working paper's arithmetic, in 万元
        assert "台儿庄区" in page

        other = django_user_model.objects.create_superuser("officer2", "o2@example.org", "pw")
        fund_close_year(fund=fund)
        client.force_login(officer)
        client.post("/admin/funds/rewardrun/", {"action": "approve_runs", "_selected_action": [run.pk]})
        assert RewardRun.objects.get().status == RewardRunStatus.DRAFT  # the starter cannot approve
        client.force_login(other)
        client.post("/admin/funds/rewardrun/", {"action": "approve_runs", "_selected_action": [run.pk]})
        assert RewardRun.objects.get().status == RewardRunStatus.APPROVED
        assert RewardPayout.objects.count() == 3

    def test_a_run_that_cannot_be_computed_is_a_form_error(self, client, fund, officer):
        StatValue.objects.all().delete()
        client.force_login(officer)

        response = client.post(
            "/admin/funds/rewardrun/add/", {"fund": fund.pk, "threshold_pct": "0", "basis": "increment", "cap": ""}
        )

        assert response.status_code == 200
        assert not RewardRun.objects.exists()
        assert Fund.objects.get(pk=fund.pk).frozen_at is None


class TestHistory:
    def test_task_runs_are_recorded_as_the_system_and_approvals_with_the_officer(self, fund, finance, officer):
        reward_runs_year_end_task(year=2025)
        run = RewardRun.objects.get()

        drafted = run.history.earliest()
        assert drafted.history_user is None
        assert drafted.history_change_reason == "scheduled year-end reward run"
        assert Fund.objects.get(pk=fund.pk).frozen_at is None  # the job drafts; it closes no year

        reward_run_start(fund=fund, by=finance)
        fund_close_year(fund=fund)
        assert Fund.history.filter(id=fund.pk).latest().history_change_reason == "year closed by the system"
        reward_run_approve(run=run, by=officer)

        assert run.history.latest().history_user == officer
        assert {h.history_user for h in RewardPayout.history.all()} == {officer}
        assert RewardPayout.history.count() == 3

    def test_an_allocation_made_through_the_api_records_the_finance_officer(self, fund, finance, pairing_a):
        response = client_for(finance).post(
            "/api/v1/allocations/",
            {
                "fund": FundFactory(program=fund.program, year=2026).pk,
                "county": "370405",
                "amount": "1000.00",
                "date": "2026-03-01",
            },
            format="json",
        )
        assert response.status_code == 201, response.content

        from funds.models import Allocation

        assert Allocation.history.get(id=response.json()["id"]).history_user == finance

    def test_history_pages_open(self, client, fund, officer, finance):
        run, _ = reward_run_start(fund=fund, by=finance)
        client.force_login(officer)
        assert client.get(f"/admin/funds/rewardrun/{run.pk}/history/").status_code == 200
        assert client.get(f"/admin/funds/fund/{fund.pk}/history/").status_code == 200
