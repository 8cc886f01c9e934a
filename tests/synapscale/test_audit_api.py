"""GET /api/v1/audit/: owners and admins only, filters, cursor pages; the export; the admin."""

from __future__ import annotations

import csv
import datetime as dt
import io

import orjson
import pytest
from django.test import Client
from django.utils import timezone

from analytics.services.exports import export_build
from synapscale.choices import Role
from synapscale.models import AuditEvent
from synapscale.services.audit import record_audit_event
from tests.conftest import client_for

URL = "/api/v1/audit/"
EXPORTS = "/api/v1/analytics/exports/"
pytestmark = pytest.mark.django_db


def _event(workspace, action, *, actor="system", target_id="1", **fields):
    return record_audit_event(
        action=action,
        workspace=workspace,
        actor=actor,
        target_type="executions.workflow",
        target_id=target_id,
        **fields,
    )


@pytest.fixture
def trail(user, workspace, other_workspace):
    return [
        _event(workspace, "workflow.created", actor=user, target_id="7"),
        _event(workspace, "workflow.updated", actor=user, target_id="7"),
        _event(workspace, "report.created", target_id="9"),
        _event(other_workspace, "workflow.created"),
    ]


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_owner_lists_the_workspace_events_newest_first(api_client, workspace, trail):
    rows = api_client.get(URL).json()["results"]
    own = [event.pk for event in trail[:3]]
    listed = [row["id"] for row in rows if row["id"] in [*own, trail[3].pk]]
    assert listed == own[::-1]  # the other workspace's event is not there
    first = next(row for row in rows if row["id"] == trail[1].pk)
    assert (first["action"], first["actor_label"], first["target_id"]) == (
        "workflow.updated",
        "alice",
        "7",
    )


def test_a_stored_float_past_64_bit_integers_is_listed(api_client, workspace):
    # Found by schemathesis: jsonb gives 1e300 back as a 301-digit integer, which orjson
    # refused, so the whole list was a 500.
    event = _event(workspace, "alert_rule.updated", changes={"channels": [1e300, 7]})
    rows = api_client.get(URL).json()["results"]
    listed = next(row for row in rows if row["id"] == event.pk)
    assert listed["changes"]["channels"] == [1e300, 7]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=workflow.created", [0]),
        ("action=workflow.created,report.created", [2, 0]),
        ("action=workflow.created&action=report.created", [2, 0]),
        ("entity=workflow", [1, 0]),
        ("actor=alice", [1, 0]),
        ("target_type=executions.workflow&target_id=9", [2]),
    ],
)
def test_filters(api_client, user, trail, query, expected):
    listed = [pk for pk in _ids(api_client.get(f"{URL}?{query}")) if pk in {e.pk for e in trail}]
    assert listed == [trail[index].pk for index in expected]


def test_actor_user_filter(api_client, user, trail):
    listed = set(_ids(api_client.get(f"{URL}?actor_user={user.pk}")))
    assert {trail[0].pk, trail[1].pk} <= listed and trail[2].pk not in listed


def test_date_range(api_client, workspace):
    old = AuditEvent.objects.create(
        workspace=workspace,
        action="workflow.created",
        actor_label="system",
        created_at=timezone.now() - dt.timedelta(days=10),
    )
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert old.pk not in _ids(api_client.get(URL, {"created_after": since}))
    assert _ids(api_client.get(URL, {"created_before": since})) == [old.pk]


@pytest.mark.parametrize("query", ["nope=1", "created_after=yesterday", "actor_user=abc"])
def test_bad_query_is_a_400_problem(api_client, query):
    response = api_client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


def test_cursor_pages(api_client, workspace, trail):
    first = api_client.get(URL, {"page_size": 1, "action": "workflow.created,workflow.updated"})
    body = first.json()
    assert [row["id"] for row in body["results"]] == [trail[1].pk]
    second = api_client.get(body["next"])
    assert [row["id"] for row in second.json()["results"]] == [trail[0].pk]


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_get_403(other_user, workspace, make_member, trail, role):
    make_member(workspace, other_user, role)
    response = client_for(other_user).get(URL, HTTP_X_WORKSPACE=workspace.slug)
    assert response.status_code == 403


def test_workspace_admin_reads_it(other_user, workspace, make_member, trail):
    make_member(workspace, other_user, Role.ADMIN)
    response = client_for(other_user).get(URL, HTTP_X_WORKSPACE=workspace.slug)
    assert trail[0].pk in _ids(response)


