"""Fixtures of the marketplace tests."""

from decimal import Decimal

import pytest

from templates_app.services.categories import categories_ensure
from templates_app.services.moderation import template_set_featured, template_set_verified
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


@pytest.fixture
def catalogue(make_template, staff_user):
    """Three published templates: CRM (premium, 19.00), Slack (featured), digest (verified)."""
    make = lambda **fields: make_template(published=True, **fields)  # noqa: E731
    templates = {
        "crm": make(
            name="CRM lead sync",
            category="sales",
            tags=["crm", "hubspot"],
            license="premium",
            price=Decimal("19.00"),
            complexity=3,
        ),
        "slack": make(
            name="Slack incident alerts", category="automation", tags=["slack"], complexity=1
        ),
        "digest": make(
            name="Weekly sales digest",
            category="analytics",
            tags=["crm", "email"],
            license="enterprise",
            price=Decimal("99.00"),
            complexity=5,
        ),
    }
    template_set_featured(template=templates["slack"], user=staff_user, featured=True)
    template_set_verified(template=templates["digest"], user=staff_user, verified=True)
    return templates
