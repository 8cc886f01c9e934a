"""What one execution of a 3-node workflow costs, end to end: a regression fails CI.

The budget of the engine issue: at most 4 database transactions and 10 Redis commands for
the run request plus the runner, for a workflow of pure nodes. The runner is called the way
the Celery task calls it; the broker's own consume and acknowledge are not ours to count.
"""

from __future__ import annotations

import pytest

from executions.choices import ExecutionStatus
from executions.models import Execution
from executions.services.running import execution_run
from tests.executions.factories import WorkflowFactory
from tests.round_trips import count_redis_commands, count_transactions

pytestmark = pytest.mark.django_db(transaction=True)

# The budget is 4; the engine does it in 3 (the request, the claim, the finish).
MAX_TRANSACTIONS = 3
MAX_REDIS_COMMANDS = 10


def run_once(api_client, workflow, **query) -> Execution:
    suffix = "".join(f"?{name}={value}" for name, value in query.items())
    response = api_client.post(
        f"/api/v1/workflows/{workflow.id}/run/{suffix}", {"input": {"name": "Ada"}}, format="json"
    )
    assert response.status_code == 202, response.content
    execution = execution_run(
        execution_id=response.json()["id"],
        workspace_id=workflow.workspace_id,
        priority=response.json()["priority"],
    )
    assert execution.status == ExecutionStatus.SUCCEEDED
    return execution


def test_a_three_node_execution_fits_the_round_trip_budget(
    api_client, workspace, django_assert_max_num_queries
):
    workflow = WorkflowFactory(workspace=workspace)
    run_once(api_client, workflow)  # warm: the runner caches the version's graph

    with (
        count_transactions() as database,
        count_redis_commands() as redis_log,
        django_assert_max_num_queries(13),  # BEGIN and COMMIT count as two; one audit row
    ):
        execution = run_once(api_client, workflow)

    assert database.transactions <= MAX_TRANSACTIONS, database.statements
    assert redis_log.count <= MAX_REDIS_COMMANDS, redis_log.commands
    assert execution.node_runs.count() == 3
    assert execution.logs.count() == 4  # one line a node, one for the finish


def test_the_run_request_alone_is_one_transaction_and_four_redis_commands(api_client, workspace):
    workflow = WorkflowFactory(workspace=workspace)
    api_client.post(f"/api/v1/workflows/{workflow.id}/run/", {}, format="json")

    with count_transactions() as database, count_redis_commands() as redis_log:
        response = api_client.post(f"/api/v1/workflows/{workflow.id}/run/", {}, format="json")

    assert response.status_code == 202
    # The request's reads and its insert (written queued; the task is sent on commit).
    assert database.transactions == 1, database.statements
    # The rate limit counts the request (django-ratelimit: SET NX, then INCR as a script), the
    # executions_per_day quota takes one (a script), and the broker (Redis in the tests)
    # receives the task; nothing else touches Redis.
    verbs = [command.split()[0] for command in redis_log.commands]
    assert verbs[:3] == ["SET", "EVAL", "EVAL"], redis_log.commands
    assert len(redis_log.commands) <= 4, redis_log.commands
