"""Factories for workflows and executions."""

import factory
from django.utils import timezone

from executions.choices import ExecutionStatus, Trigger
from executions.models import Execution, NodeRun, Workflow
from executions.services.workflows import workflow_version_current
from tests.factories import WorkspaceFactory


def three_node_definition() -> dict:
    """A small linear workflow: set -> transform -> condition."""
    return {
        "nodes": [
            {"id": "greet", "type": "set", "params": {"fields": {"name": {"expr": "input.name"}}}},
            {"id": "shout", "type": "transform", "params": {"expr": "nodes.greet.name"}},
            {"id": "check", "type": "condition", "params": {"expr": "nodes.shout"}},
        ],
        "edges": [{"from": "greet", "to": "shout"}, {"from": "shout", "to": "check"}],
    }


class WorkflowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workflow

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Workflow {n}")
    definition = factory.LazyFunction(three_node_definition)


class ExecutionFactory(factory.django.DjangoModelFactory):
    """A finished execution, written directly (for list/filter/admin tests)."""

    class Meta:
        model = Execution

    workflow = factory.SubFactory(WorkflowFactory)
    workspace = factory.SelfAttribute("workflow.workspace")
    workflow_version = factory.SelfAttribute("workflow.version")
    definition_version = factory.LazyAttribute(
        lambda execution: workflow_version_current(workflow=execution.workflow)
    )
    status = ExecutionStatus.SUCCEEDED
    trigger = Trigger.MANUAL
    timeout_seconds = 60
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda execution: execution.started_at)
    duration_ms = 120


class NodeRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NodeRun

    execution = factory.SubFactory(ExecutionFactory)
    node_id = factory.Sequence(lambda n: f"node{n}")
    node_type = "set"
    status = "succeeded"
    attempts = 1


def make_credential(workspace, user=None, *, name="crm", type="bearer", secret=None, **fields):
    """A credential created through the service (so its secret is encrypted as in use)."""
    from executions.services.credentials import credential_create

    defaults = {"header": {"header_name": "X-Api-Key"}, "basic": {"username": "robot"}}
    defaults["api_key_query"] = {"param_name": "api_key"}
    return credential_create(
        workspace=workspace,
        user=user,
        name=name,
        type=type,
        secret=secret or f"{name}-secret-value-0123456789",
        **{**defaults.get(type, {}), **fields},
    )
