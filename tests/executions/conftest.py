"""Fixtures of the executions tests."""

import pytest


@pytest.fixture(autouse=True)
def _allow_local_http(settings):
    # Engine tests call HTTP servers they start on 127.0.0.1; production blocks such hosts.
    settings.EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS = False


@pytest.fixture
def workflow(workspace):
    """A workflow of the request's workspace (three nodes)."""
    from tests.executions.factories import WorkflowFactory

    return WorkflowFactory(workspace=workspace)


@pytest.fixture
def admin_client_(staff_user):
    """A logged-in superuser's client for the admin."""
    from django.test import Client

    staff_user.is_superuser = True
    staff_user.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(staff_user)
    return client
