"""Staff moderation and the end of a template's life: approve, reject, feature, verify, deprecate.

The API's staff endpoints and the admin's actions call these same functions, and each one
writes an entry to the template's moderation history.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from templates_app.choices import ModerationAction, TemplateStatus, VersionStatus
from templates_app.models import Template, TemplateVersion
from templates_app.search.index import (
    search_vector_update,
    template_words,
    vocabulary_add,
    vocabulary_remove,
    vocabulary_replace,
)
from templates_app.services.common import (
    conflict,
    history_record,
    invalidate_marketplace,
    lock_template,
    require_staff,
    validate_template_definition,
)
from templates_app.services.crud import version_snapshot

MAX_REASON_LENGTH = 2000


def _require_status(template: Template, *allowed: TemplateStatus, action: str) -> None:
    if template.status not in allowed:
        names = " or ".join(status.label.lower() for status in allowed)
        raise conflict(
            f"Only a template that is {names} can be {action}.",
            status=f"Is {template.status}.",
        )


def _pending_version(template: Template) -> TemplateVersion | None:
    return TemplateVersion.objects.filter(
        template=template, status=VersionStatus.PENDING_REVIEW
    ).first()


@transaction.atomic
def template_approve(*, template: Template, user) -> Template:
    """Publish a template under review, or the new version a published template awaits.

    Either way the approved definition is kept as a published version.
    """
    template = lock_template(template)
    require_staff(user, template=template)
    if template.status == TemplateStatus.PUBLISHED:
        pending = _pending_version(template)
        if pending is None:
            raise conflict(
                "This published template has no new version awaiting review.",
                status=f"Is {template.status}.",
            )
        return _version_approve(template, pending, user)
    _require_status(template, TemplateStatus.PENDING_REVIEW, action="approved")
    template.status = TemplateStatus.PUBLISHED
    template.rejection_reason = ""
    # "Newest" means first published, so a resubmission after rejection keeps its place.
    template.published_at = template.published_at or timezone.now()
    template.save(update_fields=["status", "rejection_reason", "published_at", "updated_at"])
    version_snapshot(template=template, user=user)
    vocabulary_add(template_words(template))
    history_record(template=template, actor=user, action=ModerationAction.APPROVED)
    invalidate_marketplace()
    return template


def _version_approve(template: Template, pending: TemplateVersion, user) -> Template:
    """Make a pending version the live one: the template row takes its definition."""
    # The engine may have grown stricter since the version was proposed.
    validate_template_definition(pending.definition, pending.required_variables)
    words_before = template_words(template)
    template.definition = pending.definition
    template.required_variables = pending.required_variables
    template.version = pending.version
    template.changelog = pending.changelog
    listing = dict(pending.listing)
    if "price" in listing:
        listing["price"] = Decimal(listing["price"])
    for key, value in listing.items():
        setattr(template, key, value)
    if pending.clears_verified:
        # Staff reviewed what goes live now: the badge the proposal cleared comes back.
        template.is_verified = True
    template.save(
        update_fields=[
            "definition",
            "required_variables",
            "version",
            "changelog",
            "is_verified",
            *listing,
            "updated_at",
        ]
    )
    if listing:
        search_vector_update(template_ids=[template.pk])
        vocabulary_replace(before=words_before, after=template_words(template))
    pending.status = VersionStatus.PUBLISHED
    pending.published_by = user
    pending.published_at = timezone.now()
    pending.save(update_fields=["status", "published_by", "published_at"])
    history_record(template=template, actor=user, action=ModerationAction.VERSION_PUBLISHED)
    if pending.clears_verified:
        history_record(template=template, actor=user, action=ModerationAction.VERIFIED)
    invalidate_marketplace()
    return template


@transaction.atomic
def template_reject(*, template: Template, user, reason: str) -> Template:
    """Send a template under review back to its author with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the template is rejected."]})
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": [f"At most {MAX_REASON_LENGTH} characters."]})
    template = lock_template(template)
    require_staff(user, template=template)
    if template.status == TemplateStatus.PUBLISHED:
        # A new version is turned down; the approved one stays live.
        pending = _pending_version(template)
        if pending is None:
            raise conflict(
                "This published template has no new version awaiting review.",
                status=f"Is {template.status}.",
            )
        pending.status = VersionStatus.REJECTED
        pending.rejection_reason = reason
        pending.save(update_fields=["status", "rejection_reason"])
        history_record(
            template=template,
            actor=user,
            action=ModerationAction.REJECTED,
            reason=reason,
            version=pending.version,
        )
        return template
    _require_status(template, TemplateStatus.PENDING_REVIEW, action="rejected")
    template.status = TemplateStatus.REJECTED
    template.rejection_reason = reason
    template.save(update_fields=["status", "rejection_reason", "updated_at"])
    history_record(template=template, actor=user, action=ModerationAction.REJECTED, reason=reason)
    return template


@transaction.atomic
def template_set_featured(*, template: Template, user, featured: bool) -> Template:
    """Feature a published template on the marketplace home, or stop featuring it."""
    template = lock_template(template)
    # Featuring is promotion: a staff author does not promote their own template.
    require_staff(user, template=template)
    if featured:
        _require_status(template, TemplateStatus.PUBLISHED, action="featured")
    if template.is_featured == featured:
        return template
    template.is_featured = featured
    template.save(update_fields=["is_featured", "updated_at"])
    action = ModerationAction.FEATURED if featured else ModerationAction.UNFEATURED
    history_record(template=template, actor=user, action=action)
    invalidate_marketplace()
    return template


@transaction.atomic
def template_set_verified(*, template: Template, user, verified: bool) -> Template:
    """Mark a template as checked by staff (a badge and a search filter), or unmark it."""
    template = lock_template(template)
    require_staff(user, template=template)
    if verified:
        # The badge vouches for what the marketplace serves; a draft can still change.
        _require_status(template, TemplateStatus.PUBLISHED, action="verified")
    if template.is_verified == verified:
        return template
    template.is_verified = verified
    template.save(update_fields=["is_verified", "updated_at"])
    action = ModerationAction.VERIFIED if verified else ModerationAction.UNVERIFIED
    history_record(template=template, actor=user, action=action)
    invalidate_marketplace()
    return template


@transaction.atomic
def template_deprecate(*, template: Template, user, reason: str = "") -> Template:
    """Withdraw a published template from the marketplace; existing installs keep working.

    Its workspace's writers (the caller checks membership) or staff may deprecate it.
    """
    template = lock_template(template)
    if user.is_staff is False and not _is_member_writer(template, user):
        raise PermissionDenied("Only the template's workspace or staff may deprecate it.")
    _require_status(template, TemplateStatus.PUBLISHED, action="deprecated")
    template.status = TemplateStatus.DEPRECATED
    template.is_featured = False
    template.save(update_fields=["status", "is_featured", "updated_at"])
    vocabulary_remove(template_words(template))
    history_record(
        template=template, actor=user, action=ModerationAction.DEPRECATED, reason=reason.strip()
    )
    invalidate_marketplace()
    return template


def _is_member_writer(template: Template, user) -> bool:
    from synapscale.choices import WRITE_ROLES
    from synapscale.models import Membership

    return Membership.objects.filter(
        workspace_id=template.workspace_id, user=user, role__in=WRITE_ROLES
    ).exists()
