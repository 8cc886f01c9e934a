"""The public marketplace: search, template pages, home sections, categories, install."""

from __future__ import annotations

import hashlib
import re

from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from synapscale.api.filters import junk_values
from synapscale.api.pagination import PageNumberPagination
from synapscale.api.params import wants_refresh
from synapscale.api.permissions import TokenScopePermission
from synapscale.api.viewsets import WorkspaceViewSet
from synapscale.cache import CachedResult, Policy, cached_read
from synapscale.clients import client_ip
from templates_app.api.serializers.common import TemplateSummarySerializer
from templates_app.api.serializers.marketplace import (
    CategoryPageSerializer,
    CategorySerializer,
    InstalledWorkflowSerializer,
    InstallSerializer,
    MarketplaceDetailResponseSerializer,
    MarketplaceHomeResponseSerializer,
    MarketplaceHomeSerializer,
    MarketplaceSearchResponseSerializer,
    MarketplaceTemplateDetailSerializer,
)
from templates_app.constants import MARKETPLACE_CACHE_NAMESPACE
from templates_app.filtersets import MarketplaceTemplateFilterSet
from templates_app.models import TemplateInstall
from templates_app.selectors.marketplace import (
    categories_with_counts,
    marketplace_home,
    marketplace_page,
    marketplace_template_detail,
    marketplace_templates,
)
from templates_app.services.marketplace import template_install, template_view_record

REFRESH_PARAMETER = OpenApiParameter(
    "refresh", bool, description="Recompute instead of serving the cached copy."
)
PAGE_PARAMS = frozenset({"page", "page_size", "refresh", "format"})
# A page number as typed in a URL: ASCII digits, no sign, at most 7 of them. str.isdigit()
# accepts "²" (which int() refuses) and int() of 20 digits makes an offset PostgreSQL refuses.
PAGE_NUMBER_RE = re.compile(r"[1-9][0-9]{0,6}")


def _marketplace_read(request, *, params: dict, compute):
    """Serve `compute()` through the marketplace's cache (business policy, global scope)."""
    return cached_read(
        namespace=MARKETPLACE_CACHE_NAMESPACE,
        policy=Policy.BUSINESS,
        workspace_id=None,
        params=params,
        compute=compute,
        refresh=wants_refresh(request),
    )


def marketplace_home_read(*, refresh: bool = False) -> CachedResult:
    """Return the home page sections through the cache (the view and the warmer share it)."""
    return cached_read(
        namespace=MARKETPLACE_CACHE_NAMESPACE,
        policy=Policy.BUSINESS,
        workspace_id=None,
        params={"view": "home"},
        compute=lambda: MarketplaceHomeSerializer(marketplace_home()).data,
        refresh=refresh,
    )


