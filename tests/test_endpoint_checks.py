"""Every workspace-scoped endpoint gets the shared checks (tests/api_checks.py).

Anonymous callers get 401, lists show only the request's workspace and are paginated,
another workspace's object is 404 for read, update and delete, a viewer reads but cannot
write, and creation lands in the request's workspace (X-Workspace included).
"""

import pytest

from analytics.models import AlertRule, Dashboard, Report
from analytics.services.alerts import alert_rule_create
from analytics.services.dashboards import dashboard_create
from analytics.services.reports import report_create
from executions.models import Workflow
from templates_app.models import Collection, Template
from templates_app.services.categories import categories_ensure
from templates_app.services.collections import collection_create
from tests.api_checks import WorkspaceCreateChecks, WorkspaceEndpointChecks
from tests.executions.factories import ExecutionFactory, WorkflowFactory, three_node_definition
from tests.templates_app.factories import TemplateFactory, set_definition


@pytest.fixture(autouse=True)
def _categories(db):
    # Seeded by a data migration, which a transactional test elsewhere may have flushed.
    categories_ensure()


REPORT_QUERY = {
    "source": "events",
    "metric": "count",
    "group_by": "event_type",
    "date_range": "last_7_days",
}


class TestWorkflows(WorkspaceEndpointChecks, WorkspaceCreateChecks):
    list_url = "/api/v1/workflows/"
    update_payload = {"name": "Renamed"}
    created_model = Workflow

    def make_object(self, workspace, user):
        return WorkflowFactory(workspace=workspace, created_by=user)

    def create_payload(self, workspace):
        return {"name": "New flow", "definition": three_node_definition()}


class TestExecutions(WorkspaceEndpointChecks):
    list_url = "/api/v1/executions/"

    def make_object(self, workspace, user):
        return ExecutionFactory(workflow=WorkflowFactory(workspace=workspace))


class TestTemplates(WorkspaceEndpointChecks, WorkspaceCreateChecks):
    list_url = "/api/v1/templates/"
    update_payload = {"name": "Renamed template"}
    created_model = Template

    def make_object(self, workspace, user):
        return TemplateFactory(author=user, workspace=workspace)

    def create_payload(self, workspace):
        return {"name": "Fresh template", "category": "automation", "definition": set_definition()}


class TestCollections(WorkspaceEndpointChecks, WorkspaceCreateChecks):
    list_url = "/api/v1/collections/"
    update_payload = {"name": "Renamed collection"}
    created_model = Collection

    def make_object(self, workspace, user):
        return collection_create(workspace=workspace, user=user, name="Favourites")

    def create_payload(self, workspace):
        return {"name": "Picks"}


class TestReports(WorkspaceEndpointChecks, WorkspaceCreateChecks):
    list_url = "/api/v1/analytics/reports/"
    update_payload = {"name": "Renamed report"}
    created_model = Report

    def make_object(self, workspace, user):
        return report_create(workspace=workspace, owner=user, name="Types", query=REPORT_QUERY)

    def create_payload(self, workspace):
        return {"name": "Weekly types", "query": REPORT_QUERY}


class TestDashboards(WorkspaceEndpointChecks, WorkspaceCreateChecks):
    list_url = "/api/v1/analytics/dashboards/"
    update_payload = {"name": "Renamed board"}
    created_model = Dashboard

    def make_object(self, workspace, user):
        return dashboard_create(workspace=workspace, owner=user, name="Board")

    def create_payload(self, workspace):
        return {"name": "Ops board"}


class TestAlertRules(WorkspaceEndpointChecks, WorkspaceCreateChecks):
    list_url = "/api/v1/analytics/alerts/"
    update_payload = {"name": "Renamed rule"}
    created_model = AlertRule

    def make_object(self, workspace, user):
        return alert_rule_create(
            workspace=workspace,
            owner=user,
            name="Errors",
            metric="event_count",
            event_type="error",
            condition="gt",
            threshold=1,
        )

    def create_payload(self, workspace):
        return {
            "name": "Errors spike",
            "metric": "event_count",
            "event_type": "error",
            "condition": "gt",
            "threshold": 10,
            "window_minutes": 5,
            "channels": {"emails": ["ops@example.com"]},
        }
