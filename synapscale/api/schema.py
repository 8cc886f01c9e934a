"""OpenAPI pieces shared by every endpoint: the problem-details error responses."""

import copy
import re

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent
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

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        # A model serializer writes every field of the instance into a response, defaults
        # included: the types generated from the schema must not call them optional.
        if direction == "response" and isinstance(serializer, serializers.ModelSerializer):
            schema["required"] = list(schema.get("properties", {}))
        return schema

    def get_filter_backends(self):
        # A custom action (`/reports/{id}/runs/`) inherits the viewset's filter backends
        # without applying them; an action that filters documents its parameters itself.
        action = getattr(self.view, "action", None)
        if action is not None and action != "list":
            return []
        if getattr(self.view, "pages_itself", False):
            return list(getattr(self.view, "filter_backends", []))
        return super().get_filter_backends()

    def _get_pagination_parameters(self):
        # A view that pages itself reads `page` and `page_size` as the API's paginator does.
        if getattr(self.view, "pages_itself", False) and self.view.action == "list":
            from synapscale.api.pagination import PageNumberPagination

            return PageNumberPagination().get_schema_operation_parameters(self.view)
        return super()._get_pagination_parameters()

    def _get_filter_parameters(self):
        from synapscale.api.filters import ordering_terms_of, search_fields_of

        # DRF's search and ordering filters document themselves on every list, whether the
        # view searches or orders by anything: the schema says what the view takes.
        parameters = []
        for parameter in super()._get_filter_parameters():
            if parameter["name"] == "search" and not search_fields_of(self.view):
                continue
            if parameter["name"] == "ordering":
                terms = ordering_terms_of(self.view)
                if not terms:
                    continue
                term = "-?(" + "|".join(re.escape(name) for name in terms) + ")"
                parameter = {
                    **parameter,
                    "description": (
                        f"Comma-separated fields to sort by: {', '.join(terms)}; a leading "
                        "'-' reverses."
                    ),
                    "schema": {"type": "string", "pattern": f"^{term}(,{term})*$"},
                }
            parameters.append(parameter)
        return parameters

    def _is_list_view(self, serializer=None) -> bool:
        # A view that pages itself answers one object (the page), which the schema must say.
        if getattr(self.view, "pages_itself", False):
            return False
        return super()._is_list_view(serializer)

    def _takes_workspace_header(self) -> bool:
        from synapscale.api.viewsets import WorkspaceScopedMixin

        return isinstance(self.view, WorkspaceScopedMixin)

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction=direction)
        # drf-spectacular marks a body required only when its serializer has a required
        # field; a union of bodies (capture, alert rules) demands one just as much.
        if body and not body.get("required"):
            schemas = [media.get("schema", {}) for media in body["content"].values()]
            if schemas and all(self._demands_a_body(schema) for schema in schemas):
                body["required"] = True
        return body

    def _demands_a_body(self, schema: dict) -> bool:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            component = self.registry._components.get((name, ResolvedComponent.SCHEMA))
            schema = component.schema if component else {}
        if "oneOf" in schema:
            return all(self._demands_a_body(variant) for variant in schema["oneOf"])
        if schema.get("type") == "array":
            return True  # even an empty list is a body
        return bool(schema.get("required"))

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


class DocumentedBody(serializers.Serializer):
    """A request body its view parses itself, documented by a hand-written OpenAPI schema.

    For bodies a serializer cannot describe (per-kind queries, unions); a subclass sets
    `openapi_schema` and becomes a named component like any serializer. A test keeps each
    such schema in step with the parser (the same bodies pass both, or fail both).
    """

    openapi_schema: dict = {"type": "object"}


class DocumentedBodyExtension(OpenApiSerializerExtension):
    target_class = DocumentedBody
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        # A copy: the enum hook rewrites the schemas it is given in place.
        return copy.deepcopy(self.target.openapi_schema)


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
