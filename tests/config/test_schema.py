"""The OpenAPI schema of /api/v1/ generates without warnings and is served with its Swagger UI."""

import pytest
import yaml
from django.core.management import call_command

# Each endpoint and the tag of the app it belongs to.
API_TAGS = {
    "/api/v1/regions/": "pairing",
    "/api/v1/programs/": "pairing",
    "/api/v1/pairings/": "pairing",
    "/api/v1/parks/": "pairing",
    "/api/v1/projects/": "projects",
    "/api/v1/funds/": "funds",
    "/api/v1/allocations/": "funds",
    "/api/v1/disbursements/": "funds",
    "/api/v1/bond-plans/": "funds",
    "/api/v1/bond-quotas/": "funds",
    "/api/v1/bond-issues/": "funds",
    "/api/v1/reward-runs/": "funds",
    "/api/v1/fund-contributions/": "funds",
    "/api/v1/fund-investments/": "funds",
    "/api/v1/park-ledger/": "funds",
    "/api/v1/progress-reports/": "projects",
    "/api/v1/cross-county-orders/": "projects",
    "/api/v1/promotion-events/": "projects",
    "/api/v1/secondments/": "projects",
}
# Read-only views of their own (not lists of rows).
OTHER_PATHS = ["/api/v1/fund-usage/{id}/", "/api/v1/bond-usage/{id}/", "/api/v1/warnings/"]
READ_ONLY = ["/api/v1/regions/", "/api/v1/programs/", "/api/v1/pairings/", "/api/v1/parks/", "/api/v1/projects/"]
# Money and cooperation records are corrected by new entries, never edited or deleted.
APPEND_ONLY = [path for path in API_TAGS if path not in READ_ONLY and path != "/api/v1/progress-reports/"]


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    # --fail-on-warn turns every drf-spectacular warning into a CommandError; --validate checks OpenAPI 3.
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(path))
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_schema_generates_without_warnings_and_validates(schema):
    assert schema["openapi"].startswith("3.")
    assert set(API_TAGS) <= set(schema["paths"])
    for path in OTHER_PATHS:
        assert any(p.startswith(path.split("{")[0]) for p in schema["paths"]), path


@pytest.mark.parametrize(("path", "tag"), API_TAGS.items())
def test_list_and_detail_operations_are_tagged_by_app_and_described(schema, path, tag):
    detail = next(p for p in schema["paths"] if p.startswith(path) and p != path)
    for operation in (schema["paths"][path]["get"], schema["paths"][detail]["get"]):
        assert operation["tags"] == [tag]
        assert operation["description"]
        assert operation["summary"]


def test_region_detail_is_looked_up_by_adcode(schema):
    assert "/api/v1/regions/{adcode}/" in schema["paths"]


def test_reference_and_project_endpoints_are_read_only(schema):
    ours = [operations for path, operations in schema["paths"].items() if path.startswith(tuple(READ_ONLY))]
    methods = {method for operations in ours for method in operations}

    assert methods <= {"get", "parameters"}


def test_money_endpoints_only_read_and_create(schema):
    ours = [operations for path, operations in schema["paths"].items() if path.startswith(tuple(APPEND_ONLY))]
    methods = {method for operations in ours for method in operations}

    assert methods == {"get", "post", "parameters"} or methods == {"get", "post"}


def test_schema_and_docs_are_served_to_an_officer(officer_client):
    schema_response = officer_client.get("/api/schema/")
    docs_response = officer_client.get("/api/docs/")

    assert schema_response.status_code == 200
    assert b"/api/v1/projects/" in schema_response.content
    assert docs_response.status_code == 200
    assert b"swagger" in docs_response.content.lower()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/regions/", "/api/v1/projects/"])
def test_an_accept_header_the_api_cannot_answer_is_a_declared_406(schema, officer_client, path):
    """DRF answers 406 when the Accept header names no type it can send; the schema says so for every operation
    (the API fuzz test met the undeclared 406)."""
    response = officer_client.get(path, HTTP_ACCEPT="x/y")

    assert response.status_code == 406
    for operations in schema["paths"].values():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete"):
                assert "406" in operation["responses"], (method, operation.get("operationId"))
