"""Authoring templates in a workspace: create, edit, submit for review, delete."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from synapscale.services.audit import audit_changes, audit_snapshot, record_audit_event
from synapscale.services.updates import model_update
from templates_app.choices import (
    EDITABLE_STATUSES,
    License,
    ModerationAction,
    TemplateStatus,
    VersionStatus,
)
from templates_app.constants import MAX_TAG_LENGTH, MAX_TAGS
from templates_app.models import Category, Template, TemplateVersion
from templates_app.search.index import search_vector_update, template_words, vocabulary_replace
from templates_app.services.common import (
    conflict,
    history_record,
    invalidate_marketplace,
    lock_template,
    unique_slug,
    validate_template_definition,
)
from templates_app.versioning import is_newer, parse_version

# Fields whose change on a published template is a new version of it.
VERSIONED_FIELDS = frozenset({"definition", "required_variables"})
# What buyers decide on: on a published template a change of these waits for staff review
# too (a bait-and-switch of the description or the price is no better than of the flow).
REVIEWED_LISTING_FIELDS = frozenset(
    {"name", "short_description", "description", "license", "price"}
)
# What a new version of a published template carries to staff review.
PROPOSED_FIELDS = frozenset({"definition", "required_variables", "version", "changelog"})
EDITABLE_FIELDS = frozenset(
    {
        "name",
        "short_description",
        "description",
        "category",
        "tags",
        "definition",
        "version",
        "changelog",
        "license",
        "price",
        "complexity",
        "required_variables",
    }
)
AUDITED_FIELDS = sorted(EDITABLE_FIELDS | {"slug", "status", "is_verified"})
# What template_update writes on the row: the editable fields and what follows from them.
LIVE_FIELDS = EDITABLE_FIELDS | {"slug", "is_verified"}


def normalize_tags(tags) -> list[str]:
    """Return tags as distinct lower-case slugs, in the order given; raise on bad ones."""
    if not isinstance(tags, list | tuple):
        raise ValidationError({"tags": ["Must be a list of tags."]})
    normalized: list[str] = []
    for index, tag in enumerate(tags):
        slug = slugify(tag) if isinstance(tag, str) else ""
        if not slug or len(slug) > MAX_TAG_LENGTH:
            raise ValidationError(
                {f"tags.{index}": [f"Must be a word or slug of 1 to {MAX_TAG_LENGTH} characters."]}
            )
        if slug not in normalized:
            normalized.append(slug)
    if len(normalized) > MAX_TAGS:
        raise ValidationError({"tags": [f"At most {MAX_TAGS} tags."]})
    return normalized


def _clean_values(values: dict[str, Any], *, current: Template | None) -> dict[str, Any]:
    """Validate and normalise given fields against each other and the current template."""
    cleaned = dict(values)
    if "category" in cleaned and not isinstance(cleaned["category"], Category):
        category = Category.objects.filter(slug=cleaned["category"]).first()
        if category is None:
            raise ValidationError({"category": [f"Unknown category '{cleaned['category']}'."]})
        cleaned["category"] = category
    if "tags" in cleaned:
        cleaned["tags"] = normalize_tags(cleaned["tags"])
    if "version" in cleaned:
        try:
            parse_version(cleaned["version"])
        except ValueError as exc:
            raise ValidationError({"version": [str(exc)]}) from exc
    if "definition" in cleaned or "required_variables" in cleaned:
        definition = cleaned.get("definition", current.definition if current else None)
        variables = cleaned.get("required_variables", current.required_variables if current else [])
        cleaned["required_variables"] = validate_template_definition(definition, variables)
    license_ = cleaned.get("license", current.license if current else License.FREE)
    try:
        price = Decimal(cleaned.get("price", current.price if current else 0))
    except (TypeError, ArithmeticError) as exc:
        raise ValidationError({"price": ["Must be a decimal number."]}) from exc
    if license_ == License.FREE and price != 0:
        raise ValidationError({"price": ["A free template has price 0."]})
    if license_ != License.FREE and "price" in cleaned and price < 0:
        raise ValidationError({"price": ["Must not be negative."]})
    return cleaned


def _full_clean(template: Template) -> None:
    # Model validators (lengths, complexity 1-5, choices); the slug is ours, not the caller's.
    template.full_clean(exclude=["slug", "workspace", "author", "search_vector"])


@transaction.atomic
def template_create(
    *,
    workspace,
    user,
    name: str,
    definition: dict,
    category: Category | str,
    short_description: str = "",
    description: str = "",
    tags: list[str] | tuple[str, ...] = (),
    version: str = "1.0.0",
    changelog: str = "",
    license: str = License.FREE,
    price: Decimal | int = 0,
    complexity: int = 1,
    required_variables: list[dict] | tuple = (),
) -> Template:
    """Create a draft template in `workspace` authored by `user`."""
    values = _clean_values(
        {
            "name": name,
            "definition": definition,
            "category": category,
            "short_description": short_description,
            "description": description,
            "tags": list(tags),
            "version": version,
            "changelog": changelog,
            "license": license,
            "price": price,
            "complexity": complexity,
            "required_variables": list(required_variables),
        },
        current=None,
    )
    template = Template(workspace=workspace, author=user, status=TemplateStatus.DRAFT, **values)
    _full_clean(template)
    # Two drafts named alike at the same moment race for the slug; the loser retries.
    for _attempt in range(3):
        template.slug = unique_slug(name)
        try:
            with transaction.atomic():
                template.save()
            break
        except IntegrityError:
            continue
    else:
        raise conflict("Could not allocate a unique slug; try again.", name="Slug is taken.")
    search_vector_update(template_ids=[template.pk])
    record_audit_event(
        action="template.created",
        target=template,
        actor=user,
        changes=audit_changes({}, template, fields=AUDITED_FIELDS),
    )
    return template


@transaction.atomic
def template_update(*, template: Template, user, **changes) -> Template:
    """Edit a template.

    Drafts and rejected templates change freely. A template under review or deprecated does
    not change. A published template's category, tags and complexity change in place (a
    changelog alone also corrects the current version's). A change of its definition,
    variables, text (name, descriptions), license or price needs a newer `version` and does
    not go live: it is kept as a version pending staff review (see `version_propose`), while
    the marketplace and installs keep the approved one.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({key: ["Unknown field."] for key in sorted(unknown)})
    template = lock_template(template)
    if template.status in (TemplateStatus.PENDING_REVIEW, TemplateStatus.DEPRECATED):
        raise conflict(
            f"A template that is {template.get_status_display().lower()} cannot be edited.",
            status=f"Is {template.status}.",
        )
    values = _clean_values(changes, current=template)
    changed = {key: value for key, value in values.items() if getattr(template, key) != value}
    if not changed:
        return template
    words_before = template_words(template)
    before = audit_snapshot(template, fields=AUDITED_FIELDS)
    published = template.status == TemplateStatus.PUBLISHED
    proposal = _new_version_proposal(template, values, changed) if published else None
    live = changed if proposal is None else _live_changes(changed)
    if "name" in live and template.published_at is None:
        # Once published, the slug is the template's public address: it stays.
        live["slug"] = unique_slug(live["name"], exclude_pk=template.pk)
    if proposal is not None and proposal["clears_verified"]:
        # The badge vouched for the approved version; approving the new one gives it back.
        live["is_verified"] = False
        history_record(template=template, actor=user, action=ModerationAction.UNVERIFIED)
    model_update(instance=template, fields=LIVE_FIELDS, data=live, clean=_full_clean)
    search_vector_update(template_ids=[template.pk])
    record_audit_event(
        action="template.updated",
        target=template,
        actor=user,
        changes={
            **audit_changes(before, template, fields=AUDITED_FIELDS),
            **({"proposed_version": proposal["version"]} if proposal is not None else {}),
        },
    )
    if published:
        _after_published_update(template, user, words_before, live, proposal)
    return template