def test_other_workspace_event_is_a_404_and_anonymous_a_401(api_client, anon_client, trail):
    assert api_client.get(f"{URL}{trail[3].pk}/").status_code == 404
    assert api_client.get(f"{URL}{trail[0].pk}/").json()["action"] == "workflow.created"
    assert anon_client.get(URL).status_code == 401


def test_writes_are_not_routes(api_client, trail):
    assert api_client.delete(f"{URL}{trail[0].pk}/").status_code == 405
    assert api_client.post(URL, {}, format="json").status_code == 405


def _export(client, fmt, headers=None, **filters):
    payload = {"source": "audit", "format": fmt, "filters": filters}
    return client.post(EXPORTS, payload, format="json", **(headers or {}))


def _download(client, export_id):
    response = client.get(f"{EXPORTS}{export_id}/download/")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def test_owner_exports_the_audit_log_as_csv_and_jsonl(api_client, workspace, trail):
    response = _export(api_client, "csv", entity="workflow")
    assert response.status_code == 202, response.content
    export = export_build(export_id=response.json()["id"])
    rows = list(csv.DictReader(io.StringIO(_download(api_client, export.pk))))
    exported = [row for row in rows if row["target_id"] == "7"]
    assert [row["action"] for row in exported] == ["workflow.created", "workflow.updated"]
    assert all(row["action"].startswith("workflow.") for row in rows)

    export = export_build(export_id=_export(api_client, "jsonl").json()["id"])
    lines = [orjson.loads(line) for line in _download(api_client, export.pk).splitlines()]
    assert {trail[0].pk, trail[2].pk} <= {line["id"] for line in lines}
    assert trail[3].pk not in {line["id"] for line in lines}
    # Requesting and downloading were audited too.
    assert AuditEvent.objects.filter(action="export.downloaded").count() == 2


def test_members_cannot_export_or_see_audit_exports(
    api_client, other_user, workspace, make_member, trail
):
    make_member(workspace, other_user, Role.MEMBER)
    member = client_for(other_user)
    headers = {"HTTP_X_WORKSPACE": workspace.slug}
    assert _export(member, "csv", headers).status_code == 403
    owned = _export(api_client, "csv").json()["id"]
    listed = [row["id"] for row in member.get(EXPORTS, **headers).json()["results"]]
    assert owned not in listed


def test_unknown_audit_export_filter_is_a_400(api_client):
    response = _export(api_client, "csv", who="me")
    assert response.status_code == 400
    assert "filters.who" in response.json()["errors"]


@pytest.fixture
def staff_client(staff_user):
    staff_user.is_superuser = True
    staff_user.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(staff_user)
    return client


def test_admin_lists_events_read_only(staff_client, trail):
    listing = staff_client.get("/admin/synapscale/auditevent/")
    assert listing.status_code == 200
    assert b"workflow.updated" in listing.content
    assert staff_client.get("/admin/synapscale/auditevent/add/").status_code == 403
    delete = staff_client.post(
        f"/admin/synapscale/auditevent/{trail[0].pk}/delete/", {"post": "yes"}
    )
    assert delete.status_code == 403
    change = staff_client.post(
        f"/admin/synapscale/auditevent/{trail[0].pk}/change/", {"action": "x.y"}
    )
    assert change.status_code == 403
    assert AuditEvent.objects.get(pk=trail[0].pk).action == "workflow.created"


def test_a_page_costs_the_same_whatever_its_size(
    api_client, workspace, django_assert_max_num_queries
):
    for index in range(30):
        _event(workspace, "workflow.updated", target_id=str(index))
    api_client.get(URL)  # a token's first use records last_used_at (at most once a minute)
    # The token with its user, the workspace with the membership, the page: none per event.
    with django_assert_max_num_queries(3):
        response = api_client.get(URL, {"page_size": 30})
    assert len(response.json()["results"]) == 30


def test_a_token_reads_the_audit_log_only_with_the_admin_scope(user, workspace):
    from tests.conftest import client_for

    _event(workspace, "workflow.updated", target_id="1")
    refused = client_for(user, scopes=["read", "write"]).get(URL)
    assert refused.status_code == 403, refused.content
    assert "'admin' scope" in refused.json()["detail"]
    assert client_for(user, scopes=["admin"]).get(URL).status_code == 200
