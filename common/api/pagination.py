import inspect

from django.db.models import QuerySet
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError
from rest_framework.mixins import ListModelMixin
from rest_framework.pagination import PageNumberPagination as BasePageNumberPagination

from common import exports
from common.api.ordering import stable_ordering
from common.api.renderers import columns_vary, export_response, is_export


class _ExportPage(list):
    """The "page" of an export: empty, so that the view's ``many=True`` serializer has nothing to serialize, and
    carrying the whole queryset for ``get_paginated_response`` to read in chunks as the file is written."""

    def __init__(self, queryset: QuerySet) -> None:
        super().__init__()
        self.queryset = queryset


def _streams(queryset, view) -> bool:
    """Whether the export can read its rows as it writes them: a queryset listed by DRF's own ``list`` (which hands
    the page to ``get_paginated_response`` untouched)."""
    return (
        isinstance(queryset, QuerySet)
        and view is not None
        # drf-spectacular's extend_schema_view() wraps the method it documents.
        and inspect.unwrap(getattr(type(view), "list", None) or (lambda: None)) is ListModelMixin.list
        and hasattr(view, "get_serializer")
    )


class PageNumberPagination(BasePageNumberPagination):
    """Page-number pagination; clients choose up to 500 rows a page with ``page_size``. An export (``?format=csv``
    or ``xlsx``) is not paged: it is the whole list, up to ``common.exports.max_rows`` rows, and a 400 beyond. The
    export of a viewset's list is written as its queryset is read in chunks (``common.api.renderers.export_response``):
    a CSV streams."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        if isinstance(queryset, QuerySet):
            # Pages never repeat or skip rows that tie on the sort keys (common/api/ordering.py).
            queryset = stable_ordering(queryset)
        if not is_export(request):
            return super().paginate_queryset(queryset, request, view)
        file_format = request.accepted_renderer.format
        streams = _streams(queryset, view)
        # Rows whose columns may vary are all read before the header: no longer than a list read whole.
        limit = exports.max_rows(file_format, streamed=streams and not columns_vary(view.get_serializer()))
        count = queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
        if count > limit:
            message = gettext(
                "An export holds at most %(limit)s rows and this list has %(count)s: narrow it with filters."
            ) % {"limit": f"{limit:,}", "count": f"{count:,}"}
            raise ValidationError({"format": [message]})
        if streams:
            self.request = request
            self.view = view
            return _ExportPage(queryset)
        return None

    def get_paginated_response(self, data):
        serializer = getattr(data, "serializer", None)
        page = getattr(serializer, "instance", None)
        if isinstance(page, _ExportPage):
            return export_response(self.view, serializer.child, page.queryset, self.request.accepted_renderer.format)
        return super().get_paginated_response(data)
