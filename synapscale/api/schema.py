"""OpenAPI pieces shared by every endpoint: the problem-details error responses."""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

ProblemSerializer = inline_serializer(
    name="Problem",
    fields={
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
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
    400: problem("Invalid input; `errors` maps field paths to messages."),
    401: problem("Not authenticated."),
    403: problem("Authenticated, but not allowed."),
    404: problem("Not found, or not in the request's workspace."),
    429: problem("A rate limit or quota was reached; `Retry-After` says when to try again."),
}

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
        from synapscale.api.viewsets import WorkspaceScopedMixin

        if isinstance(self.view, WorkspaceScopedMixin):
            parameters.append(WORKSPACE_HEADER_PARAMETER)
        return parameters

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return bodies
        codes = ["400"] if self.method in ("POST", "PUT", "PATCH") else []
        if self.get_auth():
            codes += ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        codes.append("429")  # every operation counts against a rate limit (README, Limits)
        for code in codes:
            bodies.setdefault(code, self._get_response_for_code(PROBLEM_RESPONSES[int(code)], code))
        return bodies
