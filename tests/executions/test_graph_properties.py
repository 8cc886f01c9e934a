"""Property-based tests of workflow graphs: acyclic ones run correctly, cyclic ones are refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from executions.choices import ExecutionStatus, NodeRunStatus
from executions.engine.graph import build_graph
from executions.engine.planning import Decision, decide
from executions.engine.validation import validate_definition
from executions.services.executions import execution_start
from executions.services.running import execution_run
from executions.services.workflows import workflow_create


@st.composite
def acyclic_definitions(draw, *, with_conditions: bool):
    """Nodes n0..nk; edges only go from a lower to a higher index, so there is no cycle."""
    size = draw(st.integers(min_value=1, max_value=8))
    nodes, kinds = [], {}
    for index in range(size):
        node_id = f"n{index}"
        if with_conditions and draw(st.booleans()):
            truth = draw(st.booleans())
            nodes.append(
                {"id": node_id, "type": "condition", "params": {"expr": f"`{str(truth).lower()}`"}}
            )
            kinds[node_id] = truth
        else:
            nodes.append({"id": node_id, "type": "set", "params": {"fields": {"i": index}}})
            kinds[node_id] = None
    edges = []
    for target in range(1, size):
        for source in draw(st.sets(st.integers(min_value=0, max_value=target - 1), max_size=3)):
            edge = {"from": f"n{source}", "to": f"n{target}"}
            if kinds[f"n{source}"] is not None and draw(st.booleans()):
                edge["when"] = draw(st.sampled_from(["true", "false"]))
            edges.append(edge)
    return {"nodes": nodes, "edges": edges}, kinds


def expected_runs(definition, kinds) -> set[str]:
    """Reference semantics: a node runs if it has no parents or an edge into it is taken."""
    ran: set[str] = set()
    for node in definition["nodes"]:  # indices are already a topological order
        node_id = node["id"]
        incoming = [edge for edge in definition["edges"] if edge["to"] == node_id]
        taken = not incoming or any(
            edge["from"] in ran
            and ("when" not in edge or edge["when"] == str(kinds[edge["from"]]).lower())
            for edge in incoming
        )
        if taken:
            ran.add(node_id)
    return ran


@st.composite
def cyclic_definitions(draw):
    definition, _ = draw(acyclic_definitions(with_conditions=False))
    ids = [node["id"] for node in definition["nodes"]]
    cycle = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=len(ids), unique=True))
    cycle = draw(st.permutations(cycle))
    for source, target in zip(cycle, [*cycle[1:], cycle[0]], strict=True):
        edge = {"from": source, "to": target}
        if edge not in definition["edges"]:
            definition["edges"].append(edge)
    return definition


@given(acyclic_definitions(with_conditions=True))
def test_every_acyclic_graph_is_valid_and_plans_each_node_once(case):
    definition, kinds = case
    validate_definition(definition)
    graph = build_graph(definition)
    statuses, outputs = {}, {}
    for node_id in graph.order:
        decision = decide(graph, node_id, statuses, outputs)
        assert decision is not Decision.WAIT  # all parents came earlier in the order
        if decision is Decision.RUN:
            statuses[node_id] = NodeRunStatus.SUCCEEDED
            outputs[node_id] = kinds[node_id] if kinds[node_id] is not None else {}
        else:
            statuses[node_id] = NodeRunStatus.SKIPPED
    ran = {node_id for node_id, status in statuses.items() if status == NodeRunStatus.SUCCEEDED}
    assert ran == expected_runs(definition, kinds)


@given(cyclic_definitions())
def test_every_graph_with_a_cycle_is_rejected(definition):
    with pytest.raises(ValidationError) as info:
        validate_definition(definition)
    messages = [
        m for path, ms in info.value.message_dict.items() for m in ms if path.startswith("edges.")
    ]
    assert any("closes a cycle" in message for message in messages)


@pytest.mark.django_db(transaction=True)  # runs end (and give their slots back) on commit
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=acyclic_definitions(with_conditions=True))
def test_runner_runs_each_reachable_node_exactly_once_after_its_parents(case, workspace, user):
    definition, kinds = case
    workflow = workflow_create(workspace=workspace, user=user, name="prop", definition=definition)
    execution = execution_start(workflow=workflow, user=user)

    execution = execution_run(execution_id=execution.id)

    assert execution.status == ExecutionStatus.SUCCEEDED
    runs = {run.node_id: run for run in execution.node_runs.all()}
    ran = {node_id for node_id, run in runs.items() if run.status == NodeRunStatus.SUCCEEDED}
    assert ran == expected_runs(definition, kinds)
    assert all(runs[node_id].attempts == 1 for node_id in ran)
    assert all(
        run.status == NodeRunStatus.SKIPPED for node_id, run in runs.items() if node_id not in ran
    )
    for edge in definition["edges"]:
        parent, child = runs[edge["from"]], runs[edge["to"]]
        if child.node_id in ran:
            assert parent.finished_at <= child.started_at
    succeeded_logs = execution.logs.filter(message__endswith="succeeded.").exclude(node_id="")
    assert sorted(log.node_id for log in succeeded_logs) == sorted(ran)
