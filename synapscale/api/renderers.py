"""orjson rendering for application/json and application/problem+json."""

from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework.negotiation import DefaultContentNegotiation

from synapscale.json_values import json_safe


class WideIntegersRenderer(ORJSONRenderer):
    """Writes a stored JSON value holding an integer past 64 bits as the float it came from.

    jsonb keeps numbers as numeric, so a float such as ``1e300`` sent in any JSON field (an
    alert rule's channels, the audit log's record of them) reads back as a 301-digit integer,
    which orjson refuses. The walk over the data runs only when that happens.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except TypeError:
            return super().render(json_safe(data), accepted_media_type, renderer_context)


class JSONRenderer(WideIntegersRenderer):
    format = "json"


class ProblemJSONRenderer(WideIntegersRenderer):
    """Lets clients that ask only for problem+json (``Accept``) still be answered."""

    media_type = "application/problem+json"
    format = "problem-json"


class ContentNegotiation(DefaultContentNegotiation):
    """`?format=` picks among the success formats; problem+json is chosen by `Accept` only.

    Otherwise `?format=problem-json` would answer a success as problem+json, which no
    client can tell from an error by its media type.
    """

    def filter_renderers(self, renderers, format):
        renderers = [r for r in renderers if not issubclass(type(r), ProblemJSONRenderer)]
        return super().filter_renderers(renderers, format)
