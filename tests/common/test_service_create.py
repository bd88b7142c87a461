"""``common.api.viewsets``: a service's refusal is the API's 400, under the names the payload used."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError

from common.api.viewsets import service_error


def _detail(exc, payload_names=None) -> dict:
    return {
        field: [str(message) for message in messages]
        for field, messages in service_error(exc, payload_names).detail.items()
    }


def test_field_messages_keep_their_field():
    assert _detail(DjangoValidationError({"amount": "Over the fund's total."})) == {
        "amount": ["Over the fund's total."]
    }


def test_a_service_argument_is_named_as_the_payload_field_it_came_from():
    exc = DjangoValidationError({"fund": "Frozen.", "amount": "Too much."})

    assert _detail(exc, {"fund": "fund_id"}) == {"fund_id": ["Frozen."], "amount": ["Too much."]}


def test_a_message_without_a_field_is_a_non_field_error():
    assert _detail(DjangoValidationError("Closed period.")) == {"non_field_errors": ["Closed period."]}


def test_a_message_for_the_whole_entry_keeps_djangos_key():
    # As the API's exception handler answers a service error raised elsewhere (message_dict keeps "__all__").
    exc = DjangoValidationError({NON_FIELD_ERRORS: "Both sides are the same county."})

    assert _detail(exc) == {NON_FIELD_ERRORS: ["Both sides are the same county."]}
