"""Reads of reviews."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from templates_app.models import Review


def reviews_visible_to(user) -> QuerySet[Review]:
    """Return the reviews `user` may read: visible ones, plus their own even when hidden."""
    visible = Q(is_hidden=False)
    if user is not None and user.is_authenticated:
        visible |= Q(user=user)
    return Review.objects.filter(visible).select_related("user")


def reviews_for_template(*, template_id: int, user) -> QuerySet[Review]:
    """Return a template's reviews `user` may read, most helpful first."""
    return reviews_visible_to(user).filter(template_id=template_id)
