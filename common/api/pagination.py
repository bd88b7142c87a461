import inspect
import time

from django.conf import settings
from django.core.paginator import EmptyPage, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError
from rest_framework.mixins import ListModelMixin
from rest_framework.pagination import PageNumberPagination as BasePageNumberPagination

from common import exports
from common.api.exceptions import ExportQueued
from common.api.ordering import stable_ordering
from common.api.renderers import columns_vary, export_response, is_export
from common.export_jobs import export_job_for, offers_job, running_job


def _progress_of(request) -> exports.Progress | None:
    job = running_job(request)
    return job.wrote if job is not None else None


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


# (database alias, table) → (when read, the planner's row count): read at most once a minute per process, so a list
# of a small table pays no query for the question and a large one's estimate costs nothing on most requests.
_ROW_ESTIMATES: dict[tuple[str, str], tuple[float, float]] = {}
ESTIMATE_MAX_AGE_S = 60.0


def _table_rows(alias: str, table: str) -> float:
    key = (alias, table)
    known = _ROW_ESTIMATES.get(key)
    now = time.monotonic()
    if known is not None and now - known[0] < ESTIMATE_MAX_AGE_S:
        return known[1]
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
    rows = -1.0 if row is None or row[0] is None else float(row[0])
    _ROW_ESTIMATES[key] = (now, rows)
    return rows


def estimated_count(queryset: QuerySet) -> int | None:
    """The planner's row count of the table ``queryset`` lists, when that is worth using instead of ``COUNT(*)``:
    on PostgreSQL, for a queryset with no condition at all (a provincial role's unfiltered list: a liaison's rows are
    always filtered by their county, so their count stays exact), on a table the statistics say holds at least
    ``API_ESTIMATED_COUNT_FROM`` rows. None otherwise (the caller counts); always None when that setting is None.

    ``pg_class.reltuples`` is kept by autovacuum's ANALYZE: within a few per cent of the truth, read in a fraction of a
    millisecond, where an exact count of a million reports reads a whole index (100 – 200 ms on a loaded host)."""
    threshold = getattr(settings, "API_ESTIMATED_COUNT_FROM", None)
    if threshold is None or not isinstance(queryset, QuerySet):
        return None
    query = queryset.query
    if (
        connections[queryset.db].vendor != "postgresql"
        or query.where.children
        or query.distinct
        or query.combinator
        or query.group_by is not None
        or query.low_mark
        or query.high_mark is not None
        or query.extra
    ):
        return None
    rows = _table_rows(queryset.db, queryset.model._meta.db_table)
    if rows < max(threshold, 0):
        return None  # never analysed (-1) or small: count
    return int(rows)


class EstimatingPaginator(Paginator):
    """Django's paginator, with the planner's estimate as ``count`` for a large unfiltered list (``estimated_count``).

    A page read with the estimate reads one row more than it shows, to know the list goes on; where it does not (the
    estimate was high), at or past the estimated last but one page, or past the estimated end (it was low), the
    paginator counts exactly and numbers the page from that. So the last page is never refused, never links to an
    empty one, and shows the exact count."""

    @cached_property
    def count(self) -> int:
        estimate = estimated_count(self.object_list)
        self.estimated = estimate is not None
        return estimate if estimate is not None else super().count

    def page(self, number):
        if self.count is None or not self.estimated:
            return super().page(number)
        try:
            number = self.validate_number(number)
        except EmptyPage:
            return self._exact_page(number)
        if number >= self.num_pages - 1:
            return self._exact_page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if len(rows) <= self.per_page:
            return self._exact_page(number)
        return self._get_page(rows[: self.per_page], number, self)

    def _exact_page(self, number):
        for name in ("count", "num_pages", "page_range"):
            self.__dict__.pop(name, None)
        self.__dict__["count"] = super().count
        self.estimated = False
        return super().page(number)


class PageNumberPagination(BasePageNumberPagination):
    """Page-number pagination; clients choose up to 500 rows a page with ``page_size``. An export (``?format=csv``
    or ``xlsx``) is not paged: it is the whole list, up to ``common.exports.max_rows`` rows, and a 400 beyond — except
    a workbook that an export job may hold, which answers 202 with the job (``common.export_jobs``). The
    export of a viewset's list is written as its queryset is read in chunks (``common.api.renderers.export_response``):
    a CSV streams.

    ``count`` is exact, except on a provincial role's unfiltered list of a large table on PostgreSQL, where it is the
    planner's estimate and the response says so with ``count_estimated: true`` (``EstimatingPaginator``)."""

    django_paginator_class = EstimatingPaginator
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
        streamed = streams and not columns_vary(view.get_serializer())
        job = running_job(request)
        limit = exports.max_rows(file_format, streamed=streamed, background=job is not None)
        count = queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
        if job is not None:
            job.counted(count)
        elif count > limit and offers_job(file_format, count, streamed=streamed):
            # Too long to write within this request: a worker writes it (202 with the job).
            stem = getattr(view, "basename", None) or type(view).__name__.lower()
            raise ExportQueued(export_job_for(request, file_format=file_format, stem=stem, rows=count))
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
            return export_response(
                self.view,
                serializer.child,
                page.queryset,
                self.request.accepted_renderer.format,
                progress=_progress_of(self.request),
            )
        response = super().get_paginated_response(data)
        if getattr(self.page.paginator, "estimated", False):
            response.data["count_estimated"] = True
        return response

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["count_estimated"] = {
            "type": "boolean",
            "description": "Present (true) when `count` is the database's estimate: an unfiltered list of a large "
            "table, as a provincial role sees it. Filtered lists and a liaison's lists always count exactly.",
        }
        return paginated
