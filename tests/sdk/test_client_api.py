"""The SDK against a live server: auth, pagination, problems, workspaces and retries."""

import socket
import time

import psycopg
import pytest
from django.db import connection
from synapscale_sdk import (
    AUTH_SCHEME,
    NotFound,
    Paginated,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
    SynapScale,
    TransportError,
    Unauthenticated,
    ValidationFailed,
    Workflow,
)

from analytics.models import Event
from executions.models import Workflow as WorkflowRow
from synapscale.choices import Role
from tests.analytics.factories import ingest_events
from tests.sdk.conftest import RecordingSleep, token_of

pytestmark = pytest.mark.django_db(transaction=True)

DEFINITION = {"nodes": [{"id": "t", "type": "transform", "params": {"expr": "input"}}]}


def test_me_answers_the_user_of_the_token(sdk, user, workspace):
    me = sdk.auth.me()
    assert me["user"]["username"] == user.username
    assert workspace.slug in {w["slug"] for w in me["workspaces"]}
    assert AUTH_SCHEME == "Token"


def test_login_exchanges_the_password_for_a_working_token(live_server, user):
    user.set_password("s3cret-pass!")
    user.save()
    with SynapScale.login(live_server.url, user.username, "s3cret-pass!") as client:
        assert client.auth.me()["user"]["username"] == user.username


def test_a_wrong_token_raises_unauthenticated(live_server, user):
    with (
        SynapScale(live_server.url, "not-a-token") as client,
        pytest.raises(Unauthenticated) as err,
    ):
        client.auth.me()
    assert err.value.status == 401
    assert err.value.type.startswith("http")


def test_page_number_iterator_follows_next_lazily(sdk):
    for index in range(5):
        sdk.workflows.create(name=f"wf {index}", definition=DEFINITION)
    workflows = sdk.workflows.list(page_size=2)
    assert isinstance(workflows, Paginated)
    pages = list(workflows.pages())
    assert [len(page["results"]) for page in pages] == [2, 2, 1]
    assert workflows.count == 5
    items = list(sdk.workflows.list(page_size=2))
    assert all(isinstance(item, Workflow) for item in items)
    assert sorted(item.name for item in items) == [f"wf {index}" for index in range(5)]


def test_cursor_iterator_follows_next_links(sdk, workspace):
    ingest_events(workspace, [{"event_type": "click", "distinct_id": f"d{i}"} for i in range(5)])
    events = sdk.events.list(page_size=2, event_type="click")
    pages = list(events.pages())
    assert [len(page["results"]) for page in pages] == [2, 2, 1]
    assert "cursor=" in pages[0]["next"]
    assert events.count is None  # cursor pages have no total
    assert sorted(e["distinct_id"] for e in sdk.events.list(page_size=2)) == [
        f"d{i}" for i in range(5)
    ]


def test_a_wrong_definition_raises_validation_failed_with_field_errors(sdk):
    with pytest.raises(ValidationFailed) as err:
        sdk.workflows.create(name="bad", definition={"nodes": [{"id": "x", "type": "nope"}]})
    problem = err.value
    assert problem.status == 400
    assert problem.code == "validation-error"
    assert list(problem.errors) == ["definition.nodes.0.type"]
    assert "definition.nodes.0.type" in str(problem)
    assert not WorkflowRow.objects.exists()


def test_an_unknown_object_raises_not_found(sdk):
    with pytest.raises(NotFound) as err:
        sdk.workflows.get(999999)
    assert err.value.status == 404
    assert err.value.detail


def test_a_viewer_writing_raises_permission_denied(live_server, other_user, workspace, make_member):
    make_member(workspace, other_user, Role.VIEWER)
    with SynapScale(live_server.url, token_of(other_user), workspace=workspace.slug) as viewer:
        assert list(viewer.workflows.list()) == []
        with pytest.raises(PermissionDenied):
            viewer.workflows.create(name="no", definition=DEFINITION)


def test_with_workspace_switches_the_x_workspace_header(sdk, workspace, other_workspace):
    team = sdk.workspaces.create(name="Team space")
    team_client = sdk.with_workspace(team["slug"])
    assert team_client.workspace == team["slug"]
    created = team_client.workflows.create(name="in team", definition=DEFINITION)
    assert WorkflowRow.objects.get(pk=created.id).workspace.slug == team["slug"]
    assert [w.name for w in team_client.workflows.list()] == ["in team"]
    assert list(sdk.workflows.list()) == []  # the parent still acts in the personal one
    with pytest.raises(NotFound):
        list(sdk.with_workspace(other_workspace.slug).workflows.list())
    team_client.close()  # leaves the parent's connections open
    assert sdk.auth.me()


