"""Reads of a workspace's own templates."""

from __future__ import annotations

from django.db.models import QuerySet

from templates_app.models import ModerationEntry, Template, TemplateVersion


def templates_with_relations() -> QuerySet[Template]:
    """Return all templates with what their serializers read (scope them before use)."""
    return Template.objects.select_related("category", "author").defer("search_vector")


def template_versions(*, template: Template) -> QuerySet[TemplateVersion]:
    """Return the published versions of a template, newest first."""
    return TemplateVersion.objects.filter(template=template).select_related("published_by")


def template_history(*, template: Template) -> QuerySet[ModerationEntry]:
    """Return the moderation history of a template, newest first."""
    return ModerationEntry.objects.filter(template=template).select_related("actor")
