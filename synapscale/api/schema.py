"""OpenAPI pieces shared by every endpoint: the problem-details error responses."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from synapscale.api.exceptions import PROBLEM_CONTENT_TYPE as PROBLEM_MEDIA_TYPE
from synapscale.api.fields import StrictIntegerField

ProblemSerializer = inline_serializer(
    name="Problem",
    fields={
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": StrictIntegerField(),
        "detail": serializers.CharField(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False
        ),
    },
)


def problem(description: str) -> OpenApiResponse:
    """An error response documented with the problem-details schema."""
    return OpenApiResponse(response=ProblemSerializer, description=description)


PROBLEM_RESPONSES = {
    400: problem(
        "Invalid input (the body, a query parameter, an unknown query parameter on a list, a "
        "NUL character); `errors` maps field paths to messages."
    ),
    401: problem("Not authenticated."),
    403: problem("Authenticated, but not allowed."),
    404: problem(
        "Not found, or not in the request's workspace; also an unknown `X-Workspace`, an "
        "invalid page or cursor, or an unknown `?format=`."
    ),
    409: problem("The object's state does not allow this now (the `detail` says why)."),
    413: problem("The request body is larger than the server accepts."),
    415: problem("The body's media type is not one this operation parses (JSON)."),
    429: problem("A rate limit or quota was reached; `Retry-After` says when to try again."),
    503: problem(
        "The database is unreachable, or a query went over its budget; nothing was stored. "
        "`Retry-After` says when to try again."
    ),
}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
BODY_METHODS = ("POST", "PUT", "PATCH")

WORKSPACE_HEADER_PARAMETER = OpenApiParameter(
    name="X-Workspace",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Slug of the workspace to act in; your personal workspace when absent.",
)


class AutoSchema(openapi.AutoSchema):
    """Document the X-Workspace header and the problem-details errors on every operation."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._takes_workspace_header():
            parameters.append(WORKSPACE_HEADER_PARAMETER)
        return parameters

    def _get_format_parameters(self):
        # `?format=` chooses among the success formats, and there is one (JSON): nothing to
        # document (problem+json is asked for with `Accept`, synapscale.api.renderers).
        return []

    def _is_list_view(self, serializer=None) -> bool:
        # A view that pages itself answers one object (the page), which the schema must say.
        if getattr(self.view, "pages_itself", False):
            return False
        return super()._is_list_view(serializer)

    def _takes_workspace_header(self) -> bool:
        from synapscale.api.viewsets import WorkspaceScopedMixin

        return isinstance(self.view, WorkspaceScopedMixin)

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return bodies
        # Every API request may carry a NUL in its query string (400), count against a rate
        # limit (429, README: Limits) and meet a database that is down (503).
        # An unknown `?format=` is a 404 on every operation.
        codes = ["400", "404", "429", "503"]
        if self.get_auth():
            codes += ["401", "403"]
        if self.method in WRITE_METHODS:
            codes.append("409")
        if self.method in BODY_METHODS:
            codes += ["413", "415"]
        for code in sorted(codes):
            bodies.setdefault(code, self._get_response_for_code(PROBLEM_RESPONSES[int(code)], code))
        # From the HTTP server, before the application: a request line over its limit.
        bodies.setdefault("414", {"description": "The URL is longer than the server reads."})
        for code, body in bodies.items():
            _only_the_media_types_of(code, body)
        return bodies


def _only_the_media_types_of(code: str, body: dict) -> None:
    """An error is only ever problem+json, a success never: the schema says which is which.

    drf-spectacular lists every renderer's media type under every response.
    """
    content = body.get("content")
    if not content or not code.isdigit():
        return
    if int(code) >= 400:
        kept = (
            {PROBLEM_MEDIA_TYPE: content[PROBLEM_MEDIA_TYPE]}
            if PROBLEM_MEDIA_TYPE in content
            else content
        )
    else:
        kept = {media: schema for media, schema in content.items() if media != PROBLEM_MEDIA_TYPE}
    if kept:
        body["content"] = kept


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "synapscale.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Token <token>` (or `Bearer <token>`): a personal access token; its scopes "
                "(read, write, ingest, admin) limit what it may do."
            ),
        }
