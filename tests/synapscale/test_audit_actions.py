"""Every audited action writes exactly one audit row, by the right actor; a failed write none."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from analytics.models import Insight
from analytics.services import alerts, dashboards, exports, insights, reports
from executions.services import credentials, executions, triggers, workflows
from synapscale.choices import Role
from synapscale.models import AuditEvent
from synapscale.services import accounts, tokens, workspaces
from templates_app.services import collections, crud, marketplace, moderation, reviews
from tests.executions.factories import three_node_definition
from tests.templates_app.factories import TemplateFactory, set_definition

pytestmark = pytest.mark.django_db


class World:
    """What the actions act on, made on demand (each case builds only what it needs)."""

    def __init__(self, user, workspace, other_user, other_workspace, staff_user):
        self.user, self.workspace = user, workspace
        self.other_user, self.other_workspace = other_user, other_workspace
        self.staff_user = staff_user

    def workflow(self):
        return workflows.workflow_create(
            workspace=self.workspace,
            user=self.user,
            name="Flow",
            definition=three_node_definition(),
        )

    def credential(self):
        return credentials.credential_create(
            workspace=self.workspace,
            user=self.user,
            name="crm",
            type="header",
            secret="an-old-secret-value-1234",
            header_name="X-Api-Key",
        )

    def execution(self):
        return executions.execution_start(workflow=self.workflow(), user=self.user)

    def cancelled(self):
        return executions.execution_cancel(execution=self.execution(), user=self.user)

    def trigger(self):
        return triggers.trigger_create(workflow=self.workflow(), user=self.user).trigger

    def draft(self):
        return TemplateFactory(author=self.user, name="Draft")

    def submitted(self):
        return crud.template_submit(template=self.draft(), user=self.user)

    def published(self):
        return moderation.template_approve(template=self.submitted(), user=self.staff_user)

    def review(self):
        return reviews.review_create(template=self.published(), user=self.other_user, rating=4)

    def collection(self):
        return collections.collection_create(
            workspace=self.workspace, user=self.user, name="Picks", is_public=True
        )

    def collected(self):
        collection = self.collection()
        collections.collection_item_add(
            collection=collection, template=self.published(), user=self.user
        )
        return collection

    def report(self):
        return reports.report_create(
            workspace=self.workspace, owner=self.user, name="r", query={"source": "events"}
        )

    def dashboard(self):
        return dashboards.dashboard_create(workspace=self.workspace, owner=self.user, name="D")

    def widget(self):
        return dashboards.widget_create(
            dashboard=self.dashboard(), title="DAU", type="table", metric="business.dau"
        )

    def rule(self):
        return alerts.alert_rule_create(
            workspace=self.workspace,
            owner=self.user,
            name="errors",
            metric="event_count",
            event_type="error",
            condition="gt",
            threshold=3,
            window_minutes=5,
            cooldown_minutes=30,
            channels={},
        )

    def membership(self, role=Role.MEMBER):
        return workspaces.membership_set(
            workspace=self.workspace, user=self.other_user, role=role, actor=self.user
        )

    def export(self):
        return exports.export_request(
            workspace=self.workspace,
            user=self.user,
            membership=self.workspace.memberships.get(user=self.user),
            source="events",
        )

    def insight(self):
        now = timezone.now()
        return Insight.objects.create(
            workspace=self.workspace,
            kind="anomaly",
            severity="high",
            fingerprint="anomaly:high:1",
            title="anomaly",
            detected_at=now,
            expires_at=now + dt.timedelta(hours=1),
        )


W = World
ACTIONS = {
    "workspace.created": lambda w: workspaces.workspace_create(name="Team", owner=w.user),
    "workspace.member_added": lambda w: w.membership(),
    "workspace.member_role_changed": lambda w: (w.membership(), w.membership(Role.ADMIN)),
    "workspace.member_removed": lambda w: (
        w.membership(),
        workspaces.membership_remove(workspace=w.workspace, user=w.other_user, actor=w.user),
    ),
    "workspace.ingestion_key_rotated": lambda w: workspaces.workspace_rotate_ingestion_key(
        workspace=w.workspace, actor=w.user
    ),
    "user.registered": lambda w: accounts.user_register(
        username="carol", email="carol@example.com", password="a-long-enough-password-1"
    ),
    "workflow.created": W.workflow,
    "workflow.updated": lambda w: workflows.workflow_update(
        workflow=w.workflow(), user=w.user, name="Renamed"
    ),
    "workflow.deleted": lambda w: workflows.workflow_delete(workflow=w.workflow(), user=w.user),
    "execution.started": W.execution,
    "execution.cancelled": W.cancelled,
    "execution.retried": lambda w: executions.execution_retry(execution=w.cancelled(), user=w.user),
    "execution.deleted": lambda w: executions.execution_delete(
        execution=w.cancelled(), user=w.user
    ),
    "trigger.created": W.trigger,
    "trigger.updated": lambda w: triggers.trigger_update(trigger=w.trigger(), name="hook"),
    "trigger.secret_rotated": lambda w: triggers.trigger_rotate_secret(trigger=w.trigger()),
    "trigger.deleted": lambda w: triggers.trigger_delete(trigger=w.trigger()),
    "template.created": W.draft,
    "template.updated": lambda w: crud.template_update(
        template=w.draft(), user=w.user, name="Better"
    ),
    "template.deleted": lambda w: crud.template_delete(template=w.draft(), user=w.user),
    "template.submitted": W.submitted,
    "template.approved": W.published,
    "template.rejected": lambda w: moderation.template_reject(
        template=w.submitted(), user=w.staff_user, reason="Too thin."
    ),
    "template.featured": lambda w: moderation.template_set_featured(
        template=w.published(), user=w.staff_user, featured=True
    ),
    "template.verified": lambda w: moderation.template_set_verified(
        template=w.published(), user=w.staff_user, verified=True
    ),
    "template.deprecated": lambda w: moderation.template_deprecate(
        template=w.published(), user=w.staff_user
    ),
    "template.version_submitted": lambda w: crud.template_update(
        template=w.published(), user=w.user, definition=set_definition(2), version="1.1.0"
    ),
    "template.installed": lambda w: marketplace.template_install(
        template=w.published(), user=w.other_user, workspace=w.other_workspace
    ),
    "review.created": W.review,
    "review.updated": lambda w: reviews.review_update(
        review=w.review(), user=w.other_user, rating=2
    ),
    "review.deleted": lambda w: reviews.review_delete(review=w.review(), user=w.other_user),
    "review.hidden": lambda w: reviews.review_set_hidden(
        review=w.review(), user=w.staff_user, hidden=True
    ),
    "review.marked_helpful": lambda w: reviews.review_mark_helpful(
        review=w.review(), user=w.staff_user
    ),
    "collection.created": W.collection,
    "collection.updated": lambda w: collections.collection_update(
        collection=w.collection(), user=w.user, description="Best"
    ),
    "collection.deleted": lambda w: collections.collection_delete(
        collection=w.collection(), user=w.user
    ),
    "collection.item_added": W.collected,
    "collection.item_removed": lambda w: (
        c := w.collected(),
        collections.collection_item_remove(
            collection=c, template_id=c.items.get().template_id, user=w.user
        ),
    ),
    "collection.items_reordered": lambda w: (
        c := w.collected(),
        collections.collection_items_reorder(
            collection=c, template_ids=[c.items.get().template_id], user=w.user
        ),
    ),
    "collection.featured": lambda w: collections.collection_set_featured(
        collection=w.collection(), user=w.staff_user, featured=True
    ),
    "favorite.added": lambda w: collections.favorite_add(user=w.user, template=w.published()),
    "favorite.removed": lambda w: (
        t := w.published(),
        collections.favorite_add(user=w.user, template=t),
        collections.favorite_remove(user=w.user, template_id=t.pk),
    ),
    "report.created": W.report,
    "report.updated": lambda w: reports.report_update(report=w.report(), name="r2"),
    "report.deleted": lambda w: reports.report_delete(report=w.report()),
    "report.run_requested": lambda w: reports.report_run_request(
        report=w.report(), trigger="manual", user=w.user
    ),
    "dashboard.created": W.dashboard,
    "dashboard.updated": lambda w: dashboards.dashboard_update(dashboard=w.dashboard(), name="E"),
    "dashboard.deleted": lambda w: dashboards.dashboard_delete(dashboard=w.dashboard()),
    "dashboard.duplicated": lambda w: dashboards.dashboard_duplicate(
        dashboard=w.dashboard(), owner=w.user
    ),
    "widget.created": W.widget,
    "widget.updated": lambda w: dashboards.widget_update(widget=w.widget(), title="MAU"),
    "widget.deleted": lambda w: dashboards.widget_delete(widget=w.widget()),
    "alert_rule.created": W.rule,
    "alert_rule.updated": lambda w: alerts.alert_rule_update(rule=w.rule(), threshold=5),
    "alert_rule.deleted": lambda w: alerts.alert_rule_delete(rule=w.rule()),
    "alert_rule.paused": lambda w: alerts.alert_rule_pause(rule=w.rule()),
    "alert_rule.resumed": lambda w: alerts.alert_rule_resume(rule=w.rule()),
    "alert_rule.snoozed": lambda w: alerts.alert_rule_snooze(rule=w.rule(), minutes=10),
    "alert_rule.secret_rotated": lambda w: alerts.alert_rule_rotate_secret(rule=w.rule()),
    "export.requested": W.export,
    "export.downloaded": lambda w: exports.export_download_record(export=w.export(), user=w.user),
    "insight.read": lambda w: insights.insight_mark_read(insight=w.insight()),
    "insight.dismissed": lambda w: insights.insight_dismiss(insight=w.insight()),
    "insight.feedback_given": lambda w: insights.insight_give_feedback(
        insight=w.insight(), user=w.user, useful=True
    ),
    "command.ran": lambda w: call_command("sync_schedules", stdout=io.StringIO()),
    "token.created": lambda w: tokens.token_create(user=w.user, name="ci", scopes=["read"]),
    "token.revoked": lambda w: tokens.token_revoke(
        token=tokens.token_create(user=w.user, name="ci", scopes=["read"]).token
    ),
    "user.tokens_revoked": lambda w: (
        tokens.token_create(user=w.user, name="ci", scopes=["read"]),
        tokens.tokens_revoke_all(user=w.user),
    ),
    "credential.created": lambda w: w.credential(),
    "credential.updated": lambda w: credentials.credential_update(
        credential=w.credential(), header_name="X-Other-Key"
    ),
    "credential.secret_rotated": lambda w: credentials.credential_update(
        credential=w.credential(), secret="a-new-secret-value-1234"
    ),
    "credential.deleted": lambda w: credentials.credential_delete(credential=w.credential()),
    "credentials.reencrypted": lambda w: (w.credential(), credentials.credentials_reencrypt()),
}


@pytest.fixture
def world(user, workspace, other_user, other_workspace, staff_user, categories):
    return World(user, workspace, other_user, other_workspace, staff_user)


@pytest.fixture
def categories(db):
    from templates_app.services.categories import categories_ensure

    categories_ensure()


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_writes_one_audit_row(world, action):
    start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ACTIONS[action](world)
    written = AuditEvent.objects.filter(id__gt=start)
    events = list(written.filter(action=action))
    assert len(events) == 1, list(written.values_list("action", flat=True))
    event = events[0]
    assert event.actor_label and event.target_type
    if event.workspace_id is not None:
        assert event.workspace_id in {world.workspace.pk, world.other_workspace.pk} or (
            action == "workspace.created"
        )


def test_actor_is_the_user_who_acted(world):
    world.membership()
    event = AuditEvent.objects.get(action="workspace.member_added")
    assert (event.actor_user_id, event.actor_label) == (world.user.pk, "alice")
    assert event.changes == {"user": "bob", "role": {"before": None, "after": "member"}}


def test_alert_rule_channels_are_never_stored(world):
    rule = world.rule()
    alerts.alert_rule_update(rule=rule, channels={"webhooks": ["https://hooks.example/T1/abc"]})
    event = AuditEvent.objects.get(action="alert_rule.updated")
    assert event.changes["channels"] == {"before": "<secret>", "after": "<secret>"}


def test_install_variables_values_are_not_recorded(world):
    ACTIONS["template.installed"](world)
    event = AuditEvent.objects.get(action="template.installed")
    assert event.workspace_id == world.other_workspace.pk
    assert event.actor_user_id == world.other_user.pk


def test_a_refused_write_writes_no_audit_row(world):
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        workflows.workflow_create(
            workspace=world.workspace, user=world.user, name="x", definition={"nodes": "no"}
        )
    with pytest.raises(ValidationError):  # the last owner cannot leave
        workspaces.membership_remove(workspace=world.workspace, user=world.user, actor=world.user)
    workflow = world.workflow()
    with pytest.raises(ValidationError):
        workflows.workflow_update(workflow=workflow, user=world.user, definition={"nodes": 1})
    assert AuditEvent.objects.count() == before + 1  # only workflow.created


def test_a_workflow_definition_is_never_stored(world):
    workflow = world.workflow()
    definition = three_node_definition()
    definition["nodes"][0]["params"] = {"fields": {"name": "k3y-in-the-clear"}}
    workflows.workflow_update(workflow=workflow, user=world.user, definition=definition)
    event = AuditEvent.objects.get(action="workflow.updated")
    assert event.changes["definition"] == {"before": "<secret>", "after": "<secret>"}
    assert event.changes["version"] == {"before": 1, "after": 2}
    assert "k3y-in-the-clear" not in str(list(AuditEvent.objects.values_list("changes")))
