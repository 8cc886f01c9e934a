"""Where an audited change comes from: the request being served, or a named task or command.

Services are called with the acting user but not with the request; the audit helper finds
the request (client address, user agent, token) here. Outside a request, the actor is the
label set by `audit_actor` (management commands) or by the Celery signals below
(``task:<name>``), else ``system``.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from celery.signals import task_postrun, task_prerun

SYSTEM_ACTOR = "system"

_request_var: contextvars.ContextVar = contextvars.ContextVar("audit_request", default=None)
_actor_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_actor", default=None)


class AuditContextMiddleware:
    """Make the request being served known to the audit helper."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_var.set(request)
        try:
            return self.get_response(request)
        finally:
            _request_var.reset(token)


def current_request():
    """Return the Django request being served in this context, or None."""
    return _request_var.get()


def current_actor_label() -> str:
    """Return the label of what acts when no user does (``system`` by default)."""
    return _actor_var.get() or SYSTEM_ACTOR


@contextlib.contextmanager
def audit_actor(label: str) -> Iterator[None]:
    """Attribute the audit events written inside the block to `label` (``command:seed_demo``)."""
    token = _actor_var.set(label)
    try:
        yield
    finally:
        _actor_var.reset(token)


@task_prerun.connect(weak=False)
def _label_task(task=None, **kwargs) -> None:
    _actor_var.set(f"task:{task.name}" if task is not None else None)


@task_postrun.connect(weak=False)
def _unlabel_task(**kwargs) -> None:
    _actor_var.set(None)
