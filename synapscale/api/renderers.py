"""orjson rendering for application/json and application/problem+json."""

from drf_orjson_renderer.renderers import ORJSONRenderer


class JSONRenderer(ORJSONRenderer):
    format = "json"


class ProblemJSONRenderer(ORJSONRenderer):
    """Lets clients that ask only for problem+json (``Accept``) still be answered."""

    media_type = "application/problem+json"
    format = "problem-json"
