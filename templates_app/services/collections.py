"""Collections of templates curated in a workspace, and users' favorites."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils.text import slugify

from synapscale.services.audit import audit_changes, audit_snapshot, record_audit_event
from synapscale.services.updates import model_update
from templates_app.models import Collection, CollectionItem, Favorite, Template
from templates_app.services.common import conflict, invalidate_marketplace, require_staff

COLLECTION_FIELDS = frozenset({"name", "description", "is_public"})
AUDITED_FIELDS = [*sorted(COLLECTION_FIELDS), "slug"]
MAX_ITEMS = 500


def _unique_collection_slug(workspace_id, name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:120] or "collection"
    taken = set(
        Collection.objects.filter(workspace_id=workspace_id, slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, suffix = base, 2
    while slug in taken:
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def _record_items(collection: Collection, user, action: str, **changes) -> None:
    record_audit_event(action=action, target=collection, actor=user, changes=changes)


def _invalidate_if_public(collection: Collection) -> None:
    # Public collections appear on the marketplace home.
    if collection.is_public:
        invalidate_marketplace()


@transaction.atomic
def collection_create(
    *, workspace, user, name: str, description: str = "", is_public: bool = False
) -> Collection:
    """Create a collection in `workspace`."""
    collection = Collection(
        workspace=workspace,
        owner=user,
        name=name,
        description=description,
        is_public=is_public,
        slug=_unique_collection_slug(workspace.pk, name),
    )
    collection.full_clean(exclude=["workspace", "owner"], validate_unique=False)
    try:
        with transaction.atomic():
            collection.save()
    except IntegrityError as exc:
        raise conflict("A collection with this name was just created.", name="Taken.") from exc
    _invalidate_if_public(collection)
    record_audit_event(
        action="collection.created",
        target=collection,
        actor=user,
        changes=audit_changes({}, collection, fields=AUDITED_FIELDS),
    )
    return collection


def _clean_collection(collection: Collection) -> None:
    collection.full_clean(exclude=["workspace", "owner"], validate_unique=False)


@transaction.atomic
def collection_update(*, collection: Collection, user, **changes) -> Collection:
    """Rename, describe, publish or unpublish a collection."""
    unknown = set(changes) - COLLECTION_FIELDS
    if unknown:
        raise ValidationError({key: ["Unknown field."] for key in sorted(unknown)})
    was_public = collection.is_public
    before = audit_snapshot(collection, fields=AUDITED_FIELDS)
    if "name" in changes and changes["name"] != collection.name:
        changes["slug"] = _unique_collection_slug(
            collection.workspace_id, changes["name"], exclude_pk=collection.pk
        )
    collection, has_updated = model_update(
        instance=collection,
        fields=[*COLLECTION_FIELDS, "slug"],
        data=changes,
        clean=_clean_collection,
    )
    if not has_updated:
        return collection
    record_audit_event(
        action="collection.updated",
        target=collection,
        actor=user,
        changes=audit_changes(before, collection, fields=AUDITED_FIELDS),
    )
    if was_public or collection.is_public:
        invalidate_marketplace()
    return collection


@transaction.atomic
def collection_delete(*, collection: Collection, user) -> None:
    """Delete a collection (its templates stay)."""
    _invalidate_if_public(collection)
    record_audit_event(
        action="collection.deleted",
        target=collection,
        actor=user,
        changes=audit_changes(audit_snapshot(collection, fields=["name"]), None),
    )
    collection.delete()


@transaction.atomic
def collection_item_add(
    *, collection: Collection, template: Template, user, note: str = ""
) -> CollectionItem:
    """Append a published template to a collection, with an optional note."""
    collection = Collection.objects.select_for_update().get(pk=collection.pk)
    if not template.is_published:
        raise ValidationError({"template": ["Only published templates can be collected."]})
    items = CollectionItem.objects.filter(collection=collection)
    if items.count() >= MAX_ITEMS:
        raise conflict(f"A collection holds at most {MAX_ITEMS} templates.")
    position = (items.aggregate(last=Max("position"))["last"] or 0) + 1
    item = CollectionItem(collection=collection, template=template, note=note, position=position)
    item.full_clean(exclude=["collection", "template"], validate_unique=False)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as exc:
        raise conflict(
            "This template is already in the collection.", template="Already collected."
        ) from exc
    _invalidate_if_public(collection)
    _record_items(collection, user, "collection.item_added", template_id=template.pk)
    return item


@transaction.atomic
def collection_item_remove(*, collection: Collection, template_id: int, user) -> None:
    """Take a template out of a collection; 404 when it is not in it."""
    deleted, _ = CollectionItem.objects.filter(
        collection=collection, template_id=template_id
    ).delete()
    if not deleted:
        raise Http404("This template is not in the collection.")
    _invalidate_if_public(collection)
    _record_items(collection, user, "collection.item_removed", template_id=template_id)


@transaction.atomic
def collection_items_reorder(*, collection: Collection, template_ids: list[int], user) -> None:
    """Put the collection's templates in the given order (every one, each once)."""
    collection = Collection.objects.select_for_update().get(pk=collection.pk)
    current = CollectionItem.objects.filter(collection=collection)
    items = {item.template_id: item for item in current}
    if len(set(template_ids)) != len(template_ids) or set(template_ids) != set(items):
        raise ValidationError(
            {"templates": ["List every template of the collection exactly once."]}
        )
    for position, template_id in enumerate(template_ids, start=1):
        items[template_id].position = position
    CollectionItem.objects.bulk_update(items.values(), ["position"])
    _invalidate_if_public(collection)
    _record_items(collection, user, "collection.items_reordered", template_ids=template_ids)


def favorite_add(*, user, template: Template) -> tuple[Favorite, bool]:
    """Mark a published template as a favorite; return (favorite, created). Idempotent."""
    if not template.is_published:
        raise ValidationError({"template": ["Only published templates can be favorited."]})
    favorite, created = Favorite.objects.get_or_create(user=user, template=template)
    if created:
        record_audit_event(
            action="favorite.added",
            target=favorite,
            actor=user,
            changes={"template_id": template.pk},
        )
    return favorite, created


def favorite_remove(*, user, template_id: int) -> None:
    """Unmark a favorite; 404 when it was not one."""
    with transaction.atomic():
        deleted, _ = Favorite.objects.filter(user=user, template_id=template_id).delete()
        if not deleted:
            raise Http404("This template is not among your favorites.")
        record_audit_event(
            action="favorite.removed",
            target_type="templates_app.favorite",
            actor=user,
            changes={"template_id": template_id},
        )


@transaction.atomic
def collection_set_featured(*, collection: Collection, user, featured: bool) -> Collection:
    """Feature a public collection on the marketplace home (staff), or stop featuring it."""
    require_staff(user, permission="templates_app.change_collection")
    if featured and not collection.is_public:
        raise conflict("Only a public collection can be featured.", is_public="Is private.")
    Collection.objects.filter(pk=collection.pk).update(is_featured=featured)
    record_audit_event(
        action="collection.featured" if featured else "collection.unfeatured",
        target=collection,
        actor=user,
        changes={"is_featured": {"before": collection.is_featured, "after": featured}},
    )
    collection.is_featured = featured
    invalidate_marketplace()
    return collection
