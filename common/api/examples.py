"""Examples in the OpenAPI schema, from ``examples.json`` beside this module.

The file holds, for every operation (``"get /api/v1/projects/{id}/"``), a real answer of the API to a request on a
small fixed data set, and for writes the payload sent. ``manage.py api_examples`` writes it (``demo.api_examples``
builds the data and makes the calls); a test fails when an operation has none or an example no longer fits its
schema, so the examples cannot drift from the API the way hand-written ones would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

EXAMPLES_FILE = Path(__file__).with_name("examples.json")
METHODS = ("get", "put", "patch", "post", "delete")
EXAMPLE_NAME = "recorded"


def operation_key(method: str, path: str) -> str:
    return f"{method} {path}"


def load_examples(path: Path = EXAMPLES_FILE) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _media(content: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON media type of a request or response, else its first one."""
    if not content:
        return None
    return content.get("application/json") or next(iter(content.values()))


def _request_line(method: str, path: str, example: dict[str, Any]) -> str:
    query = "&".join(f"{name}={value}" for name, value in example.get("query", {}).items())
    return f"{method.upper()} {path}" + (f"?{query}" if query else "")


def response_examples(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: each operation's recorded answer as an example of its response, and the
    payload sent as an example of its request body."""
    examples = load_examples()
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            example = examples.get(operation_key(method, path))
            if method not in METHODS or example is None:
                continue
            summary = _request_line(method, path, example)
            response = operation.get("responses", {}).get(str(example["status"]))
            media = _media(response.get("content", {})) if response else None
            if media is not None:
                media.setdefault("examples", {})[EXAMPLE_NAME] = {
                    "summary": summary,
                    "description": _("An answer of the API to this request, recorded on sample data."),
                    "value": example["response"],
                }
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None and "request" in example:
                body.setdefault("examples", {})[EXAMPLE_NAME] = {"summary": summary, "value": example["request"]}
    return result
