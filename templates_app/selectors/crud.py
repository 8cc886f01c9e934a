"""Reads of a workspace's own templates."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from templates_app.choices import VersionStatus
from templates_app.models import ModerationEntry, Template, TemplateVersion


def templates_with_relations() -> QuerySet[Template]:
    """Return all templates with what their serializers read (scope them before use).

    `pending_versions` lists the new version awaiting staff review, if any (at most one).
    """
    pending = TemplateVersion.objects.filter(status=VersionStatus.PENDING_REVIEW)
    return (
        Template.objects.select_related("category", "author")
        .defer("search_vector")
        .prefetch_related(Prefetch("versions", queryset=pending, to_attr="pending_versions"))
    )


def template_versions(*, template: Template) -> QuerySet[TemplateVersion]:
    """Return a template's versions, newest first (one awaiting review before the others)."""
    return TemplateVersion.objects.filter(template=template).select_related(
        "published_by", "submitted_by"
    )


def template_history(*, template: Template) -> QuerySet[ModerationEntry]:
    """Return the moderation history of a template, newest first."""
    return ModerationEntry.objects.filter(template=template).select_related("actor")
