"""The marketplace's categories."""

from __future__ import annotations

from django.db import transaction

from templates_app.constants import CATEGORIES
from templates_app.models import Category


@transaction.atomic
def categories_ensure() -> int:
    """Create the standard categories that are missing; return how many were created.

    Migration 0002 seeds them; this restores them where a database was emptied afterwards
    (a flushed test database, a restored dump) without touching staff edits.
    """
    created = 0
    for position, (slug, name, description) in enumerate(CATEGORIES, start=1):
        _, was_created = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
        created += was_created
    return created
