"""Python client of the SynapScale API: `SynapScale(base_url, token=..., workspace=...)`."""

__version__ = "0.1.0"

from synapscale_sdk._transport import AUTH_SCHEME
from synapscale_sdk.client import SynapScale
from synapscale_sdk.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ProblemError,
    RateLimited,
    ServiceUnavailable,
    SynapScaleError,
    TransportError,
    Unauthenticated,
    ValidationFailed,
    WaitTimeout,
)
from synapscale_sdk.models import (
    EventBatchResult,
    Execution,
    ExecutionStatus,
    Export,
    Template,
    Workflow,
)
from synapscale_sdk.operations import EXCLUDED, OPERATIONS
from synapscale_sdk.pagination import Paginated

__all__ = [
    "AUTH_SCHEME",
    "EXCLUDED",
    "OPERATIONS",
    "Conflict",
    "EventBatchResult",
    "Execution",
    "ExecutionStatus",
    "Export",
    "NotFound",
    "Paginated",
    "PermissionDenied",
    "ProblemError",
    "RateLimited",
    "ServiceUnavailable",
    "SynapScale",
    "SynapScaleError",
    "Template",
    "TransportError",
    "Unauthenticated",
    "ValidationFailed",
    "WaitTimeout",
    "Workflow",
]
