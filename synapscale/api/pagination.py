"""Pagination: page numbers by default, a cursor for append-heavy lists."""

import re

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

MAX_PAGE_SIZE = 200
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


class StrictPageSizeMixin:
    """`page_size` is a whole number from 1 (above the maximum it is the maximum).

    DRF falls back to the default size for `page_size=abc` or `0`: a client with a typo
    would get pages of a size it never asked for and not know.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        if not WHOLE_NUMBER.fullmatch(raw) or int(raw) < 1:
            raise ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return min(int(raw), self.max_page_size)


class PageNumberPagination(StrictPageSizeMixin, pagination.PageNumberPagination):
    pass


class CreatedAtCursorPagination(StrictPageSizeMixin, pagination.CursorPagination):
    """Stable pages over lists that grow at the head (events, executions)."""

    ordering = ("-created_at", "-id")
