"""A port through which lower apps record product events that the analytics app stores.

``executions`` and ``templates_app`` must not import ``analytics`` (it sits above them), yet
an execution finishing or a template being installed is an analytics event. They call
``record()``; analytics installs the recorder in its ``AppConfig.ready()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("synapscale.product_events")

Recorder = Callable[..., Any]
_recorder: Recorder | None = None


def set_recorder(recorder: Recorder | None) -> None:
    """Install the function that stores product events (None removes it)."""
    global _recorder
    _recorder = recorder


def record(
    *,
    workspace_id: int,
    event_type: str,
    distinct_id: str,
    properties: dict | None = None,
    user_id: int | None = None,
) -> None:
    """Record a product event; a failure is logged, never raised into the caller's flow."""
    if _recorder is None:
        logger.info("product_event_dropped_no_recorder event_type=%s", event_type)
        return
    try:
        _recorder(
            workspace_id=workspace_id,
            event_type=event_type,
            distinct_id=distinct_id,
            properties=properties or {},
            user_id=user_id,
        )
    except Exception:
        # Analytics must never break the business flow that produced the event.
        logger.exception("product_event_failed event_type=%s", event_type)
