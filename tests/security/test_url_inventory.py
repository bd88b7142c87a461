"""Every URL the tracker serves is accounted for: who may open it, and where that is tested.

- ``/api/v1/`` is the permission matrix's (``tests/test_permission_matrix.py`` fails for a viewset it does not
  describe).
- ``/admin/`` admits the provincial roles only. A liaison or an account without a role is sent to the admin's
  sign-in page from every admin URL — the custom pages (downloads, workbooks, generate forms, uploads) included —
  even when ``is_staff`` was set by hand and every permission granted.
- Everything else is listed in ``PAGES`` below with the test module that tries it as each persona; a new URL fails
  ``test_every_page_is_described`` until it is listed there, so no page joins the tracker untried.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

TESTS = Path(__file__).resolve().parent.parent

# route → (who may open it, the test module that tries it as every persona)
PAGES: dict[str, tuple[str, str]] = {
    "": ("anyone (a redirect to the role's home page, no data)", "tests/config/test_home.py"),
    "i18n/setlang/": ("anyone (sets the interface language, no data)", "tests/security/test_url_inventory.py"),
    "liaison/": ("liaisons (their pairings' projects); others to the sign-in page", "tests/liaison/test_views.py"),
    "liaison/login/": ("anyone", "tests/liaison/test_views.py"),
    "liaison/logout/": ("anyone (POST)", "tests/liaison/test_views.py"),
    "liaison/projects/<int:project_id>/": (
        "the liaison of the project's county; 404 for any other project",
        "tests/liaison/test_project_page.py",
    ),
    "liaison/workbook/": (
        "liaisons (their county's projects only); others to the sign-in page or 403",
        "tests/liaison/test_workbooks.py",
    ),
    "liaison/workbook/<liaison_period:period>.xlsx": (
        "liaisons (their county's projects only); others to the sign-in page or 403",
        "tests/liaison/test_workbooks.py",
    ),
    "liaison/projects/<int:project_id>/reports/new/": (
        "the liaison of the project's county; 404 for any other project",
        "tests/liaison/test_views.py",
    ),
    "liaison/projects/<int:project_id>/reports/<liaison_period:period>/": (
        "the liaison of the project's county; 404 for any other project",
        "tests/liaison/test_views.py",
    ),
    "reports/attachments/<int:attachment_id>/": (
        "whoever may read the report; 404 otherwise",
        "tests/security/test_report_attachments.py",
    ),
    "dashboard/": ("every role, a liaison's figures scoped", "tests/reporting/test_dashboard_page.py"),
    "api/schema/": ("anyone (the API's description, no data)", "tests/config/test_schema.py"),
    "api/docs/": ("anyone (Swagger UI, no data)", "tests/config/test_schema.py"),
}


def _routes(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def _page_routes() -> list[str]:
    return [route for route, _ in _routes(get_resolver().url_patterns) if not route.startswith(("admin/", "api/v1/"))]


def test_every_page_is_described():
    routes = _page_routes()
    assert sorted(set(routes) - set(PAGES)) == [], "a new URL: list it in PAGES with the test that tries it"
    assert sorted(set(PAGES) - set(routes)) == [], "PAGES lists a URL that no longer exists"


@pytest.mark.parametrize("route", sorted(PAGES))
def test_each_page_names_a_test_that_exists(route):
    _, module = PAGES[route]
    assert (TESTS.parent / module).is_file(), module


# --- The admin ------------------------------------------------------------------------------------------------------

_SAMPLE_ARGUMENTS = {"object_id": "1", "file_format": "csv", "content_type_id": "1", "app_label": "projects"}


def _admin_paths() -> list[str]:
    """One concrete path for every admin URL, the custom pages included (arguments filled with sample values: the
    admin refuses the user before it looks anything up)."""
    paths = []
    for route, pattern in _routes(get_resolver().url_patterns):
        if not route.startswith("admin/") or route == "admin/(?P<url>.*)$":
            continue
        assert isinstance(pattern, URLPattern)
        if isinstance(pattern.pattern, RoutePattern):
            path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: _SAMPLE_ARGUMENTS.get(m.group(1), "1"), route)
        else:  # the app index: a regular expression
            path = re.sub(r"\^\(\?P<app_label>[^)]*\)\/\$", "projects/", route)
        if path in {"admin/login/", "admin/logout/", "admin/jsi18n/"}:
            continue  # the sign-in page itself, and pages without data
        paths.append("/" + path)
    return paths


ADMIN_PATHS = _admin_paths()


def test_the_admin_has_custom_pages_to_guard():
    # The list below is built from the URL configuration; make sure it is not empty by accident.
    assert any(path.endswith("/download/") for path in ADMIN_PATHS)
    assert any(path.endswith("/xlsx/") for path in ADMIN_PATHS)
    assert any(path.endswith("/upload/") for path in ADMIN_PATHS)
    # The reward run's pages: closing and reopening a fund's year, the printable working paper and its workbook.
    assert {
        "/admin/funds/rewardrun/year/1/close/",
        "/admin/funds/rewardrun/year/1/reopen/",
        "/admin/funds/rewardrun/1/paper/",
        "/admin/funds/rewardrun/1/xlsx/",
    } <= set(ADMIN_PATHS)
    # The officers' review workspace and the validation rules: tried below as every persona that must be refused.
    assert {
        "/admin/projects/progressreport/review/",
        "/admin/projects/progressreport/1/review/",
        "/admin/validation/validationrule/",
        "/admin/validation/ruleoutcome/",
    } <= set(ADMIN_PATHS)
    # An export job's page and its workbook: its owner's only (tests/common/test_export_jobs.py), and like every admin
    # URL refused to everyone outside the provincial roles.
    assert {"/admin/exports/1/", "/admin/exports/1/download/"} <= set(ADMIN_PATHS)


@pytest.fixture
def staff_liaison(liaison_a):
    """County A's liaison made staff by hand and given every permission: what a careless administrator could do."""
    liaison_a.is_staff = True
    liaison_a.save(update_fields=["is_staff"])
    liaison_a.user_permissions.set(Permission.objects.all())
    return liaison_a


@pytest.fixture
def staff_without_role(norole):
    norole.is_staff = True
    norole.save(update_fields=["is_staff"])
    norole.user_permissions.set(Permission.objects.all())
    return norole


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["anonymous", "liaison_a", "staff_liaison", "staff_without_role"])
def test_the_admin_sends_everyone_but_the_provincial_roles_to_sign_in(request, persona):
    client = Client()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    let_in = []
    for path in ADMIN_PATHS:
        response = client.get(path)
        if not (response.status_code == 302 and "/admin/login/" in response["Location"]):
            let_in.append(f"{path}: {response.status_code}")
    assert let_in == []


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["officer", "finance", "leader"])
def test_the_provincial_roles_are_let_in(request, persona):
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_setting_the_language_shows_no_data():
    response = Client().post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
