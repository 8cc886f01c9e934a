"""Factories and helpers for the analytics app's tests."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from analytics.services.events import events_ingest
from analytics.services.events_validation import IngestContext


def ingest_events(workspace, events: list[dict], *, received_at: datetime | None = None):
    """Store raw events for ``workspace`` through the real ingestion service."""
    context = IngestContext(workspace_id=workspace.id, received_at=received_at or timezone.now())
    return events_ingest(raw_events=events, context=context)


def make_workflow(workspace, *, name="Flow", created_at=None):
    from executions.models import Workflow

    workflow = Workflow.objects.create(workspace=workspace, name=name, definition={})
    if created_at is not None:
        Workflow.objects.filter(pk=workflow.pk).update(created_at=created_at)
    return workflow


def make_execution(workflow, *, status, created_at=None, finished_at=None, duration_ms=None):
    """Create an execution row directly: metrics read the table, not the engine."""
    from executions.models import Execution
    from executions.services.workflows import workflow_version_current

    created_at = created_at or timezone.now()
    return Execution.objects.create(
        workspace=workflow.workspace,
        workflow=workflow,
        workflow_version=workflow.version,
        definition_version=workflow_version_current(workflow=workflow),
        status=status,
        created_at=created_at,
        finished_at=finished_at,
        duration_ms=duration_ms,
        timeout_seconds=60,
    )


def make_template(workspace, author, *, name, price="0", license="free"):
    from templates_app.models import Category, Template

    category, _ = Category.objects.get_or_create(slug="analytics-tests", defaults={"name": "T"})
    slug = f"{name.lower().replace(' ', '-')}-{workspace.id}"
    return Template.objects.create(
        workspace=workspace,
        author=author,
        name=name,
        slug=slug,
        category=category,
        definition={},
        license=license,
        price=price,
    )


def make_install(template, workspace, *, created_at=None):
    from templates_app.models import TemplateInstall

    install = TemplateInstall.objects.create(
        template=template, workspace=workspace, version="1.0.0"
    )
    if created_at is not None:
        TemplateInstall.objects.filter(pk=install.pk).update(created_at=created_at)
    return install
