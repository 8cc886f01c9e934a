"""Every analysis keeps a near-linear plan right after a bulk load, whatever the statistics say.

The case that went quadratic: a table holding a large other workspace (analyzed), then a
fresh workspace's events loaded in bulk with no ANALYZE since. The planner then believes
the fresh workspace has almost no events, and a funnel joined people x events in a nested
loop for more than 9 minutes. Each analysis here runs on exactly that state: its plan has no
Nested Loop, and it answers within the analysis statement budget.
"""

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from analytics.selectors.analysis import analysis_compute

pytestmark = pytest.mark.django_db

RANGE = {"date_from": "2026-01-01", "date_to": "2026-01-30"}
TYPES = ["signup", "workflow_created", "workflow_executed", "experiment_viewed", "purchase"]
GENERATE = """
INSERT INTO analytics_event (workspace_id, event_id, event_type, distinct_id, session_id,
    properties, user_agent, page_url, referrer, created_at, received_at)
SELECT %(workspace)s, gen_random_uuid(), (%(types)s::text[])[1 + n %% 5],
       'person-' || (n %% %(people)s), '',
       jsonb_build_object('variant', CASE WHEN n %% 2 = 0 THEN 'control' ELSE 'test' END,
                          'browser', CASE WHEN n %% 3 = 0 THEN 'chrome' ELSE 'safari' END),
       '', '', '', moment, moment
FROM (SELECT n, '2026-01-01'::timestamptz + (n %% 2500) * interval '17 minutes' AS moment
      FROM generate_series(1, %(rows)s) AS n) AS generated
"""

QUERIES = {
    "trends": {"events": ["signup", "purchase"], "interval": "day", **RANGE},
    "unique trends": {
        "events": ["signup"],
        "metric": "unique_people",
        "interval": "week",
        "breakdown": "properties.browser",
        "compare": True,
        **RANGE,
    },
    "funnels": {
        "steps": [
            {"event_type": "signup"},
            {"event_type": "workflow_created"},
            {"event_type": "workflow_executed"},
        ],
        "window_seconds": 7 * 86400,
        **RANGE,
    },
    "funnels with a breakdown and a step filter": {
        "steps": [
            {"event_type": "signup"},
            {"event_type": "workflow_created", "filters": {"browser": "chrome"}},
        ],
        "window_seconds": 3600,
        "breakdown": "properties.variant",
        **RANGE,
    },
    "retention": {
        "start_event": "signup",
        "return_event": "purchase",
        "period": "week",
        "periods": 4,
        **RANGE,
    },
    "ab_test": {
        "exposure_event": "experiment_viewed",
        "variant_property": "variant",
        "goal_event": "purchase",
        "window_seconds": 7 * 86400,
        **RANGE,
    },
}
KINDS = {"unique trends": "trends", "funnels with a breakdown and a step filter": "funnels"}


def _load(workspace_id: int, *, rows: int, people: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            GENERATE, {"workspace": workspace_id, "types": TYPES, "people": people, "rows": rows}
        )


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


@pytest.fixture(scope="module")
def fresh_workspace_after_bulk_load(django_db_setup, django_db_blocker):
    """A large analyzed workspace, then a fresh one's 20,000 events (4,000 people), unanalyzed."""
    from synapscale.models import Workspace

    with django_db_blocker.unblock():
        big = Workspace.objects.create(name="big", slug="plans-big")
        fresh = Workspace.objects.create(name="fresh", slug="plans-fresh")
        _load(big.id, rows=100_000, people=20_000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE analytics_event")
        _load(fresh.id, rows=20_000, people=4_000)
        yield fresh
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM analytics_event WHERE workspace_id = ANY(%s)", [[big.id, fresh.id]]
            )
        Workspace.objects.filter(id__in=[big.id, fresh.id]).delete()


@pytest.mark.parametrize("label", list(QUERIES))
def test_no_nested_loop_and_within_budget_right_after_a_bulk_load(
    label, fresh_workspace_after_bulk_load
):
    kind = KINDS.get(label, label)
    workspace_id = fresh_workspace_after_bulk_load.id
    with CaptureQueriesContext(connection) as captured:
        # Under the analysis statement budget (QUERY_BUDGETS_MS): over it, QueryTimeout.
        result = analysis_compute(kind=kind, data=QUERIES[label], workspace_id=workspace_id)
    assert result
    # Each statement is explained after the settings statement the code ran before it.
    explained, settings_sql = 0, None
    for query in captured.captured_queries:
        sql = query["sql"]
        if "set_config" in sql:
            settings_sql = sql
        elif "analytics_event" in sql:
            assert "Nested Loop" not in _node_types(settings_sql, sql), (label, sql)
            explained += 1
    assert explained


def _node_types(settings_sql: str | None, sql: str) -> set[str]:
    with transaction.atomic(), connection.cursor() as cursor:
        if settings_sql:
            cursor.execute(settings_sql)
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        [plan] = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)[0]
    return {node["Node Type"] for node in _plan_nodes(plan["Plan"])}
