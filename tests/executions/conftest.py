"""Fixtures of the executions tests."""

import pytest


@pytest.fixture(autouse=True)
def _allow_local_http(settings):
    # Engine tests call HTTP servers they start on 127.0.0.1; production blocks such hosts.
    settings.EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS = False
