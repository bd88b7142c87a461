from django.db.models import QuerySet
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination as BasePageNumberPagination

from common import exports
from common.api.ordering import stable_ordering
from common.api.renderers import is_export


class PageNumberPagination(BasePageNumberPagination):
    """Page-number pagination; clients choose up to 500 rows a page with ``page_size``. An export (``?format=csv``
    or ``xlsx``) is not paged: it is the whole list, up to ``common.exports.max_rows`` rows, and a 400 beyond."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        if isinstance(queryset, QuerySet):
            # Pages never repeat or skip rows that tie on the sort keys (common/api/ordering.py).
            queryset = stable_ordering(queryset)
        if not is_export(request):
            return super().paginate_queryset(queryset, request, view)
        count = queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
        limit = exports.max_rows(request.accepted_renderer.format)
        if count > limit:
            message = gettext(
                "An export holds at most %(limit)s rows and this list has %(count)s: narrow it with filters."
            ) % {"limit": f"{limit:,}", "count": f"{count:,}"}
            raise ValidationError({"format": [message]})
        return None
