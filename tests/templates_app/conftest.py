"""Fixtures of the marketplace tests."""

import pytest

from tests.templates_app.factories import TemplateFactory


@pytest.fixture
def make_template(db, user):
    """Return ``make(**fields)`` creating a template authored by `user` (draft by default)."""

    def make(**fields):
        fields.setdefault("author", user)
        return TemplateFactory(**fields)

    return make


@pytest.fixture
def published(make_template):
    """A published template authored by `user`."""
    return make_template(name="Slack alerts for failed payments", published=True)
