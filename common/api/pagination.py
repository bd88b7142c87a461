from rest_framework.pagination import PageNumberPagination as BasePageNumberPagination


class PageNumberPagination(BasePageNumberPagination):
    """Page-number pagination; clients choose up to 500 rows a page with ``page_size``."""

    page_size_query_param = "page_size"
    max_page_size = 500