def _reject_unknown_params(request, allowed: set[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ValidationError({name: ["Unknown query parameter."] for name in unknown})


def _page_request(request) -> tuple[int, int]:
    """Return (page, page_size) read the way the API's page-number pagination reads them."""
    paginator = PageNumberPagination()
    page_size = paginator.get_page_size(request)
    raw_page = request.query_params.get("page") or "1"  # empty means the first, as in DRF
    if not PAGE_NUMBER_RE.fullmatch(raw_page):
        raise NotFound("Invalid page.")
    return int(raw_page), page_size


def _page_links(request, *, page: int, page_size: int, count: int) -> dict:
    url = request.build_absolute_uri()
    last_page = max(1, -(-count // page_size))
    if page > last_page:
        raise NotFound("Invalid page.")
    following = replace_query_param(url, "page", page + 1) if page < last_page else None
    if page <= 1:
        previous = None
    elif page == 2:
        previous = remove_query_param(url, "page")
    else:
        previous = replace_query_param(url, "page", page - 1)
    return {"next": following, "previous": previous}


def _paged_payload(request, *, params: dict, queryset_fn, serializer_class, extra=None) -> dict:
    page, page_size = _page_request(request)
    offset = (page - 1) * page_size

    def compute():
        result = marketplace_page(queryset_fn(), offset=offset, limit=page_size)
        rows = serializer_class(result.rows, many=True).data
        return {"count": result.count, "results": rows, **(extra() if extra else {})}

    result = _marketplace_read(
        request, params={**params, "page": page, "page_size": page_size}, compute=compute
    )
    payload = result.as_payload()
    payload.update(_page_links(request, page=page, page_size=page_size, count=payload["count"]))
    return payload


def visitor_id(request) -> str:
    """Return who is viewing, for counting a view once a day: the user, or a hash.

    Anonymous visitors are told apart by address and user agent, hashed so that Redis holds
    no address.
    """
    if request.user and request.user.is_authenticated:
        return f"u{request.user.pk}"
    seen_as = f"{client_ip(request._request)}|{request.META.get('HTTP_USER_AGENT', '')}"
    return "a" + hashlib.sha256(seen_as.encode()).hexdigest()[:32]


class MarketplaceTemplateViewSet(viewsets.GenericViewSet):
    """Published templates of every workspace; readable without an account."""

    rate_limit_group = "search"
    permission_classes = (AllowAny, TokenScopePermission)
    # The search pages itself (cached whole, links included): no paginator may wrap it, in
    # the responses or in the schema.
    pagination_class = None
    pages_itself = True
    serializer_class = TemplateSummarySerializer
    filterset_class = MarketplaceTemplateFilterSet
    # Only the filterset's parameters: sorting is `sort`, text search is `q`.
    filter_backends = (DjangoFilterBackend,)
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def get_queryset(self):
        return marketplace_templates()

    @extend_schema(
        summary="Search the marketplace",
        operation_id="marketplace_templates_list",
        description=(
            "Full-text search over name (weight A), short description and tags (B) and "
            "description (C), tolerant of typos: `corrections` lists typed words that were "
            "also searched as a known word. Cached for 5 minutes; `refresh=true` recomputes."
        ),
        parameters=[REFRESH_PARAMETER],
        responses={200: MarketplaceSearchResponseSerializer},
    )
    def list(self, request, *args, **kwargs):
        filterset = MarketplaceTemplateFilterSet(
            data=request.query_params, queryset=marketplace_templates(), request=request
        )
        _reject_unknown_params(request, set(filterset.filters) | PAGE_PARAMS)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        if junk := junk_values(request, self, filterset):
            raise ValidationError(junk)
        payload = _paged_payload(
            request,
            params={"view": "search", **filterset.cache_params()},
            queryset_fn=lambda: filterset.qs,
            serializer_class=TemplateSummarySerializer,
            extra=lambda: {"corrections": filterset.corrections},
        )
        return Response(payload)

    @extend_schema(
        summary="Get a published template by slug",
        description="Counts a view (flushed to `view_count` periodically).",
        parameters=[REFRESH_PARAMETER],
        responses={200: MarketplaceDetailResponseSerializer},
    )
    def retrieve(self, request, slug=None, *args, **kwargs):
        _reject_unknown_params(request, PAGE_PARAMS)

        def compute():
            template = get_object_or_404(marketplace_template_detail(), slug=slug)
            return MarketplaceTemplateDetailSerializer(template).data

        payload = _marketplace_read(
            request, params={"view": "detail", "slug": slug}, compute=compute
        ).as_payload()
        template_view_record(template_id=payload["id"], visitor=visitor_id(request))
        return Response(payload)


class MarketplaceHomeViewSet(viewsets.ViewSet):
    """The marketplace front page and its category index."""

    rate_limit_group = "search"
    permission_classes = (AllowAny, TokenScopePermission)

    @extend_schema(
        summary="The marketplace home page",
        description="Featured, trending, newest and top-rated templates, top categories with "
        "their counts, top authors and featured collections. Cached for 5 minutes.",
        parameters=[REFRESH_PARAMETER],
        responses={200: MarketplaceHomeResponseSerializer},
    )
    def home(self, request, *args, **kwargs):
        _reject_unknown_params(request, {"refresh", "format"})
        return Response(marketplace_home_read(refresh=wants_refresh(request)).as_payload())

    @extend_schema(
        summary="List the categories with their published template counts",
        parameters=[
            OpenApiParameter("page", int, description="Page number."),
            OpenApiParameter("page_size", int, description="Rows per page (at most 200)."),
            REFRESH_PARAMETER,
        ],
        responses={200: CategoryPageSerializer},
    )
    def categories(self, request, *args, **kwargs):
        _reject_unknown_params(request, set(PAGE_PARAMS))
        payload = _paged_payload(
            request,
            params={"view": "categories"},
            queryset_fn=categories_with_counts,
            serializer_class=CategorySerializer,
        )
        return Response(payload)


class TemplateInstallViewSet(WorkspaceViewSet):
    """Install a published template into the request's workspace."""

    queryset = TemplateInstall.objects.all()
    serializer_class = InstalledWorkflowSerializer

    @extend_schema(
        summary="Install a published template as a workflow in your workspace",
        description=(
            "Checks the template's required variables, fills them into the definition, maps "
            "each of its `required_credentials` to a credential of your workspace and "
            "creates the workflow through the executions app. Answers the new workflow."
        ),
        request=InstallSerializer,
        responses={201: InstalledWorkflowSerializer},
    )
    def install(self, request, pk=None, *args, **kwargs):
        template = get_object_or_404(marketplace_templates(), pk=pk)
        data = InstallSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = template_install(
            template=template,
            user=request.user,
            workspace=request.workspace,
            name=data.validated_data.get("name", ""),
            variables=data.validated_data.get("variables"),
            credentials=data.validated_data.get("credentials"),
        )
        body = InstalledWorkflowSerializer(result.workflow, context={"install": result.install})
        return Response(body.data, status=status.HTTP_201_CREATED)
