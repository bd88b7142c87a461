"""The admin's changelists at a national deployment's volume: search, the date drill-down and the memberships list
read through indexes and in a constant number of queries, and find exactly what the admin's own code found."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, Role
from common.admin import with_probed_dates
from pairing.factories import CountyFactory
from projects.factories import ProgressReportFactory, ProjectFactory
from projects.models import ProgressReport, Project, ReportStatus

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def reports(pairing_a, pairing_b):
    made = []
    for n, (pairing, name, enterprise) in enumerate(
        [
            (pairing_a, "新能源装备产业园", "青岛某装备有限公司"),
            (pairing_a, "食品加工基地", "潍坊食品集团"),
            (pairing_b, "纺织产业转移", "淄博纺织有限公司"),
        ]
    ):
        project = ProjectFactory(pairing=pairing, code=f"SRCH-{n:03d}", name=name, enterprise=enterprise)
        for month in (8, 9):
            when = dt.datetime(2024 + n % 2, month + 1, 3 + n, 9, tzinfo=SHANGHAI)
            made.append(
                ProgressReportFactory(
                    project=project,
                    period=f"{2024 + n % 2}-{month:02d}",
                    status=ReportStatus.SUBMITTED,
                    submitted_at=when,
                    first_submitted_at=when,
                )
            )
    return made


def django_search(model, term: str) -> set[int]:
    """What Django's own search over the admin's ``search_fields`` finds."""
    model_admin = admin.site._registry[model]
    queryset, _duplicates = admin.ModelAdmin.get_search_results(model_admin, None, model.objects.all(), term)
    return set(queryset.values_list("pk", flat=True))


def tracker_search(model, term: str) -> set[int]:
    model_admin = admin.site._registry[model]
    queryset, _duplicates = model_admin.get_search_results(None, model.objects.all(), term)
    return set(queryset.values_list("pk", flat=True))


SEARCHES = ["SRCH-001", "srch", "产业", "潍坊食品", "有限公司 纺织", '"食品加工"', "2024-0", "2025-09", "09", "无"]


@pytest.mark.parametrize("term", SEARCHES)
def test_report_search_finds_what_the_admin_search_fields_find(reports, term):
    assert tracker_search(ProgressReport, term) == django_search(ProgressReport, term)


def test_project_search_finds_what_the_admin_search_fields_find(reports, pairing_a):
    county = pairing_a.weak_county
    for term in ["SRCH-002", "srch", "装备", "潍坊", county.name, county.adcode, county.adcode[:4], "无此项目"]:
        assert tracker_search(Project, term) == django_search(Project, term), term


@pytest.mark.parametrize(("kind", "lookups"), [("year", {}), ("month", {"submitted_at__year": 2025}), ("day", {})])
def test_the_date_drill_down_lists_the_same_years_months_and_days(reports, kind, lookups):
    reports_of = ProgressReport.objects.filter(**lookups)

    probed = with_probed_dates(reports_of).datetimes("submitted_at", kind)

    assert probed == list(reports_of.datetimes("submitted_at", kind))


def test_the_drill_down_lists_newest_submissions_first(client, officer, reports):
    client.force_login(officer)

    response = client.get(reverse("admin:projects_progressreport_changelist"), {"submitted_at__year": 2024})

    listed = [report.pk for report in response.context["cl"].result_list]
    expected = ProgressReport.objects.filter(submitted_at__year=2024).order_by("-submitted_at", "-id")
    assert listed == list(expected.values_list("pk", flat=True))


def test_the_memberships_changelist_reads_its_rows_in_a_constant_number_of_queries(client, officer, django_user_model):
    client.force_login(officer)
    url = reverse("admin:accounts_membership_changelist")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for n in range(10):
        user = django_user_model.objects.create_user(f"liaison-{n}")
        Membership.objects.create(user=user, role=Role.LIAISON, county=CountyFactory())
    assert queries() == few
