"""Fixtures shared by the analytics tests."""

import pytest

from tests.analytics.factories import ingest_events
from tests.conftest import client_for
from tests.factories import UserFactory


@pytest.fixture
def ingest(db):
    """Return ``ingest(workspace, events, received_at=None)`` that stores events for real."""
    return ingest_events


@pytest.fixture
def member_client(workspace, make_member):
    """Return ``make(role)``: a client of a new member of the workspace with that role."""

    def make(role):
        person = UserFactory()
        make_member(workspace, person, role)
        client = client_for(person)
        client.defaults["HTTP_X_WORKSPACE"] = workspace.slug
        return client

    return make
