"""Fixtures of the marketplace tests."""

import pytest

from templates_app.services.categories import categories_ensure
from tests.templates_app.factories import TemplateFactory


@pytest.fixture
def categories(db):
    """The 13 categories (seeded by a migration; a transactional test elsewhere may flush them)."""
    categories_ensure()


@pytest.fixture
def make_template(categories, user):
    """Return ``make(**fields)`` creating a template authored by `user` (draft by default)."""

    def make(**fields):
        fields.setdefault("author", user)
        return TemplateFactory(**fields)

    return make


@pytest.fixture
def published(make_template):
    """A published template authored by `user`."""
    return make_template(name="Slack alerts for failed payments", published=True)
