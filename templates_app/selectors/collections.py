"""Reads of collections and favorites."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from templates_app.choices import TemplateStatus
from templates_app.models import Collection, CollectionItem, Favorite


def _items(*, published_only: bool) -> Prefetch:
    items = CollectionItem.objects.select_related("template__category", "template__author").defer(
        "template__search_vector", "template__definition", "template__description"
    )
    if published_only:
        items = items.filter(template__status=TemplateStatus.PUBLISHED)
    return Prefetch("items", queryset=items.order_by("position", "id"))


def collections_with_items() -> QuerySet[Collection]:
    """Return collections with their ordered items (scope them to a workspace before use)."""
    return Collection.objects.select_related("owner").prefetch_related(_items(published_only=False))


def public_collections() -> QuerySet[Collection]:
    """Return the public collections of every workspace, showing only published templates."""
    return (
        Collection.objects.filter(is_public=True)
        .select_related("owner")
        .prefetch_related(_items(published_only=True))
        .annotate(
            template_count=Count(
                "items", filter=Q(items__template__status=TemplateStatus.PUBLISHED)
            )
        )
    )


def favorites_of(user) -> QuerySet[Favorite]:
    """Return a user's favorites with their templates."""
    return (
        Favorite.objects.filter(user=user)
        .select_related("template__category", "template__author")
        .defer("template__search_vector", "template__definition", "template__description")
    )
