"""Dates and times printed for people are Beijing time (TIME_ZONE = Asia/Shanghai), not UTC: a document generated
at 01:30 on 2 December in Jinan says 2 December, although it is still 1 December in UTC."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.bulletins import bulletin_generate
from projects.models import Bulletin
from reporting.evaluation import evaluation_charts, evaluation_document, evaluation_figures

pytestmark = pytest.mark.django_db

# 17:30 UTC on 1 December is 01:30 on 2 December in Beijing.
LATE_EVENING_UTC = dt.datetime(2026, 12, 1, 17, 30, tzinfo=dt.UTC)


@pytest.fixture
def at_late_evening_utc(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: LATE_EVENING_UTC)


@pytest.mark.usefixtures("at_late_evening_utc")
def test_the_evaluation_report_is_dated_in_beijing_time(program, pairing_a, pairing_b):
    figures = evaluation_figures(program=program, year=2025)

    assert figures["generated_at"].startswith("2026-12-02T01:30")
    assert evaluation_document(figures, charts=evaluation_charts(figures))["generated_on"] == "2026-12-02"


def test_the_printable_bulletin_shows_the_generation_time_in_beijing_time(program, pairing_a, officer):
    bulletin = bulletin_generate(program=program, period="2025-10", by=officer, today=dt.date(2025, 11, 1))
    Bulletin.objects.filter(pk=bulletin.pk).update(generated_at=LATE_EVENING_UTC)
    client = Client()
    client.force_login(officer)

    page = client.get(reverse("admin:projects_bulletin_print", args=[bulletin.pk])).content.decode()

    assert "2026-12-02 01:30" in page
    assert "2026-12-01 17:30" not in page
