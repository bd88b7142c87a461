"""An API list's ``count`` is PostgreSQL's estimate only for a provincial role's unfiltered list of a large table
(``common.api.pagination.estimated_count``), flagged ``count_estimated: true``; a filtered list and a liaison's list
always count exactly, and the pages near the end are numbered from the exact count so the last page is never
refused nor its ``next`` link lost."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.api import pagination
from projects.factories import ProjectFactory
from projects.models import Project, Stage
from tests.conftest import client_for

URL = "/api/v1/projects/"


@pytest.fixture(autouse=True)
def _fresh_estimates():
    pagination._ROW_ESTIMATES.clear()
    yield
    pagination._ROW_ESTIMATES.clear()


@pytest.fixture
def projects(pairing_a, pairing_b):
    made = [ProjectFactory(pairing=pairing_a) for _ in range(5)]
    made += [ProjectFactory(pairing=pairing_b, stage=Stage.PIPELINE, signed_date=None) for _ in range(3)]
    return made


def _counts(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]


def test_counts_are_exact_unless_turned_on(officer, projects, settings):
    settings.API_ESTIMATED_COUNT_FROM = None
    body = client_for(officer).get(URL, {"page_size": 2}).json()
    assert body["count"] == 8
    assert "count_estimated" not in body


def test_sqlite_always_counts_exactly(officer, projects, settings):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite case")
    settings.API_ESTIMATED_COUNT_FROM = 0
    body = client_for(officer).get(URL, {"page_size": 2}).json()
    assert body["count"] == 8
    assert "count_estimated" not in body


def test_unfiltered_provincial_list_uses_the_planner_estimate(require_postgres, officer, projects, settings):
    settings.API_ESTIMATED_COUNT_FROM = 0
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Project._meta.db_table}")
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Project._meta.db_table])
        reltuples = int(cursor.fetchone()[0])
    client = client_for(officer)
    with CaptureQueriesContext(connection) as captured:
        body = client.get(URL, {"page_size": 2}).json()
    assert body["count_estimated"] is True
    assert body["count"] == reltuples
    assert _counts(captured) == []  # no COUNT(*) of the table
    assert len(body["results"]) == 2


def test_estimate_is_not_used_below_the_threshold(require_postgres, officer, projects, settings):
    settings.API_ESTIMATED_COUNT_FROM = 1_000_000
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Project._meta.db_table}")
    body = client_for(officer).get(URL, {"page_size": 2}).json()
    assert body["count"] == 8
    assert "count_estimated" not in body


@pytest.mark.parametrize("query", [{"stage": Stage.SIGNED}, {"search": "示例"}, {"program": "sd-test"}])
def test_filtered_lists_count_exactly(require_postgres, officer, projects, settings, query):
    settings.API_ESTIMATED_COUNT_FROM = 0
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Project._meta.db_table}")
    body = client_for(officer).get(URL, {"page_size": 2, **query}).json()
    expected = Project.objects.filter(stage=Stage.SIGNED).count() if "stage" in query else 8
    assert body["count"] == expected
    assert "count_estimated" not in body


def test_a_liaisons_count_is_exact(require_postgres, liaison_a, projects, settings):
    settings.API_ESTIMATED_COUNT_FROM = 0
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Project._meta.db_table}")
    body = client_for(liaison_a).get(URL, {"page_size": 2}).json()
    assert body["count"] == 5  # the projects of their county's pairing
    assert "count_estimated" not in body


@pytest.mark.parametrize("estimate", [5, 100])
def test_pages_near_the_end_are_numbered_from_the_exact_count(officer, projects, monkeypatch, estimate):
    """Whether the estimate is low or high, every page up to the real last one is served with the right links,
    and walking the list gives every row once."""
    monkeypatch.setattr(pagination, "estimated_count", lambda queryset: estimate)
    client = client_for(officer)
    first = client.get(URL, {"page_size": 2}).json()
    assert first["count"] == estimate
    assert first["count_estimated"] is True
    assert first["next"] is not None

    seen, page, url = [], None, URL + "?page_size=2"
    while url:
        page = client.get(url).json()
        seen += [row["code"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(p.code for p in projects)
    assert len(seen) == len(set(seen)) == 8
    assert page["count"] == 8  # the last page counts exactly
    assert "count_estimated" not in page
    assert client.get(URL, {"page_size": 2, "page": 5}).status_code == 404
