"""The data migration that records the hands in reward runs made before edits were recorded, from their history."""

from __future__ import annotations

import importlib
from decimal import Decimal

from django.apps import apps

from funds.models import RewardRun, RewardRunEdit, RewardRunParticipant
from funds.reward_runs import reward_run_approve, reward_run_start
from funds.services import fund_close_year
from funds.tasks import reward_runs_year_end_task
from tests.funds import test_reward_runs

fund = test_reward_runs.fund  # a fixture
backfill = importlib.import_module("funds.migrations.0005_backfill_reward_run_edits").backfill


def test_the_history_of_a_run_gives_its_edits_and_participants(fund, finance, officer, django_user_model):
    reward_runs_year_end_task(year=2025)
    reward_run_start(fund=fund, by=finance, cap=Decimal("15000000.00"))
    fund_close_year(fund=fund, by=finance)
    reward_run_approve(run=RewardRun.objects.get(), by=officer)
    RewardRunEdit.objects.all().delete()
    RewardRunParticipant.objects.all().delete()

    backfill(apps, None)

    run = RewardRun.objects.get()
    assert [(edit.by, edit.action, edit.changes) for edit in run.edits.order_by("at", "id")] == [
        (None, "start", {"threshold_pct": "0", "basis": "increment", "cap": None}),
        (finance, "rule", {"cap": [None, "15000000.00"]}),
    ]
    assert {(p.user, p.role) for p in run.participants.all()} == {(finance, "editor"), (officer, "approver")}