def _after_published_update(template, user, words_before, live: dict, proposal) -> None:
    """What a change of a published template moves beyond its row."""
    vocabulary_replace(before=words_before, after=template_words(template))
    if "changelog" in live:
        # Release notes corrected in place belong to the version the marketplace shows.
        TemplateVersion.objects.filter(
            template=template, version=template.version, status=VersionStatus.PUBLISHED
        ).update(changelog=template.changelog)
    if proposal is not None:
        version_propose(template=template, user=user, **proposal)
    invalidate_marketplace()


def _new_version_proposal(template: Template, values: dict, changed: dict) -> dict | None:
    """What a change of a published template sends to staff review; None if it needs none."""
    if "version" not in changed and not (VERSIONED_FIELDS | REVIEWED_LISTING_FIELDS) & set(changed):
        return None
    _check_new_version(template, changed)
    proposal = {key: values.get(key, getattr(template, key)) for key in PROPOSED_FIELDS}
    if "changelog" not in values:
        proposal["changelog"] = ""  # the approved version's notes are not this one's
    proposal["listing"] = {
        key: str(value) if key == "price" else value
        for key, value in changed.items()
        if key in REVIEWED_LISTING_FIELDS
    }
    proposal["clears_verified"] = template.is_verified
    return proposal


def _live_changes(changed: dict) -> dict:
    """The changes a published template takes at once while its new version waits."""
    return {
        key: value
        for key, value in changed.items()
        if key not in PROPOSED_FIELDS and key not in REVIEWED_LISTING_FIELDS
    }


