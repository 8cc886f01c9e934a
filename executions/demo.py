"""Demo workflows (and a few runs of the ones that need no network) for `manage.py seed_demo`."""

from __future__ import annotations

from executions.choices import Trigger
from executions.models import Workflow
from executions.services.executions import execution_start
from executions.services.running import execution_run
from executions.services.workflows import workflow_create

DEMO_WORKFLOWS = [
    {
        "name": "Welcome message",
        "description": "Build a greeting from the input and pick the display name.",
        "definition": {
            "nodes": [
                {
                    "id": "greet",
                    "type": "set",
                    "params": {
                        "fields": {"name": {"expr": "input.name || 'friend'"}, "channel": "email"}
                    },
                },
                {
                    "id": "subject",
                    "type": "transform",
                    "params": {"expr": "join(' ', ['Hi', nodes.greet.name])"},
                },
            ],
            "edges": [{"from": "greet", "to": "subject"}],
        },
        "runs": [{"name": "Ada"}, {"name": "Grace"}, {}],
    },
    {
        "name": "Order triage",
        "description": "Route big orders to the VIP desk, the rest to the regular queue.",
        "definition": {
            "nodes": [
                {
                    "id": "order",
                    "type": "set",
                    "params": {"fields": {"total": {"expr": "input.total"}}},
                },
                {
                    "id": "is_big",
                    "type": "condition",
                    "params": {"expr": "nodes.order.total > `100`"},
                },
                {"id": "vip", "type": "set", "params": {"fields": {"desk": "vip"}}},
                {"id": "regular", "type": "set", "params": {"fields": {"desk": "regular"}}},
                {
                    "id": "route",
                    "type": "transform",
                    "params": {"expr": "nodes.vip.desk || nodes.regular.desk"},
                },
            ],
            "edges": [
                {"from": "order", "to": "is_big"},
                {"from": "is_big", "to": "vip", "when": "true"},
                {"from": "is_big", "to": "regular", "when": "false"},
                {"from": "vip", "to": "route"},
                {"from": "regular", "to": "route"},
            ],
        },
        "runs": [{"total": 250}, {"total": 20}, {"total": 101}],
    },
    {
        "name": "Refuse empty carts",
        "description": "An explicit error path: fail when the cart has no items.",
        "definition": {
            "nodes": [
                {
                    "id": "empty",
                    "type": "condition",
                    "params": {"expr": "length(input.items || `[]`) == `0`"},
                },
                {"id": "reject", "type": "fail", "params": {"message": "The cart is empty."}},
                {"id": "accept", "type": "transform", "params": {"expr": "length(input.items)"}},
            ],
            "edges": [
                {"from": "empty", "to": "reject", "when": "true"},
                {"from": "empty", "to": "accept", "when": "false"},
            ],
        },
        "runs": [{"items": [1, 2]}, {"items": []}],
    },
    {
        "name": "Notify CRM (webhook)",
        "description": "Wait a moment, then POST the lead to a webhook with retries.",
        "definition": {
            "nodes": [
                {"id": "pause", "type": "delay", "params": {"seconds": 2}},
                {
                    "id": "post",
                    "type": "http_request",
                    "params": {
                        "method": "POST",
                        "url": "https://crm.example.com/hooks/leads",
                        "json_expr": "input",
                        "timeout_seconds": 5,
                    },
                    "retry": {"max_attempts": 3, "backoff_seconds": 1},
                    "timeout_seconds": 30,
                },
            ],
            "edges": [{"from": "pause", "to": "post"}],
        },
        "runs": [],
    },
]


def seed_demo(*, workspace, user, staff_user, stdout) -> None:
    """Create the demo workflows once, and run the offline ones a few times."""
    for spec in DEMO_WORKFLOWS:
        workflow = Workflow.objects.filter(workspace=workspace, name=spec["name"]).first()
        if workflow is None:
            workflow = workflow_create(
                workspace=workspace,
                user=user,
                name=spec["name"],
                description=spec["description"],
                definition=spec["definition"],
            )
            stdout.write(f"executions: created workflow {workflow.name!r}\n")
        if workflow.executions.exists():
            continue
        for run_input in spec["runs"]:
            execution = execution_start(
                workflow=workflow, user=user, input=run_input, trigger=Trigger.MANUAL
            )
            execution_run(execution_id=execution.id)
