"""Models of the executions app."""

from executions.models.credentials import Credential
from executions.models.executions import Execution, ExecutionLog, NodeRun
from executions.models.triggers import WorkflowTrigger
from executions.models.workflows import Workflow, WorkflowVersion

__all__ = [
    "Credential",
    "Execution",
    "ExecutionLog",
    "NodeRun",
    "Workflow",
    "WorkflowTrigger",
    "WorkflowVersion",
]
