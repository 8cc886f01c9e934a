"""orjson rendering for application/json and application/problem+json."""

from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework.negotiation import DefaultContentNegotiation


class JSONRenderer(ORJSONRenderer):
    format = "json"


class ProblemJSONRenderer(ORJSONRenderer):
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
