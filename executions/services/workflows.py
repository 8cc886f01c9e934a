"""Writes on workflows: create, update (versioned), delete."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django_celery_beat.models import PeriodicTask

from executions.choices import ExecutionStatus
from executions.engine.credentials import credential_references
from executions.engine.validation import validate_definition
from executions.models import Workflow, WorkflowVersion
from executions.selectors.credentials import credential_names_missing
from executions.selectors.workflows import workflows_count
from synapscale.api.exceptions import ApplicationError
from synapscale.quotas import quota_check_total
from synapscale.services.audit import audit_changes, audit_snapshot, record_audit_event
from synapscale.services.updates import NOT_EDITABLE, model_update

EDITABLE_FIELDS = ("name", "description", "definition", "is_active")
AUDITED_FIELDS = [*EDITABLE_FIELDS, "version"]


def validate_workflow_definition(definition: Any, *, workspace_id: int) -> None:
    """Validate a definition, reporting errors under `definition.<path>` (the field name).

    The credentials its nodes name must exist in the workspace (one query): a missing one
    is refused at save rather than found at the first run.
    """
    try:
        validate_definition(definition)
    except ValidationError as exc:
        raise ValidationError(
            {f"definition.{path}": messages for path, messages in exc.message_dict.items()}
        ) from exc
    references = credential_references(definition)
    missing = credential_names_missing(
        workspace_id=workspace_id, names={name for _, name in references}
    )
    if missing:
        raise ValidationError(
            {
                f"definition.nodes.{index}.params.credential": [
                    f"No credential {name!r} in this workspace; create it first "
                    "(POST /api/v1/credentials/)."
                ]
                for index, name in references
                if name in missing
            }
        )


@transaction.atomic
def workflow_create(
    *,
    workspace,
    user,
    name: str,
    definition: dict,
    description: str = "",
    is_active: bool = True,
) -> Workflow:
    """Create a workflow (version 1) after validating its definition."""
    validate_workflow_definition(definition, workspace_id=workspace.id)
    quota_check_total(
        workspace_id=workspace.id,
        name="workflows",
        current=workflows_count(workspace.id),
    )
    workflow = Workflow(
        workspace=workspace,
        created_by=user if user is not None and user.is_authenticated else None,
        name=name,
        description=description,
        definition=definition,
        is_active=is_active,
    )
    workflow.full_clean()
    workflow.save()
    workflow_version_current(workflow=workflow)
    record_audit_event(
        action="workflow.created",
        target=workflow,
        actor=workflow.created_by,
        changes=audit_changes({}, workflow, fields=AUDITED_FIELDS),
    )
    return workflow


def workflow_version_current(*, workflow: Workflow) -> WorkflowVersion:
    """Return the stored version of the workflow's current definition, writing it if new."""
    version, _ = WorkflowVersion.objects.get_or_create(
        workflow=workflow, version=workflow.version, defaults={"definition": workflow.definition}
    )
    return version


@transaction.atomic
def workflow_update(*, workflow: Workflow, user, **changes: Any) -> Workflow:
    """Change a workflow's editable fields; a new definition increments the version."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [NOT_EDITABLE] for name in unknown})
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    before = audit_snapshot(workflow, fields=AUDITED_FIELDS)
    if "definition" in changes:
        validate_workflow_definition(changes["definition"], workspace_id=workflow.workspace_id)
        if changes["definition"] != workflow.definition:
            changes["version"] = workflow.version + 1
    workflow, has_updated = model_update(instance=workflow, fields=AUDITED_FIELDS, data=changes)
    if not has_updated:
        return workflow
    workflow_version_current(workflow=workflow)
    record_audit_event(
        action="workflow.updated",
        target=workflow,
        actor=user,
        changes=audit_changes(before, workflow, fields=AUDITED_FIELDS),
    )
    return workflow


@transaction.atomic
def workflow_delete(*, workflow: Workflow, user=None) -> None:
    """Delete a workflow and its finished executions; refuse while one is still active."""
    if workflow.executions.filter(status__in=ExecutionStatus.active()).exists():
        raise ApplicationError(
            "The workflow has executions that have not finished; cancel them or wait.",
            type_="workflow_busy",
        )
    # The schedule triggers go with the workflow; their beat entries must go too.
    PeriodicTask.objects.filter(pk__in=workflow.triggers.values("periodic_task")).delete()
    record_audit_event(
        action="workflow.deleted",
        target=workflow,
        actor=user,
        changes=audit_changes(audit_snapshot(workflow, fields=["name"]), None),
    )
    workflow.delete()
