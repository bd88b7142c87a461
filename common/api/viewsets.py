"""The one way an API view creates a row through a service and answers a service's refusal."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from rest_framework import mixins, serializers, status
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet


def service_error(
    exc: DjangoValidationError, payload_names: dict[str, str] | None = None
) -> serializers.ValidationError:
    """A service's ``ValidationError`` as the API's 400: its field messages under the payload's field names
    (``payload_names`` maps a service argument to the payload field it came from), messages without a field under
    ``non_field_errors``."""
    detail = serializers.as_serializer_error(exc)
    if payload_names:
        detail = {payload_names.get(field, field): errors for field, errors in detail.items()}
    return serializers.ValidationError(detail)


class ServiceCreateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """List, retrieve and create. Creation parses ``input_serializer_class``, calls ``create_with`` (a service call;
    its ``ValidationError`` becomes a 400, see :func:`service_error`) and answers 201 with the row as the list shows
    it, read back through ``get_queryset`` so the answer is scoped like every other read.

    The scoping and the roles that may write come from the app (``accounts.api.ScopedQuerysetMixin`` first in the
    bases, with its ``write_roles``)."""

    input_serializer_class: type[serializers.Serializer]
    # A service argument named differently from the payload field it comes from: its errors go under the latter.
    payload_names: dict[str, str] = {}

    def create_with(self, data: dict) -> Model:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def create(self, request, *args, **kwargs) -> Response:
        incoming = self.input_serializer_class(data=request.data, context=self.get_serializer_context())
        incoming.is_valid(raise_exception=True)
        try:
            row = self.create_with(dict(incoming.validated_data))
        except DjangoValidationError as exc:
            raise service_error(exc, self.payload_names) from exc
        row = self.get_queryset().get(pk=row.pk)
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)
