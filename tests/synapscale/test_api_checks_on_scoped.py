"""The reusable endpoint checks, run against the minimal scoped endpoint of the base tests."""

import pytest

from synapscale.models import Membership
from tests.api_checks import WorkspaceCreateChecks, WorkspaceEndpointChecks
from tests.factories import UserFactory

pytestmark = pytest.mark.urls("tests.synapscale.scoped_views")


class TestScopedEndpoint(WorkspaceEndpointChecks, WorkspaceCreateChecks):
    list_url = "/api/v1/scoped/"
    update_payload = {"role": "admin"}
    created_model = Membership

    def make_object(self, workspace, user):
        return Membership.objects.create(workspace=workspace, user=UserFactory(), role="member")

    def create_payload(self, workspace):
        return {"user": UserFactory().id, "role": "viewer"}

    def list_ids(self, body):
        # The owner's own membership is listed too; keep the made objects only.
        return [str(row["id"]) for row in body["results"] if row["role"] == "member"]
