"""Four eyes on the year-end reward run: whoever set or changed anything in a draft cannot approve it.

The holes this closes: officer A starts a run, officer B re-runs the draft with a rule of their own (threshold,
basis, cap) and approves it alone; and a draft the scheduled job made (no starter) is re-run with any rule and
approved by one officer. Every person who starts, re-runs or changes a draft is recorded on it (``RewardRunEdit``,
``RewardRunParticipant``), and ``reward_run_approve`` refuses each of them; a job's draft needs one officer to
confirm or change its rule and another to approve. The database refuses an approver who edited the draft
(one hand per person and run).
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction

from funds.models import RewardPayout, RewardRun, RewardRunEdit, RewardRunParticipant, RewardRunStatus
from funds.reward_runs import RewardRunConflict, reward_run_approve, reward_run_start
from funds.services import fund_close_year
from funds.tasks import reward_runs_year_end_task
from tests.conftest import client_for
from tests.funds import test_reward_runs

fund = test_reward_runs.fund  # the worked example's guidance fund, with its statistics (a fixture)

URL = "/api/v1/reward-runs/"


@pytest.fixture
def officer_b(django_user_model):
    return django_user_model.objects.create_superuser("officer_b", "b@example.org", "pw-officer-b")


@pytest.fixture
def officer_c(django_user_model):
    from accounts.services import user_set_role

    user = django_user_model.objects.create_user("officer_c", "c@example.org", "pw-officer-c", is_staff=True)
    user_set_role(user=user, role="officer")
    return user


def approve_action(client, run: RewardRun):
    return client.post("/admin/funds/rewardrun/", {"action": "approve_runs", "_selected_action": [run.pk]})


class TestApi:
    def test_an_officer_who_reruns_a_draft_with_their_own_rule_cannot_approve_it(self, fund, officer, officer_b):
        started = client_for(officer).post(URL, {"fund": fund.pk}, format="json")
        assert started.status_code == 201
        run_id = started.json()["id"]

        rerun = client_for(officer_b).post(
            URL, {"fund": fund.pk, "threshold_pct": "3.4", "basis": "rate"}, format="json"
        )
        assert rerun.status_code == 200, rerun.content
        assert [row["county"] for row in rerun.json()["shares"] if row["eligible"]] == ["370481"]

        assert client_for(officer_b).post(f"{URL}{run_id}/approve/").status_code == 403
        assert client_for(officer).post(f"{URL}{run_id}/approve/").status_code == 403
        assert RewardRun.objects.get().status == RewardRunStatus.DRAFT
        assert not RewardPayout.objects.exists()

    def test_a_recomputation_alone_counts_as_a_hand_in_the_draft(self, fund, finance, officer):
        client_for(finance).post(URL, {"fund": fund.pk}, format="json")
        run_id = client_for(officer).post(URL, {"fund": fund.pk}, format="json").json()["id"]

        assert client_for(officer).post(f"{URL}{run_id}/approve/").status_code == 403

    def test_a_third_officer_approves_and_the_run_shows_who_touched_it(self, fund, finance, officer, officer_b):
        fund_close_year(fund=fund)  # by the system, before the draft: no hand in it
        client_for(finance).post(URL, {"fund": fund.pk}, format="json")
        run_id = client_for(officer_b).post(URL, {"fund": fund.pk, "cap": "15000000.00"}, format="json").json()["id"]

        approved = client_for(officer).post(f"{URL}{run_id}/approve/")

        assert approved.status_code == 200, approved.content
        body = approved.json()
        assert body["status"] == "approved" and body["approved_by"] == "officer"
        edits = body["edits"]
        assert [(edit["by"], edit["action"]) for edit in edits] == [("finance", "start"), ("officer_b", "rule")]
        assert edits[1]["changes"] == {"cap": [None, "15000000.00"]}
        assert all(edit["at"] for edit in edits)
        assert body["participants"] == [
            {"user": "finance", "role": "editor"},
            {"user": "officer_b", "role": "editor"},
            {"user": "officer", "role": "approver"},
        ]

    def test_a_liaison_does_not_see_who_touched_a_run(self, fund, finance, liaison_a):
        run_id = client_for(finance).post(URL, {"fund": fund.pk}, format="json").json()["id"]
        body = client_for(liaison_a).get(f"{URL}{run_id}/").json()
        assert body["edits"] == [] and body["participants"] == []


class TestScheduledDrafts:
    def test_one_officer_cannot_rerun_a_job_draft_with_their_own_rule_and_approve_it(self, fund, officer):
        reward_runs_year_end_task(year=2025)
        run = RewardRun.objects.get()
        assert run.created_by is None

        rerun = client_for(officer).post(URL, {"fund": fund.pk, "threshold_pct": "3.4"}, format="json")
        assert rerun.status_code == 200
        assert client_for(officer).post(f"{URL}{run.pk}/approve/").status_code == 403
        assert RewardRun.objects.get().status == RewardRunStatus.DRAFT

    def test_a_job_draft_nobody_confirmed_is_not_approved(self, fund, officer):
        reward_runs_year_end_task(year=2025)
        run = RewardRun.objects.get()

        with pytest.raises(PermissionDenied):
            reward_run_approve(run=run, by=officer)
        assert client_for(officer).post(f"{URL}{run.pk}/approve/").status_code == 403
        assert not RewardPayout.objects.exists()

    def test_a_job_draft_takes_two_officers(self, fund, officer, officer_b):
        fund_close_year(fund=fund)
        reward_runs_year_end_task(year=2025)
        reward_run_start(fund=fund, by=officer_b)  # confirms the rule

        run = reward_run_approve(run=RewardRun.objects.get(), by=officer)

        assert run.status == RewardRunStatus.APPROVED
        assert [(edit.by, edit.action) for edit in run.edits.order_by("at", "pk")] == [
            (None, "start"),
            (officer_b, "recompute"),
        ]


class TestAdmin:
    def test_rerun_with_another_rule_then_approve_alone_is_refused(self, client, fund, officer, officer_b):
        client.force_login(officer)
        client.post(
            "/admin/funds/rewardrun/add/", {"fund": fund.pk, "threshold_pct": "0", "basis": "increment", "cap": ""}
        )
        run = RewardRun.objects.get()

        client.force_login(officer_b)
        rerun = client.post(
            "/admin/funds/rewardrun/add/", {"fund": fund.pk, "threshold_pct": "3.4", "basis": "rate", "cap": ""}
        )
        assert rerun.status_code == 302
        approve_action(client, run)

        assert RewardRun.objects.get().status == RewardRunStatus.DRAFT
        assert not RewardPayout.objects.exists()

    def test_the_rerun_action_counts_too(self, client, fund, finance, officer):
        reward_run_start(fund=fund, by=finance)
        run = RewardRun.objects.get()
        client.force_login(officer)

        client.post("/admin/funds/rewardrun/", {"action": "rerun_drafts", "_selected_action": [run.pk]})
        approve_action(client, run)

        assert RewardRun.objects.get().status == RewardRunStatus.DRAFT

    def test_a_job_draft_rerun_and_approved_by_one_officer_is_refused(self, client, fund, officer_c):
        reward_runs_year_end_task(year=2025)
        run = RewardRun.objects.get()
        client.force_login(officer_c)

        client.post(
            "/admin/funds/rewardrun/add/", {"fund": fund.pk, "threshold_pct": "3.4", "basis": "rate", "cap": ""}
        )
        approve_action(client, run)

        assert RewardRun.objects.get().status == RewardRunStatus.DRAFT

    def test_the_run_page_lists_who_touched_the_draft(self, client, fund, finance, officer, officer_b):
        fund_close_year(fund=fund)
        reward_runs_year_end_task(year=2025)
        reward_run_start(fund=fund, by=finance, cap=Decimal("15000000.00"))
        run = reward_run_approve(run=RewardRun.objects.get(), by=officer_b)
        client.force_login(officer)

        page = client.get(f"/admin/funds/rewardrun/{run.pk}/change/").content.decode()

        assert "reward-run-edits" in page
        assert "finance" in page and "officer_b" in page
        assert "15000000.00" in page


class TestDatabase:
    def test_an_editor_cannot_be_recorded_as_the_approver(self, fund, finance):
        run, _ = reward_run_start(fund=fund, by=finance)

        with pytest.raises(IntegrityError), transaction.atomic():
            RewardRunParticipant.objects.create(run=run, user=finance, role="approver")

    def test_one_approver_per_run(self, fund, finance, officer, officer_b):
        run, _ = reward_run_start(fund=fund, by=finance)
        RewardRunParticipant.objects.create(run=run, user=officer, role="approver")

        with pytest.raises(IntegrityError), transaction.atomic():
            RewardRunParticipant.objects.create(run=run, user=officer_b, role="approver")

    def test_a_person_edit_names_them_and_only_the_job_is_nobody(self, fund, finance):
        run, _ = reward_run_start(fund=fund, by=finance)

        with pytest.raises(IntegrityError), transaction.atomic():
            RewardRunEdit.objects.create(run=run, by=None, action="rule")


@pytest.mark.django_db(transaction=True)
def test_a_rerun_racing_an_approval_by_the_same_officer_never_approves_their_rule(require_postgres, request):
    """Officer B re-runs A's draft with their own rule while also approving it: whichever gets the fund's row lock
    first, B never approves a draft they touched (either the approval comes first and the re-run is a 409, or the
    re-run comes first and the approval is refused)."""
    fund = request.getfixturevalue("fund")
    officer = request.getfixturevalue("officer")
    officer_b = request.getfixturevalue("officer_b")
    run, _ = reward_run_start(fund=fund, by=officer)
    fund_close_year(fund=fund, by=officer)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def rerun() -> None:
        try:
            barrier.wait()
            reward_run_start(fund=fund, by=officer_b, threshold_pct=Decimal("3.4"))
            outcomes["rerun"] = "done"
        except RewardRunConflict:
            outcomes["rerun"] = "conflict"
        finally:
            connection.close()

    def approve() -> None:
        try:
            barrier.wait()
            reward_run_approve(run=run, by=officer_b)
            outcomes["approve"] = "approved"
        except PermissionDenied:
            outcomes["approve"] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=rerun), threading.Thread(target=approve)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    final = RewardRun.objects.get(pk=run.pk)
    assert outcomes in ({"rerun": "conflict", "approve": "approved"}, {"rerun": "done", "approve": "refused"})
    if final.status == RewardRunStatus.APPROVED:
        assert final.threshold_pct == 0  # A's rule, untouched by B
        assert not final.edits.filter(by=officer_b).exists()
        assert sum(p.amount for p in RewardPayout.objects.filter(run=final)) == final.surplus
    else:
        assert final.edits.filter(by=officer_b).exists()
        assert not RewardPayout.objects.exists()
