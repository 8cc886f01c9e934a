"""Deprecation and sunset headers for API usages that still work but will go away.

A response to a request that used a deprecated shape or operation carries
``Deprecation`` (RFC 9745: since when, as ``@<unix seconds>``), ``Sunset`` (RFC 8594: the
HTTP date after which it may stop working) and ``Link: <docs>; rel="deprecation"``. Declare
each deprecated usage once as a ``Deprecation`` and call ``deprecation_headers`` on the
response of every request that used it. docs/api-versioning.md says how they are announced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from rest_framework.response import Response

DOCS_BASE = "https://docs.synapscale.dev/"


@dataclass(frozen=True)
class Deprecation:
    """A deprecated usage: since when, until when it keeps working, and where it is explained."""

    since: datetime
    sunset: datetime
    docs_path: str  # under DOCS_BASE, e.g. "api-versioning#analytics-filter-objects"

    @property
    def link(self) -> str:
        return f'<{DOCS_BASE}{self.docs_path}>; rel="deprecation"; type="text/html"'


def deprecation_headers(response: Response, deprecation: Deprecation) -> Response:
    """Mark ``response`` as the answer to a deprecated usage; return it."""
    response["Deprecation"] = f"@{int(deprecation.since.timestamp())}"
    response["Sunset"] = format_datetime(deprecation.sunset, usegmt=True)
    links = [response["Link"]] if response.has_header("Link") else []
    response["Link"] = ", ".join([*links, deprecation.link])
    return response
