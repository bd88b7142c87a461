"""The error responses every operation of the API can give, declared once for the whole OpenAPI schema.

DRF answers the same way everywhere: 401 without credentials, 403 for a role that may not do it, 404 for a row the
caller cannot see (or a page past the end of a list), 400 for a filter or a payload the rules refuse, 429 with
``Retry-After`` over the request rate; a body too large (413) or of a content type it cannot read (415). Declaring
them view by view would be repeated on every view and forgotten on the next one; this hook adds them to each
operation that does not declare them itself, and gives the declared ones without a body the body DRF sends.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

ERROR = "Error"
VALIDATION_ERROR = "ValidationError"
SCHEMAS = {
    ERROR: {
        "type": "object",
        "description": _("Why the request was refused, in words."),
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    VALIDATION_ERROR: {
        "description": _(
            "What to correct: the messages for each field (`non_field_errors` for the request as a whole), "
            "`detail` for a body that cannot be read, or a bare list of messages for a bad `search`."
        ),
        "anyOf": [
            {
                "type": "object",
                "additionalProperties": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]},
            },
            {"type": "array", "items": {"type": "string"}},
        ],
    },
}
METHODS = {"get", "put", "patch", "post", "delete", "head", "options", "trace"}
# Query parameters that never make a request invalid: DRF ignores an unknown ordering and a bad page size.
LENIENT_QUERY = {"page", "page_size", "ordering", "search"}


def _error(description, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _too_many_requests() -> dict[str, Any]:
    return {
        **_error(_("Too many requests: the caller's request rate is used up; retry after the time given."), ERROR),
        "headers": {
            "Retry-After": {
                "description": _("Seconds to wait before the next request."),
                "schema": {"type": "integer", "minimum": 0},
            }
        },
    }


def _may_be_refused(method: str, operation: dict[str, Any]) -> bool:
    """A write goes through a service that may refuse it; a read only when one of its query parameters is checked."""
    if method != "get":
        return True
    return any(p["in"] == "query" and p["name"] not in LENIENT_QUERY for p in operation.get("parameters", []))


def _may_be_missing(path: str, operation: dict[str, Any]) -> bool:
    """A row by its key, a page of a list past its end, or a ``format`` the operation does not offer (DRF's 404)."""
    return "{" in path or any(
        p["in"] == "query" and p["name"] in ("page", "format") for p in operation.get("parameters", [])
    )


def error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: declare the error responses of every operation (see the module doc)."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(SCHEMAS)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            errors = {
                "401": _error(_("No valid credentials were sent."), ERROR),
                "403": _error(_("The caller's role may not do this."), ERROR),
                "429": _too_many_requests(),
                # An Accept header naming no type the operation can answer with (DRF's content negotiation).
                "406": _error(_("None of the types the Accept header names can be sent."), ERROR),
            }
            if _may_be_refused(method, operation):
                errors["400"] = _error(_("A parameter or the payload is not valid."), VALIDATION_ERROR)
            if "requestBody" in operation:
                # Refused before any view reads it: a body over REQUEST_MAX_BYTES (common.middleware), or one whose
                # content type cannot be parsed (a multipart body without a readable boundary).
                errors["413"] = _error(_("The request body is larger than the tracker accepts."), ERROR)
                errors["415"] = _error(_("The request body's content type cannot be read."), ERROR)
            if _may_be_missing(path, operation):
                errors["404"] = _error(_("Not found, or not visible to the caller."), ERROR)
            if "{" in path:
                # A key of the wrong form (`/funds/1.5/`) matches no route: Django answers with its HTML page.
                errors["404"]["description"] = _(
                    "Not found, or not visible to the caller. A key of the wrong form matches no route and gets the "
                    "site's HTML page."
                )
                errors["404"]["content"]["text/html"] = {"schema": {"type": "string"}}
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                # Declared with a description only: every error body of the API has one of the two shapes.
                if code.startswith("4") and "content" not in response:
                    schema = VALIDATION_ERROR if code == "400" else ERROR
                    response["content"] = _error("", schema)["content"]
            for code, response in errors.items():
                responses.setdefault(code, response)
            if "{" in path:
                # Also where the view declares a 404 of its own: a key of the wrong form never reaches the view.
                responses["404"].setdefault("content", {}).setdefault("text/html", {"schema": {"type": "string"}})
            operation["responses"] = dict(sorted(responses.items()))
    return result
