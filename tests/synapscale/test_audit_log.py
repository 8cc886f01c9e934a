"""The audit log's helper, its append-only guarantee (ORM and trigger) and retention pruning."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from synapscale.audit_context import audit_actor
from synapscale.models import ApiToken, AppendOnlyError, AuditEvent, Workspace
from synapscale.schedules import collect_schedule
from synapscale.services.audit import (
    audit_changes,
    audit_events_prune,
    audit_snapshot,
    record_audit_event,
)
from synapscale.services.tokens import token_create
from synapscale.tasks import audit_prune

pytestmark = pytest.mark.django_db


def _request(user=None, *, ip="203.0.113.77", agent="curl/8.5"):
    request = RequestFactory().post("/api/v1/x/", REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)
    if user is not None:
        request.user = user
    return request


def test_event_records_actor_workspace_target_and_request(user, workspace):
    request = _request(user)
    created = token_create(user=user, name="ci", scopes=["read"])
    request.auth = created.token
    event = record_audit_event(action="workspace.renamed", target=workspace, request=request)

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_user_id == user.pk and stored.actor_label == "alice"
    assert stored.workspace_id == workspace.pk
    assert (stored.target_type, stored.target_id) == ("synapscale.workspace", str(workspace.pk))
    assert stored.client_ip == "203.0.113.0"
    assert stored.user_agent == "curl/8.5"
    # The token by its id: never its secret (which is not even stored).
    assert stored.actor_token_id == str(created.token.pk)
    assert created.secret not in stored.actor_token_id


def test_ipv6_client_address_is_kept_to_its_48_network(user, workspace):
    event = record_audit_event(
        action="workspace.renamed", target=workspace, request=_request(user, ip="2001:db8:1:2::9")
    )
    assert event.client_ip == "2001:db8:1::"


def test_target_workspace_is_taken_from_the_target(user, workspace):
    membership = workspace.memberships.get(user=user)
    event = record_audit_event(action="workspace.member_added", target=membership, actor=user)
    assert event.workspace_id == workspace.pk
    assert event.target_type == "synapscale.membership"


def test_changes_hide_secret_fields_and_mask_personal_data(user, workspace):
    before = audit_snapshot(workspace)
    workspace.name = "Sales of bob@example.com"
    workspace.ingestion_key = "phc_newsecretvalue1234567890"
    workspace.save()

    event = record_audit_event(
        action="workspace.updated",
        target=workspace,
        actor=user,
        changes=audit_changes(before, workspace),
    )

    assert event.changes["ingestion_key"] == {"before": "<secret>", "after": "<secret>"}
    assert event.changes["name"]["after"] == "Sales of b***@example.com"
    assert set(event.changes) == {"name", "ingestion_key"}
    assert "phc_newsecret" not in str(AuditEvent.objects.values_list("changes", flat=True)[:])


def test_model_declared_secret_fields_are_never_stored(monkeypatch, user, workspace):
    monkeypatch.setattr(Workspace, "audit_secret_fields", ("name",), raising=False)
    event = record_audit_event(
        action="workspace.updated",
        target=workspace,
        actor=user,
        changes={"name": {"before": "a", "after": "b"}},
    )
    assert event.changes == {"name": {"before": "<secret>", "after": "<secret>"}}


def test_deletion_changes_send_every_field_to_none(workspace):
    before = audit_snapshot(workspace, fields=["name", "slug"])
    assert audit_changes(before, None) == {
        "name": {"before": workspace.name, "after": None},
        "slug": {"before": workspace.slug, "after": None},
    }


def test_oversized_values_are_summarised(user, workspace):
    event = record_audit_event(
        action="workspace.updated",
        target=workspace,
        actor=user,
        changes={"name": {"before": "x" * 5000, "after": "y"}},
    )
    assert event.changes["name"] == {"before": "<5002 characters>", "after": "y"}


def test_without_user_or_request_the_actor_is_the_block_label_or_system(workspace):
    with audit_actor("command:seed_demo"):
        labelled = record_audit_event(action="workspace.created", target=workspace)
    plain = record_audit_event(action="workspace.created", target=workspace)
    assert (labelled.actor_label, labelled.actor_user_id) == ("command:seed_demo", None)
    assert plain.actor_label == "system"
    assert plain.client_ip is None


def test_an_action_that_is_not_entity_dot_verb_is_refused(workspace):
    with pytest.raises(ValueError, match="entity"):
        record_audit_event(action="Workspace Updated", target=workspace)


def test_a_rolled_back_change_leaves_no_audit_row(user, workspace):
    with pytest.raises(RuntimeError), transaction.atomic():
        record_audit_event(action="workspace.updated", target=workspace, actor=user)
        raise RuntimeError("the change failed after the audit row was written")
    assert not AuditEvent.objects.filter(action="workspace.updated").exists()


def _event(workspace, **fields):
    return record_audit_event(action="workspace.updated", target=workspace, **fields)


def test_orm_refuses_update_and_delete(workspace):
    event = _event(workspace)
    events = AuditEvent.objects.filter(pk=event.pk)
    for refused in (
        lambda: events.update(action="x.y"),
        events.delete,
        lambda: AuditEvent.objects.bulk_update([event], ["action"]),
        lambda: AuditEvent.objects.update_or_create(pk=event.pk, defaults={"action": "x.y"}),
        event.save,
        event.delete,
    ):
        with pytest.raises(AppendOnlyError):
            refused()
    assert AuditEvent.objects.get(pk=event.pk).action == "workspace.updated"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE synapscale_auditevent SET action = 'x.y' WHERE id = %s",
        "DELETE FROM synapscale_auditevent WHERE id = %s",
    ],
)
def test_database_trigger_refuses_update_and_delete(workspace, statement):
    event = _event(workspace)
    refused = pytest.raises(DatabaseError, match="append-only")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "workspace.updated"


def test_prune_removes_only_events_past_the_retention(settings, workspace):
    settings.AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    old = [
        AuditEvent.objects.create(
            action="workspace.updated", actor_label="system", created_at=now - dt.timedelta(days=d)
        )
        for d in (31, 400)
    ]
    recent = AuditEvent.objects.create(
        action="workspace.updated", actor_label="system", created_at=now - dt.timedelta(days=29)
    )

    assert audit_events_prune(batch=1) == 2
    remaining = set(AuditEvent.objects.values_list("pk", flat=True))
    assert recent.pk in remaining and not remaining & {event.pk for event in old}
    # Outside the prune function the trigger refuses deletions again.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM synapscale_auditevent WHERE id = %s", [recent.pk])


def test_periodic_prune_is_scheduled_and_prunes(settings):
    settings.AUDIT_RETENTION_DAYS = 1
    AuditEvent.objects.create(
        action="workspace.updated",
        actor_label="system",
        created_at=timezone.now() - dt.timedelta(days=2),
    )
    entry = next(entry for entry in collect_schedule() if entry.name == "audit.prune")
    assert entry.task == audit_prune.name
    assert audit_prune.apply().get() == 1


def test_a_token_naming_its_public_id_is_recorded_by_it(user, workspace):
    class PrefixedToken:
        _meta = ApiToken._meta
        pk = "secret-digest"
        audit_id = "tok_ab12"

    request = _request(user)
    request.auth = PrefixedToken()
    event = record_audit_event(action="workspace.updated", target=workspace, request=request)
    assert event.actor_token_id == "tok_ab12"
