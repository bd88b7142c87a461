"""API errors: a service's ``ValidationError`` becomes a 400 with its field messages; conflicts are 409. A list's export
handed to a job (``ExportQueued``) leaves the view the same way and is answered 202."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the record's current state.")
    default_code = "conflict"


class ExportQueued(exceptions.APIException):
    """Raised by a list whose export is written by a job: answered as 202 with the job (``exception_handler``)."""

    status_code = status.HTTP_202_ACCEPTED
    default_detail = _("The export is written in the background.")

    def __init__(self, job) -> None:  # a common.models.ExportJob
        super().__init__()
        self.job = job


def exception_handler(exc, context):
    if isinstance(exc, ExportQueued):  # not an error: the export is written by a job
        from common.api.export_jobs import export_queued_response  # its serializer needs the apps loaded

        return export_queued_response(exc, context)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    return drf_exception_handler(exc, context)
