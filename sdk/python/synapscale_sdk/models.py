"""Typed models of the main resources; everything else stays a plain dict.

Each model keeps the whole answer in `raw`, so a field the API adds later is never lost,
and reads only the fields it names (absent ones are None).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Self

FINISHED_STATUSES = frozenset({"succeeded", "failed", "cancelled", "timed_out"})


@dataclass(frozen=True)
class Model:
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build the model from an API answer (unknown keys stay in `raw`)."""
        names = {f.name for f in dataclasses.fields(cls)} - {"raw"}
        return cls(raw=data, **{name: data.get(name) for name in names})


@dataclass(frozen=True)
class Workflow(Model):
    id: int | None = None
    name: str | None = None
    description: str | None = None
    version: int | None = None
    is_active: bool | None = None
    node_count: int | None = None
    definition: dict[str, Any] | None = None  # only on a single workflow, not in lists
    created_at: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True)
class Execution(Model):
    """An execution: the accepted answer of `run`, a list item, or the full detail."""

    id: int | None = None
    workflow: int | None = None
    status: str | None = None
    trigger: str | None = None
    priority: int | None = None
    error: Any = None
    input: Any = None
    output: Any = None  # detail and run-and-wait results only
    idempotency_key: str | None = None
    created_at: str | None = None
    finished_at: str | None = None
    duration_ms: int | None = None

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


@dataclass(frozen=True)
class ExecutionStatus(Model):
    """Live progress (`source` is `redis`) or the stored state (`database`)."""

    id: int | None = None
    workflow_id: int | None = None
    status: str | None = None
    current_node: str | None = None
    nodes: dict[str, str] | None = None
    completed: int | None = None
    total: int | None = None
    source: str | None = None

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


@dataclass(frozen=True)
class Template(Model):
    id: int | None = None
    slug: str | None = None
    name: str | None = None
    short_description: str | None = None
    category: str | None = None
    tags: list[str] | None = None
    status: str | None = None
    version: str | None = None
    price: str | None = None
    rating_avg: float | None = None
    install_count: int | None = None
    definition: dict[str, Any] | None = None


@dataclass(frozen=True)
class Export(Model):
    id: int | None = None
    source: str | None = None
    format: str | None = None
    status: str | None = None
    row_count: int | None = None
    size_bytes: int | None = None
    error: Any = None
    expires_at: str | None = None

    @property
    def is_finished(self) -> bool:
        return self.status in {"succeeded", "failed", "expired"}


@dataclass(frozen=True)
class EventBatchResult:
    """The sum of the answers of every batch `events.ingest` sent."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    batches: int = 0