def test_a_429_is_retried_after_its_retry_after(sdk, recorded_sleep, rate_limits):
    rate_limits(reads="2/2s")
    # Five reads in one or two 2-second windows: at least one is refused, then resent.
    for _ in range(5):
        sdk.auth.me()
    assert recorded_sleep.waits
    assert all(1 <= wait <= 2 for wait in recorded_sleep.waits)


def test_a_429_past_the_retries_raises_rate_limited(live_server, user, rate_limits):
    rate_limits(reads="1/m")
    with SynapScale(live_server.url, token_of(user), max_retries=0) as client:
        client.auth.me()
        with pytest.raises(RateLimited) as err:
            client.auth.me()
    assert err.value.status == 429
    assert 1 <= err.value.retry_after <= 60
    assert err.value.code == "rate-limited"


def test_a_retry_after_longer_than_max_retry_wait_is_raised_at_once(live_server, user, rate_limits):
    rate_limits(reads="1/m")
    with SynapScale(live_server.url, token_of(user), max_retry_wait=0.5) as client:
        sleep = RecordingSleep()
        client._transport.sleep = sleep
        client.auth.me()
        with pytest.raises(RateLimited):
            client.auth.me()
    assert sleep.waits == []


def test_connection_errors_resend_only_what_is_safe_to_resend():
    sleep = RecordingSleep()
    with SynapScale("http://127.0.0.1:1", "t", max_retries=2, backoff=0.01, timeout=1) as client:
        client._transport.sleep = sleep
        with pytest.raises(TransportError):
            client.auth.me()  # GET: resent twice
        assert len(sleep.waits) == 2
        with pytest.raises(TransportError):
            client.workflows.create(name="x", definition=DEFINITION)  # POST: sent once
        assert len(sleep.waits) == 2
        with pytest.raises(TransportError):
            client.workflows.run(1, {}, idempotency_key="k-1")  # POST with a key: resent
        assert len(sleep.waits) == 4
        with pytest.raises(TransportError):
            client.events.ingest([{"event_type": "click"}])  # events carry event_id
        assert len(sleep.waits) == 6
    assert not Event.objects.exists()


@pytest.fixture
def events_table_lock(transactional_db):
    """Another session holds the events table, so an analysis waits past its budget (503)."""
    holder = psycopg.connect(**connection.get_connection_params())
    holder.execute("LOCK TABLE analytics_event IN ACCESS EXCLUSIVE MODE")
    yield holder
    holder.rollback()
    holder.close()


def test_a_503_is_retried_after_its_retry_after_until_it_succeeds(sdk, events_table_lock, settings):
    settings.QUERY_BUDGETS_MS = {**settings.QUERY_BUDGETS_MS, "analysis": 50}
    settings.QUERY_TIMEOUT_RETRY_AFTER_SECONDS = 1
    waits = []

    def sleep_then_release(seconds):
        waits.append(seconds)
        events_table_lock.rollback()  # the table is free by the time the SDK resends

    sdk._transport.sleep = sleep_then_release
    # Unique people: read from the locked events (a count trend sums the hourly rollup).
    answer = sdk.analyses.trends(
        events=["click"],
        metric="unique_people",
        date_range={"from": "2026-01-01", "to": "2026-01-02"},
    )
    assert waits == [1.0]
    assert answer["series"]


def test_a_503_past_the_retries_raises_service_unavailable(
    live_server, user, events_table_lock, settings
):
    settings.QUERY_BUDGETS_MS = {**settings.QUERY_BUDGETS_MS, "analysis": 50}
    settings.QUERY_TIMEOUT_RETRY_AFTER_SECONDS = 1
    with SynapScale(live_server.url, token_of(user), max_retries=1) as client:
        sleep = RecordingSleep()
        client._transport.sleep = sleep
        with pytest.raises(ServiceUnavailable) as err:
            client.analyses.trends(
                events=["click"],
                metric="unique_people",
                date_range={"from": "2026-01-01", "to": "2026-01-02"},
            )
    assert sleep.waits == [1.0]
    assert (err.value.status, err.value.code, err.value.retry_after) == (503, "query-timeout", 1.0)


@pytest.fixture
def silent_server():
    """A socket that accepts connections and never answers: every read times out."""
    listener = socket.create_server(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_a_read_timeout_is_resent_only_when_safe_then_raised(silent_server):
    sleep = RecordingSleep()
    with SynapScale(silent_server, "t", timeout=0.2, max_retries=1, backoff=0.01) as client:
        client._transport.sleep = sleep
        started = time.monotonic()
        with pytest.raises(TransportError, match="ReadTimeout"):
            client.workflows.get(1)
        assert len(sleep.waits) == 1
        with pytest.raises(TransportError, match="ReadTimeout"):
            client.workflows.create(name="x", definition=DEFINITION)
        assert len(sleep.waits) == 1  # a POST that may have been processed is not resent
    assert time.monotonic() - started < 5