def version_propose(
    *,
    template: Template,
    user,
    version: str,
    definition,
    required_variables,
    changelog: str,
    listing: dict | None = None,
    clears_verified: bool = False,
) -> TemplateVersion:
    """Keep a new version of a published template for staff review (replacing any waiting)."""
    TemplateVersion.objects.filter(template=template, status=VersionStatus.PENDING_REVIEW).exclude(
        version=version
    ).delete()
    proposal, _ = TemplateVersion.objects.update_or_create(
        template=template,
        version=version,
        defaults={
            "definition": definition,
            "required_variables": required_variables,
            "changelog": changelog,
            "listing": listing or {},
            "clears_verified": clears_verified,
            "status": VersionStatus.PENDING_REVIEW,
            "rejection_reason": "",
            "submitted_by": user,
            "submitted_at": timezone.now(),
            "published_by": None,
            "published_at": None,
        },
    )
    history_record(
        template=template, actor=user, action=ModerationAction.VERSION_SUBMITTED, version=version
    )
    return proposal


def _check_new_version(template: Template, changed: dict) -> None:
    version = changed.get("version")
    if version is None:
        raise ValidationError(
            {
                "version": [
                    "Changing a published template's definition, text, license or price "
                    f"needs a version newer than {template.version}."
                ]
            }
        )
    if not is_newer(version, template.version):
        raise ValidationError({"version": [f"Must be newer than {template.version}."]})


def version_snapshot(*, template: Template, user) -> TemplateVersion:
    """Keep the template's current definition as its published (approved) version."""
    snapshot, _ = TemplateVersion.objects.update_or_create(
        template=template,
        version=template.version,
        defaults={
            "definition": template.definition,
            "required_variables": template.required_variables,
            "changelog": template.changelog,
            "status": VersionStatus.PUBLISHED,
            "rejection_reason": "",
            "published_by": user,
            "published_at": timezone.now(),
        },
    )
    return snapshot


@transaction.atomic
def template_submit(*, template: Template, user) -> Template:
    """Send a draft (or a rejected template, revised) to staff review."""
    template = lock_template(template)
    if template.status not in EDITABLE_STATUSES:
        raise conflict(
            "Only a draft or a rejected template can be submitted for review.",
            status=f"Is {template.status}.",
        )
    # The engine may have grown stricter since the draft was saved.
    validate_template_definition(template.definition, template.required_variables)
    template.status = TemplateStatus.PENDING_REVIEW
    template.rejection_reason = ""
    template.save(update_fields=["status", "rejection_reason", "updated_at"])
    history_record(template=template, actor=user, action=ModerationAction.SUBMITTED)
    return template


@transaction.atomic
def template_delete(*, template: Template, user) -> None:
    """Delete a template that was never published; published ones are deprecated instead."""
    template = lock_template(template)
    if template.published_at is not None or template.versions.exists():
        raise conflict(
            "A template that was published cannot be deleted; deprecate it instead.",
            status=f"Is {template.status}.",
        )
    record_audit_event(
        action="template.deleted",
        target=template,
        actor=user,
        changes=audit_changes(audit_snapshot(template, fields=["name", "slug"]), None),
    )
    template.delete()
