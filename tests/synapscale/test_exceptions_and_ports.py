"""The error shape for business-rule errors and nested input, and the product-events port."""

import pytest
from django.urls import path
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from synapscale import product_events
from synapscale.api.exceptions import ApplicationError, flatten_errors
from synapscale.api.params import wants_refresh
from synapscale.api.permissions import IsStaff


class NodeSerializer(serializers.Serializer):
    id = serializers.CharField()
    timeout = serializers.IntegerField(min_value=1)


class GraphSerializer(serializers.Serializer):
    nodes = NodeSerializer(many=True)


class GraphView(APIView):
    permission_classes = ()
    authentication_classes = ()

    def post(self, request, *args, **kwargs):
        GraphSerializer(data=request.data).is_valid(raise_exception=True)
        if request.data.get("conflict"):
            raise ApplicationError(
                "The workflow is running.",
                status=409,
                errors={"status": ["running"]},
                type_="execution-running",
            )
        return Response({"ok": True})


class StaffView(APIView):
    permission_classes = (IsStaff,)

    def get(self, request, *args, **kwargs):
        return Response({"refresh": wants_refresh(request)})


urlpatterns = [path("graph/", GraphView.as_view()), path("staff/", StaffView.as_view())]
pytestmark = pytest.mark.urls(__name__)


def test_nested_errors_are_flattened_to_dotted_paths(client):
    response = client.post(
        "/graph/",
        {"nodes": [{"id": "a", "timeout": 5}, {"id": "", "timeout": 0}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"nodes.1.id", "nodes.1.timeout"}


def test_application_error_keeps_status_type_and_errors(client):
    response = client.post(
        "/graph/", {"nodes": [], "conflict": True}, content_type="application/json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["type"].endswith("execution-running")
    assert body["detail"] == "The workflow is running."
    assert body["errors"] == {"status": ["running"]}


def test_flatten_errors_handles_top_level_lists_and_scalars():
    assert flatten_errors(["one", "two"]) == {"non_field_errors": ["one", "two"]}
    assert flatten_errors("plain") == {"non_field_errors": ["plain"]}
    assert flatten_errors({"__all__": ["x"], "a": {"non_field_errors": ["y"]}}) == {
        "non_field_errors": ["x"],
        "a": ["y"],
    }


@pytest.mark.django_db
def test_staff_only_view(client, user, staff_user):
    client.force_login(user)
    assert client.get("/staff/").status_code == 403
    client.force_login(staff_user)
    assert client.get("/staff/?refresh=TRUE").json() == {"refresh": True}


def test_refresh_only_for_true_values():
    factory = APIRequestFactory()
    assert not wants_refresh(Request(factory.get("/?refresh=0")))
    assert not wants_refresh(Request(factory.get("/")))


@pytest.fixture
def recorder_slot():
    saved = product_events._recorder
    yield
    product_events.set_recorder(saved)


def test_product_events_reach_the_installed_recorder(recorder_slot):
    received = []
    product_events.set_recorder(lambda **event: received.append(event))
    product_events.record(workspace_id=1, event_type="workflow_executed", distinct_id="7")
    assert received == [
        {
            "workspace_id": 1,
            "event_type": "workflow_executed",
            "distinct_id": "7",
            "properties": {},
            "user_id": None,
        }
    ]


def test_without_a_recorder_events_are_dropped_and_logged(recorder_slot, caplog):
    product_events.set_recorder(None)
    caplog.set_level("INFO", logger="synapscale.product_events")
    product_events.record(workspace_id=1, event_type="x", distinct_id="1")
    assert "product_event_dropped_no_recorder" in caplog.text


def test_a_failing_recorder_never_breaks_the_caller(recorder_slot, caplog):
    def broken(**event):
        raise RuntimeError("analytics is down")

    product_events.set_recorder(broken)
    product_events.record(workspace_id=1, event_type="x", distinct_id="1")
    assert "product_event_failed" in caplog.text


class RangeView(APIView):
    permission_classes = ()
    authentication_classes = ()

    def get(self, request, kind):
        import datetime

        from django.db import connection

        if kind == "overflow":
            datetime.date(9999, 12, 31) + datetime.timedelta(days=1)
        if kind == "recursion":

            def down(n):
                return down(n + 1)

            down(0)
        if kind == "data":
            with connection.cursor() as cursor:
                cursor.execute("SELECT %s::smallint", [10**9])
        return Response({})


urlpatterns.append(path("range/<str:kind>/", RangeView.as_view()))


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["overflow", "recursion", "data"])
def test_unvalidated_out_of_range_input_is_a_400_problem_and_logged(client, kind, caplog):
    response = client.get(f"/range/{kind}/")
    assert response.status_code == 400
    assert response.json()["type"].endswith("invalid-input")
    assert "input_out_of_range_unvalidated" in caplog.text
