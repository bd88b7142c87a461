"""The examples of the OpenAPI schema are recorded answers of the API (``manage.py api_examples`` writes
``common/api/examples.json``): every operation has one, each fits the schema it illustrates, and the committed file
is what the generator records today — same operations, statuses and fields — so it cannot rot as endpoints change.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from jsonschema import Draft202012Validator

from common.api.examples import EXAMPLE_NAME, load_examples, operation_key
from demo.api_examples import operations

REGENERATE = "run `python manage.py api_examples` and commit common/api/examples.json"


@pytest.fixture(scope="module")
def committed() -> dict[str, dict[str, Any]]:
    return load_examples()


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker) -> dict:
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def shape(value: Any, at: str = "") -> set[str]:
    """The paths of the fields of a JSON value (``results[].county``); the values themselves (ids, times) vary."""
    if isinstance(value, dict):
        return {at or "."} | {p for key, item in value.items() for p in shape(item, f"{at}.{key}")}
    if isinstance(value, list):
        return {f"{at}[]"} | {p for item in value for p in shape(item, f"{at}[]")}
    return {at or "."}


# --- OpenAPI 3.0 schemas as JSON Schema -------------------------------------------------------------------------------


def json_schema(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable`` as JSON Schema's null type (jsonschema ignores the keyword otherwise)."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


def validator(components: dict, fragment: dict) -> Draft202012Validator:
    """A validator of ``fragment`` whose ``#/components/schemas/…`` references resolve: the components sit beside it
    at the root, where the references point."""
    return Draft202012Validator({**json_schema(fragment), "components": components})


def media_schema(content: dict) -> dict | None:
    media = content.get("application/json") or next(iter(content.values()), None)
    return media.get("schema") if media else None


# --- The checks -------------------------------------------------------------------------------------------------------


def test_every_operation_has_an_example(schema, committed):
    keys = {
        operation_key(method, path)
        for path, methods in schema["paths"].items()
        for method in methods
        if method in {"get", "post", "put", "patch", "delete"}
    }

    assert sorted(keys - set(committed)) == [], f"operations without an example: {REGENERATE}"
    assert sorted(set(committed) - keys) == [], f"examples of operations that are gone: {REGENERATE}"


def test_every_operation_is_described_with_examples(officer_client):
    """As served: a summary, a description, an example of the success response and of the request body."""
    served = officer_client.get("/api/schema/?format=json").json()
    missing = []
    for path, methods in served["paths"].items():
        for method, operation in methods.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            name = f"{method.upper()} {path}"
            if not operation.get("summary") or not operation.get("description"):
                missing.append(f"{name}: summary or description (a docstring or extend_schema(summary=…))")
            successes = [r for code, r in operation["responses"].items() if code.startswith("2")]
            if not any(EXAMPLE_NAME in media.get("examples", {}) for r in successes for media in r["content"].values()):
                missing.append(f"{name}: response example")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None and EXAMPLE_NAME not in body.get("examples", {}):
                missing.append(f"{name}: request example")
    assert not missing, "\n".join(missing)


def test_every_example_fits_its_schema(schema, committed):
    components = json_schema(schema["components"])
    wrong = []
    for path, method, operation in operations_of(schema):
        example = committed.get(operation_key(method, path))
        if example is None:
            continue  # test_every_operation_has_an_example says so
        response = operation["responses"].get(str(example["status"]))
        if response is None:
            wrong.append(f"{method} {path}: status {example['status']} is not documented")
            continue
        fragment = media_schema(response.get("content", {}))
        if fragment is not None:
            wrong += [
                f"{method} {path} response: {e.message}"
                for e in validator(components, fragment).iter_errors(example["response"])
            ]
        request_body = operation.get("requestBody", {}).get("content", {})
        if "request" in example and request_body:
            fragment = media_schema(request_body)
            wrong += [
                f"{method} {path} request: {e.message}"
                for e in validator(components, fragment).iter_errors(example["request"])
            ]
    assert not wrong, "\n".join(wrong[:50])


def operations_of(schema: dict) -> list[tuple[str, str, dict]]:
    return [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


@pytest.mark.django_db
def test_the_committed_examples_are_current(committed, tmp_path, monkeypatch):
    """Recorded again now, every operation answers with the same status and the same fields as in the file.

    Through the command, minus its throwaway database: the test's own database is one already."""
    from demo.management.commands import api_examples

    for name in ("setup_test_environment", "teardown_test_environment", "teardown_databases"):
        monkeypatch.setattr(api_examples, name, lambda *args, **kwargs: None)
    monkeypatch.setattr(api_examples, "setup_databases", lambda *args, **kwargs: None)
    target = tmp_path / "examples.json"

    call_command("api_examples", "--output", str(target))

    current = load_examples(target)
    assert sorted(current) == sorted(committed), REGENERATE
    changed = [
        key
        for key in current
        if current[key]["status"] != committed[key]["status"]
        or shape(current[key]["response"]) != shape(committed[key]["response"])
        or shape(current[key].get("request")) != shape(committed[key].get("request"))
    ]
    assert not changed, f"answers that changed shape: {changed}; {REGENERATE}"


def test_the_generator_covers_every_operation_it_is_given(schema):
    assert len(operations()) == len(operations_of(schema))
