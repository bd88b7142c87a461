"""One colour for a project everywhere: the officers' health mark (滞后 / 停滞) is one of the warning rules, so a
project the admin lists as lagging is never shown blue (运行正常) on the liaison's card."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from liaison.selectors import project_cards
from projects.models import Health, Project, ProjectWarning, Stage, WarningColour
from projects.services import project_create
from projects.warnings import ReasonCode, classify, warning_rules_for, warnings_refresh

from .test_admin import change_form_data

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 10, 20)


def _pipeline(pairing) -> Project:
    """A project no dated rule applies to: blue unless the officers mark it."""
    return project_create(
        pairing=pairing,
        code="TEZ-009",
        name="储备项目",
        planned_investment=Decimal("50000000.00"),
        stage=Stage.PIPELINE,
    )


@pytest.mark.parametrize(
    ("health", "colour", "code"),
    [
        (Health.NORMAL, WarningColour.BLUE, ReasonCode.ON_TRACK),
        (Health.LAGGING, WarningColour.YELLOW, ReasonCode.MARKED_LAGGING),
        (Health.STALLED, WarningColour.RED, ReasonCode.MARKED_STALLED),
    ],
)
def test_the_health_mark_sets_the_colour(pairing_a, health, colour, code):
    project = _pipeline(pairing_a)
    project.health = health

    found, reasons = classify(project, rules=warning_rules_for(pairing_a.program), today=TODAY, reports=[])

    assert (found, reasons[0]["code"]) == (colour, code)


def test_marking_a_project_lagging_in_the_admin_turns_the_liaison_card_yellow(
    officer, liaison_a, pairing_a, django_capture_on_commit_callbacks
):
    project = _pipeline(pairing_a)
    warnings_refresh()
    assert ProjectWarning.objects.get(project=project).colour == WarningColour.BLUE
    admin = Client()
    admin.force_login(officer)
    change = reverse("admin:projects_project_change", args=[project.pk])
    page = admin.get(change)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(change, change_form_data(page, health=Health.LAGGING))

    assert response.status_code == 302
    [card] = project_cards(county=pairing_a.weak_county_id, today=timezone.localdate())
    assert card.warning.colour == WarningColour.YELLOW
    liaison = Client()
    liaison.force_login(liaison_a)
    with translation.override("zh-hans"):
        html = liaison.get(reverse("liaison:projects"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "badge-yellow" in html
    assert "badge-blue" not in html
