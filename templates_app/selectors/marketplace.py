"""Reads of the public marketplace: search, sorts, home page sections, categories."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchRank
from django.db.models import Count, F, Q, QuerySet, Sum, Window

from templates_app.choices import MarketplaceSort, TemplateStatus
from templates_app.constants import HOME_SECTION_SIZE
from templates_app.models import Category, Collection, Template
from templates_app.search.query import parse_search_text

PUBLISHED = Q(status=TemplateStatus.PUBLISHED)

# Each sort ends with -id so pages are stable; each matches a partial index on Template.
SORT_ORDERINGS = {
    MarketplaceSort.RELEVANCE: ("-rank", "-install_count", "-id"),
    MarketplaceSort.POPULAR: ("-install_count", "-id"),
    MarketplaceSort.TRENDING: ("-trending_score", "-id"),
    MarketplaceSort.TOP_RATED: ("-rating_score", "-id"),
    MarketplaceSort.NEWEST: ("-published_at", "-id"),
}


@dataclass(frozen=True)
class SearchOutcome:
    """A sorted queryset of published templates and the typo corrections applied."""

    queryset: QuerySet
    corrections: dict[str, str] = field(default_factory=dict)


# What a template card shows (TemplateSummarySerializer) and the services check: loading only
# these keeps 50-row pages narrow (no description, definition, vector or user columns).
SUMMARY_FIELDS = (
    "id",
    "slug",
    "name",
    "short_description",
    "tags",
    "version",
    "status",
    "license",
    "price",
    "complexity",
    "is_featured",
    "is_verified",
    "install_count",
    "view_count",
    "rating_avg",
    "rating_count",
    "published_at",
    "workspace_id",
    "author__username",
    "category__slug",
    "category__name",
)


@dataclass(frozen=True)
class Page:
    count: int
    rows: list


def marketplace_templates() -> QuerySet[Template]:
    """Return the published templates, with what list serializers read."""
    return (
        Template.objects.filter(PUBLISHED)
        .select_related("category", "author")
        .only(*SUMMARY_FIELDS)
    )


def marketplace_page(queryset: QuerySet, *, offset: int, limit: int) -> Page:
    """Return one page of a sorted queryset and the total number of rows.

    Ranked by relevance, every match must be scored before the first row is known, so the
    total comes from the same pass (a window count) instead of a second scan. Any other sort
    reads its index and stops after the page (a window count would force reading every
    match in index order), so the total is a separate count over the text/filter bitmap.
    """
    if tuple(queryset.query.order_by[:1]) != SORT_ORDERINGS[MarketplaceSort.RELEVANCE][:1]:
        return Page(count=queryset.count(), rows=list(queryset[offset : offset + limit]))
    rows = list(queryset.annotate(total=Window(Count("id")))[offset : offset + limit])
    if rows:
        return Page(count=rows[0].total, rows=rows)
    return Page(count=queryset.count() if offset else 0, rows=[])


def marketplace_template_detail() -> QuerySet[Template]:
    """Return the published templates with every field the detail page shows."""
    return (
        Template.objects.filter(PUBLISHED)
        .select_related("category", "author")
        .defer("search_vector")
    )


def marketplace_search(queryset: QuerySet, *, text: str = "", sort: str = "") -> SearchOutcome:
    """Apply the full-text query (typo tolerant) and the sort to a queryset of templates.

    Without text, `relevance` means most installed. With text, only matching templates remain
    and `rank` (ts_rank over the weighted vector) is annotated.
    """
    parsed = parse_search_text(text) if text else None
    has_query = parsed is not None and parsed.search_query is not None
    if has_query:
        queryset = queryset.filter(search_vector=parsed.search_query).annotate(
            rank=SearchRank(F("search_vector"), parsed.search_query)
        )
    sort = sort or (MarketplaceSort.RELEVANCE if has_query else MarketplaceSort.POPULAR)
    if sort == MarketplaceSort.RELEVANCE and not has_query:
        sort = MarketplaceSort.POPULAR
    return SearchOutcome(
        queryset=queryset.order_by(*SORT_ORDERINGS[sort]),
        corrections=parsed.corrections if parsed else {},
    )


def categories_with_counts() -> QuerySet[Category]:
    """Return every category with its number of published templates."""
    return Category.objects.annotate(
        template_count=Count("templates", filter=Q(templates__status=TemplateStatus.PUBLISHED))
    ).order_by("position", "name")


def marketplace_home() -> dict[str, list]:
    """Return the home page sections as querysets/lists (featured, trending, newest...)."""
    published = marketplace_templates()
    size = HOME_SECTION_SIZE
    top_categories = [
        category
        for category in categories_with_counts().order_by("-template_count", "position")[:size]
        if category.template_count
    ]
    top_authors = list(
        Template.objects.filter(PUBLISHED)
        .values("author_id", "author__username")
        .annotate(template_count=Count("id"), install_count=Sum("install_count"))
        .order_by("-install_count", "-template_count", "author_id")[:size]
    )
    return {
        "featured": list(
            published.filter(is_featured=True).order_by(*SORT_ORDERINGS["newest"])[:size]
        ),
        "trending": list(
            published.filter(trending_score__gt=0).order_by(*SORT_ORDERINGS["trending"])[:size]
        ),
        "newest": list(published.order_by(*SORT_ORDERINGS["newest"])[:size]),
        "top_rated": list(
            published.filter(rating_count__gt=0).order_by(*SORT_ORDERINGS["top_rated"])[:size]
        ),
        "top_categories": top_categories,
        "top_authors": top_authors,
        "featured_collections": list(
            Collection.objects.filter(is_public=True, is_featured=True)
            .select_related("owner")
            .annotate(template_count=Count("items"))
            .order_by("-updated_at", "-id")[:size]
        ),
    }
