"""OpenAPI pieces shared by every endpoint: the problem-details error responses."""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

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

    def _takes_workspace_header(self) -> bool:
        from synapscale.api.viewsets import WorkspaceScopedMixin

        return isinstance(self.view, WorkspaceScopedMixin)

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return bodies
        # Every API request may carry a NUL in its query string (400), count against a rate
        # limit (429, README: Limits) and meet a database that is down (503).
        codes = ["400", "429", "503"]
        if self.get_auth():
            codes += ["401", "403"]
        if "{" in self.path or self._is_list_view() or self._takes_workspace_header():
            codes.append("404")
        if self.method in WRITE_METHODS:
            codes.append("409")
        if self.method in BODY_METHODS:
            codes += ["413", "415"]
        for code in sorted(codes):
            bodies.setdefault(code, self._get_response_for_code(PROBLEM_RESPONSES[int(code)], code))
        return bodies
