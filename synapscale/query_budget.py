"""Query budgets: expensive reads run under ``SET LOCAL statement_timeout``.

PostgreSQL itself cancels a statement over budget, so no backend keeps working after the
request that wanted the answer has gone. Over budget answers 503 ``query-timeout`` with
Retry-After: the database could not answer in time now; a narrower date range, or the same
query later (once cached or on a quieter database), can. Budgets per kind are in
settings.QUERY_BUDGETS_MS.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction

from synapscale.api.exceptions import ApplicationError
from synapscale.quotas import quota_slot

QUERY_CANCELED = "57014"


class QueryTimeout(ApplicationError):
    status_code = 503
    default_code = "query_timeout"

    def __init__(self, *, kind: str, budget_ms: int):
        super().__init__(
            f"The {kind} query did not finish within its budget of {budget_ms} ms; narrow it "
            "(a shorter date range, fewer steps) or try again later.",
            status=503,
            type_="query_timeout",
        )
        self.wait = settings.QUERY_TIMEOUT_RETRY_AFTER_SECONDS
        self.extra = {"budget_ms": budget_ms}


def is_query_canceled(exc: BaseException) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == QUERY_CANCELED


@contextmanager
def query_budget(
    kind: str,
    *,
    workspace_id: int | None = None,
    timeout_ms: int | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> Iterator[None]:
    """Run the block's statements under the budget of ``kind``, in one transaction.

    ``using`` is the database the block reads (the replica for reads that may lag).

    With ``workspace_id`` the block also holds one of the workspace's
    ``analysis_queries_running`` places (429 when all are taken). A canceled statement
    raises QueryTimeout.
    """
    budget_ms = int(timeout_ms or settings.QUERY_BUDGETS_MS[kind])
    place = (
        quota_slot(
            workspace_id=workspace_id,
            name="analysis_queries_running",
            lease_seconds=budget_ms / 1000 + 5,
        )
        if workspace_id is not None
        else nullcontext()
    )
    connection = connections[using]
    nested = connection.in_atomic_block
    with place:
        try:
            with transaction.atomic(using=using):
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT current_setting('statement_timeout'), "
                        "set_config('statement_timeout', %s, true)",
                        [f"{budget_ms}ms"],
                    )
                    previous = cursor.fetchone()[0]
                yield
                if nested:
                    # SET LOCAL lasts to the end of the outer transaction: give it back.
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "SELECT set_config('statement_timeout', %s, true)", [previous]
                        )
        except OperationalError as exc:
            if is_query_canceled(exc):
                raise QueryTimeout(kind=kind, budget_ms=budget_ms) from exc
            raise
