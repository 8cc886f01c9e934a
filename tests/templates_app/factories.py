"""Factories for the marketplace: templates are made through the services, as users make them."""

from __future__ import annotations

import factory

from templates_app.models import Template, TemplateInstall
from templates_app.services.crud import template_create, template_submit
from templates_app.services.moderation import template_approve
from tests.factories import UserFactory, WorkspaceFactory


def set_definition(value=1) -> dict:
    """A valid one-node workflow definition."""
    return {"nodes": [{"id": "a", "type": "set", "params": {"fields": {"x": value}}}], "edges": []}


def personal_workspace(user):
    return user.memberships.select_related("workspace").get(workspace__is_personal=True).workspace


class TemplateFactory(factory.django.DjangoModelFactory):
    """A template created by `template_create`; `published=True` submits and approves it."""

    class Meta:
        model = Template

    name = factory.Sequence(lambda n: f"Template {n}")
    category = "automation"
    definition = factory.LazyFunction(set_definition)

    @classmethod
    def _create(cls, model_class, *args, published=False, approver=None, **kwargs):
        author = kwargs.pop("author", None) or kwargs.pop("user", None)
        workspace = kwargs.pop("workspace", None) or personal_workspace(author)
        template = template_create(workspace=workspace, user=author, **kwargs)
        if published:
            template_submit(template=template, user=author)
            approver = approver or _approver()
            template = template_approve(template=template, user=approver)
        return template


def _approver():
    from synapscale.services.workspaces import workspace_create
    from tests.conftest import MODERATOR_PERMISSIONS, grant_permissions

    approver = UserFactory(username="moderator", is_staff=True)
    if not approver.memberships.exists():
        workspace_create(name="moderator", owner=approver, is_personal=True)
        grant_permissions(approver, *MODERATOR_PERMISSIONS)
    return approver


def install_at(template, user, when):
    """Record an install of ``template`` as if made at ``when``, by a workspace of its own.

    Each call is a new adopter (counted): install_count and trending count workspaces.
    """
    install = TemplateInstall.objects.create(
        template=template,
        version="1.0.0",
        user=user,
        workspace=WorkspaceFactory(),
        counted=True,
    )
    TemplateInstall.objects.filter(pk=install.pk).update(created_at=when)
