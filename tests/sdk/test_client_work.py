"""The SDK against a live server and a real worker: runs, events, exports and analyses."""

from datetime import UTC, datetime, timedelta

import pytest
from synapscale_sdk import Execution, Export, WaitTimeout

from analytics.models import Event
from executions.models import Execution as ExecutionRow

pytestmark = pytest.mark.django_db(transaction=True)

DOUBLE = {
    "nodes": [
        {"id": "double", "type": "transform", "params": {"expr": "{twice: [input.n, input.n]}"}}
    ]
}
SLOW = {"nodes": [{"id": "nap", "type": "delay", "params": {"seconds": 3}}]}


@pytest.mark.usefixtures("celery_worker")
def test_run_and_wait_returns_the_finished_execution_with_its_output(sdk):
    workflow = sdk.workflows.create(name="double", definition=DOUBLE)
    assert sdk.workflows.validate(DOUBLE)["valid"] is True
    done = sdk.workflows.run_and_wait(workflow.id, {"n": 21}, timeout=20)
    assert isinstance(done, Execution)
    assert done.status == "succeeded"
    assert done.output == {"double": {"twice": [21, 21]}}
    assert done.idempotency_key  # made by the SDK, so a resend is the same run
    assert [e.id for e in sdk.workflows.executions(workflow.id)] == [done.id]
    logs = list(sdk.executions.logs(done.id))
    assert logs
    assert sdk.executions.status(done.id).is_finished


@pytest.mark.usefixtures("celery_worker")
def test_run_polls_status_past_the_servers_wait_and_times_out(sdk):
    workflow = sdk.workflows.create(name="slow", definition=SLOW)
    with pytest.raises(WaitTimeout):
        sdk.workflows.run_and_wait(workflow.id, {}, timeout=0.5, poll_interval=0.1)
    started = ExecutionRow.objects.get()
    finished = sdk.executions.wait(started.id, timeout=20, poll_interval=0.2)
    assert finished.status == "succeeded"
    again = sdk.executions.retry(started.id)
    assert again.id != started.id


def test_the_same_idempotency_key_runs_once(sdk):
    workflow = sdk.workflows.create(name="double", definition=DOUBLE)
    first = sdk.workflows.run(workflow.id, {"n": 1}, idempotency_key="same-key")
    second = sdk.workflows.run(workflow.id, {"n": 1}, idempotency_key="same-key")
    assert first.id == second.id
    assert first.status in ("pending", "queued")
    cancelled = sdk.executions.cancel(first.id)
    assert cancelled.status == "cancelled"
    assert cancelled.is_finished
    assert ExecutionRow.objects.get().status == "cancelled"
    assert ExecutionRow.objects.count() == 1


def test_ingest_splits_events_into_batches_by_the_api_limit(sdk, workspace):
    events = [{"event_type": "click", "distinct_id": f"p{i % 7}"} for i in range(1001)]
    events.append({"event_type": "Not Valid"})
    result = sdk.events.ingest(events)
    assert result.batches == 2
    assert result.accepted == 1001
    assert [entry["index"] for entry in result.rejected] == [1001]
    assert Event.objects.filter(workspace=workspace).count() == 1001


def test_ingest_resent_is_stored_once(sdk, workspace):
    events = [
        {"event_type": "signup", "event_id": f"00000000-0000-4000-8000-00000000000{i}"}
        for i in range(3)
    ]
    first = sdk.events.ingest(events, batch_size=2)
    again = sdk.events.ingest(events, batch_size=2)
    assert (first.batches, first.accepted, first.duplicates) == (2, 3, 0)
    assert (again.accepted, again.duplicates) == (0, 3)
    assert Event.objects.filter(workspace=workspace).count() == 3


@pytest.mark.usefixtures("celery_worker")
def test_export_request_wait_and_download_to_a_file(sdk, tmp_path):
    sdk.events.ingest([{"event_type": "click", "distinct_id": f"d{i}"} for i in range(3)])
    export = sdk.exports.request("events", format="jsonl")
    assert isinstance(export, Export)
    built = sdk.exports.wait(export.id, timeout=20, poll_interval=0.1)
    assert built.status == "succeeded", built.error
    path = sdk.exports.download(export.id, tmp_path / "events.jsonl")
    assert path.read_bytes().count(b"\n") == 3
    assert [e.id for e in sdk.exports.list()] == [export.id]


def test_trends_analysis_counts_the_ingested_events(sdk):
    sdk.events.ingest([{"event_type": "page_view", "distinct_id": "a"} for _ in range(4)])
    today = datetime.now(UTC).date()
    query = {
        "events": ["page_view"],
        "date_from": str(today - timedelta(days=1)),
        "date_to": str(today),
    }
    answer = sdk.analyses.trends(query)
    assert [point["value"] for point in answer["series"][0]["data"]] == [0, 4]
    sdk.events.ingest([{"event_type": "page_view", "distinct_id": "b"}])
    assert sdk.analyses.trends(query)["is_cached"] is True
    fresh = sdk.analyses.trends(query, refresh=True)
    assert [point["value"] for point in fresh["series"][0]["data"]] == [0, 5]
