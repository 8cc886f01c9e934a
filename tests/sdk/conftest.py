"""The Python SDK driven against a live server of the suite (pytest-django's live_server)."""

import pytest
from synapscale_sdk import SynapScale


class RecordingSleep:
    """Really sleep, and remember for how long: the retry tests check the waits."""

    def __init__(self):
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        import time

        self.waits.append(seconds)
        time.sleep(seconds)


def token_of(user) -> str:
    """A new personal access token of ``user`` with every scope (shown once: kept here)."""
    from synapscale.choices import TokenScope
    from synapscale.services.tokens import token_create

    return token_create(user=user, name="sdk-tests", scopes=TokenScope.values).secret


@pytest.fixture
def sdk(live_server, user):
    with SynapScale(live_server.url, token_of(user), timeout=10, backoff=0.05) as client:
        yield client


@pytest.fixture
def recorded_sleep(sdk):
    sleep = RecordingSleep()
    sdk._transport.sleep = sleep
    return sleep
