"""Lazy iterators over paginated lists: page numbers and cursors both follow `next`.

Page-number lists answer `{count, next, previous, results}`; cursor lists (events,
executions, logs) answer `{next, previous, results}`. Either way the next page is fetched
only when the items of the current one are used up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from synapscale_sdk._transport import Transport

T = TypeVar("T")


class Paginated(Generic[T]):
    """Iterate the items of a list, page after page; `count` is the page-number total."""

    def __init__(
        self,
        transport: Transport,
        url: str,
        params: dict[str, Any] | None = None,
        convert: Callable[[dict], T] | None = None,
    ):
        self._transport = transport
        self._url = url
        self._params = params
        self._convert = convert
        self.count: int | None = None

    def pages(self) -> Iterator[dict[str, Any]]:
        """Yield each raw page (`results`, `next`, and `count` on page-number lists)."""
        url, params = self._url, self._params
        while url:
            page = self._transport.json("GET", url, params=params)
            if isinstance(page, list):  # an unpaginated list
                page = {"results": page, "next": None, "count": len(page)}
            if self.count is None:
                self.count = page.get("count")
            yield page
            # `next` is a full URL that already carries the filters and the page/cursor.
            url, params = page.get("next"), None

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            for item in page.get("results", []):
                yield self._convert(item) if self._convert else item

    def first(self) -> T | None:
        """The first item, fetching one page."""
        return next(iter(self), None)
