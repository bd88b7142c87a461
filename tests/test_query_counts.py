"""SQL queries per list response: the same for one row a page as for a hundred, and at most ``MAX_QUERIES``.

Every list endpoint of the API router (``config.api_router.router.registry``; a viewset without ``list`` is skipped)
is read by the provincial officer and by county A's liaison at ``page_size=1`` and ``page_size=100``. A count that
grows with the page is an N+1 (a related row or a ``SerializerMethodField`` read per row); fix it with
``select_related`` / ``prefetch_related`` / an annotation in the viewset's queryset or selector.

The data are the permission matrix's (``tests/test_permission_matrix.py``): its ``_side`` is built ``ROUNDS`` times
for each of pairing A and pairing B, so every endpoint has at least three rows for the liaison and six for the
officer, and county A is in two more pairings of other programs (a liaison's pairing list has three rows too).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from config.api_router import router
from impact.factories import ImpactCountyFactory, ImpactResultFactory
from pairing.factories import CountyFactory, PairingFactory, ProgramFactory
from projects.warnings import warnings_refresh
from stats.services import gaps_recompute
from tests.conftest import (
    make_finance,
    make_liaison_a,
    make_liaison_b,
    make_officer,
    make_pairing_a,
    make_pairing_b,
    make_program,
)
from tests.test_permission_matrix import WARNINGS_DAY, _side

pytestmark = pytest.mark.django_db

MAX_QUERIES = 8
ROUNDS = 3
PAGE_SIZES = (1, 100)
LIST_ENDPOINTS = sorted((basename, prefix) for prefix, viewset, basename in router.registry if hasattr(viewset, "list"))
# Lists that cannot be read without parameters.
REQUIRED_QUERY = {
    "gap": {"program": "sd-test", "period": "2025", "indicator": "main_tax"},
    "impact": {"program": "sd-test", "indicator": "gdp"},
}
# Lists that answer one object: its rows are the list under this key (no pages; the count must stay within bounds).
ONE_OBJECT_ROWS = {"impact": "counties"}


@pytest.fixture(scope="module")
def rows(django_db_setup, django_db_blocker) -> None:
    """The personas, ``ROUNDS`` sides on each pairing (a guidance fund and a bond plan each need a year of their own),
    and two more pairings of county A in programs of their own. Built once for the module in a transaction rolled
    back at its end (the tests only read); each test's transaction (``db``) is a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        program = make_program()
        pairing_a, pairing_b = make_pairing_a(program), make_pairing_b(program)
        make_officer()
        finance = make_finance()
        liaison_a, liaison_b = make_liaison_a(pairing_a), make_liaison_b(pairing_b)
        for round_ in range(ROUNDS):
            _side(f"a{round_}", pairing_a, liaison_a, finance, program, 2025 + 2 * round_)
            _side(f"b{round_}", pairing_b, liaison_b, finance, program, 2026 + 2 * round_)
        for adcode, name in (("370402", "市中区"), ("370481", "滕州市")):
            strong = CountyFactory(adcode=adcode, name=name)
            PairingFactory(program=ProgramFactory(), strong_county=strong, weak_county=pairing_a.weak_county)
        warnings_refresh(today=WARNINGS_DAY)
        gaps_recompute()
        impact = ImpactResultFactory(program=program, indicator="gdp")
        for county in [pairing_a.weak_county, pairing_b.weak_county, *CountyFactory.create_batch(ROUNDS)]:
            ImpactCountyFactory(result=impact, region=county)
        yield
        transaction.set_rollback(True)


def queries_for(user_pk: int, url: str, params: dict) -> tuple[int, list[str], dict | list]:
    """One GET as a freshly loaded user (as every real request authenticates anew): the number of SQL statements,
    the statements, and the body."""
    user = get_user_model().objects.get(pk=user_pk)
    client = APIClient()
    client.force_authenticate(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, (url, params, response.content[:300])
    return len(captured), [query["sql"] for query in captured.captured_queries], response.json()


def rows_in(body, basename: str = "") -> int:
    if basename in ONE_OBJECT_ROWS:
        return len(body[ONE_OBJECT_ROWS[basename]])
    return len(body["results"]) if isinstance(body, dict) else len(body)


def test_every_list_endpoint_is_measured():
    assert len(LIST_ENDPOINTS) >= 20, LIST_ENDPOINTS


@pytest.mark.parametrize("persona", ["officer", "liaison_a"])
@pytest.mark.parametrize(("basename", "prefix"), LIST_ENDPOINTS)
def test_list_queries_do_not_grow_with_the_page(rows, persona, basename, prefix):
    user = get_user_model().objects.get(username=persona)
    url = f"/api/v1/{prefix}/"
    query = REQUIRED_QUERY.get(basename, {})
    queries_for(user.pk, url, query)  # warm-up: per-process caches (content types, translations)

    counts, statements, bodies = {}, {}, {}
    for size in PAGE_SIZES:
        counts[size], statements[size], bodies[size] = queries_for(user.pk, url, {**query, "page_size": size})

    paginated = isinstance(bodies[100], dict) and basename not in ONE_OBJECT_ROWS
    if paginated:
        assert rows_in(bodies[1]) == 1, f"{basename}: page_size=1 gave {rows_in(bodies[1])} rows"
    # A liaison's impact estimates hold the weak counties of their own pairings: one here.
    minimum = 1 if basename in ONE_OBJECT_ROWS and persona != "officer" else ROUNDS
    found = rows_in(bodies[100], basename)
    assert found >= minimum, f"{basename} as {persona}: {found} rows, too few to measure: build rows for it in `rows`"
    listing = "\n".join(statements[100])
    assert counts[1] == counts[100], (
        f"{basename} as {persona}: {counts[1]} queries for one row, {counts[100]} for {found}:\n{listing}"
    )
    assert counts[100] <= MAX_QUERIES, f"{basename} as {persona}: {counts[100]} queries:\n{listing}"
