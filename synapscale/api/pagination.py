"""Pagination: page numbers by default, a cursor for append-heavy lists."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class CreatedAtCursorPagination(pagination.CursorPagination):
    """Stable pages over lists that grow at the head (events, executions)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-created_at", "-id")
