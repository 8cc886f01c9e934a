"""Authoring and the lifecycle of templates, through the services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from synapscale.api.exceptions import ApplicationError
from templates_app.choices import ModerationAction, TemplateStatus
from templates_app.models import ModerationEntry, SearchTerm, Template, TemplateVersion
from templates_app.services.crud import (
    template_create,
    template_delete,
    template_submit,
    template_update,
)
from templates_app.services.moderation import (
    template_approve,
    template_deprecate,
    template_reject,
    template_set_featured,
    template_set_verified,
)
from tests.templates_app.factories import set_definition

pytestmark = pytest.mark.django_db


def test_create_makes_a_draft_with_a_unique_slug_and_normalised_tags(make_template):
    first = make_template(name="Sync CRM", tags=["CRM", "Sales Ops", "crm"])
    second = make_template(name="Sync CRM")
    assert first.status == TemplateStatus.DRAFT
    assert (first.slug, second.slug) == ("sync-crm", "sync-crm-2")
    assert first.tags == ["crm", "sales-ops"]
    first.refresh_from_db()
    assert "sync" in str(first.search_vector)


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"version": "1.0"}, "version"),
        ({"category": "astrology"}, "category"),
        ({"definition": {"nodes": [{"id": "a", "type": "teleport"}], "edges": []}}, "definition"),
        ({"complexity": 6}, "complexity"),
        ({"license": "free", "price": 5}, "price"),
        ({"definition": set_definition("{{token}}")}, "definition"),
        ({"tags": ["???"]}, "tags.0"),
    ],
)
def test_bad_fields_are_rejected_with_the_field_named(make_template, fields, path):
    with pytest.raises(ValidationError) as caught:
        make_template(**fields)
    assert any(key == path or key.startswith(path + ".") for key in caught.value.message_dict)


def test_full_lifecycle_submit_approve_deprecate_with_history(make_template, user, staff_user):
    template = make_template(name="Invoice reminders")
    template = template_submit(template=template, user=user)
    assert template.status == TemplateStatus.PENDING_REVIEW
    template = template_approve(template=template, user=staff_user)
    assert template.status == TemplateStatus.PUBLISHED
    assert template.published_at is not None
    assert TemplateVersion.objects.filter(template=template, version="1.0.0").exists()
    assert SearchTerm.objects.filter(word="invoice", document_count=1).exists()
    template = template_deprecate(template=template, user=user, reason="Superseded")
    assert template.status == TemplateStatus.DEPRECATED
    assert not SearchTerm.objects.filter(word="invoice").exists()
    actions = list(
        ModerationEntry.objects.filter(template=template)
        .order_by("created_at", "id")
        .values_list("action", "actor_id")
    )
    assert actions == [
        (ModerationAction.SUBMITTED, user.pk),
        (ModerationAction.APPROVED, staff_user.pk),
        (ModerationAction.DEPRECATED, user.pk),
    ]


def test_reject_needs_a_reason_and_can_be_resubmitted(make_template, user, staff_user):
    template = template_submit(template=make_template(), user=user)
    with pytest.raises(ValidationError):
        template_reject(template=template, user=staff_user, reason="  ")
    template = template_reject(template=template, user=staff_user, reason="Needs docs")
    assert (template.status, template.rejection_reason) == (TemplateStatus.REJECTED, "Needs docs")
    entry = ModerationEntry.objects.get(template=template, action=ModerationAction.REJECTED)
    assert entry.reason == "Needs docs"
    template = template_update(template=template, user=user, description="Now documented")
    template = template_submit(template=template, user=user)
    assert (template.status, template.rejection_reason) == (TemplateStatus.PENDING_REVIEW, "")


def test_an_author_cannot_approve_their_own_template_even_as_staff(categories, staff_user):
    from tests.templates_app.factories import TemplateFactory

    template = TemplateFactory(author=staff_user)
    template_submit(template=template, user=staff_user)
    with pytest.raises(PermissionDenied):
        template_approve(template=template, user=staff_user)


def test_non_staff_cannot_approve(make_template, user, other_user):
    template = template_submit(template=make_template(), user=user)
    with pytest.raises(PermissionDenied):
        template_approve(template=template, user=other_user)


def test_transitions_from_the_wrong_status_conflict(make_template, user, staff_user):
    draft = make_template()
    with pytest.raises(ApplicationError) as caught:
        template_approve(template=draft, user=staff_user)
    assert caught.value.status_code == 409
    with pytest.raises(ApplicationError):
        template_set_featured(template=draft, user=staff_user, featured=True)
    with pytest.raises(ApplicationError):
        template_deprecate(template=draft, user=user)
    pending = template_submit(template=draft, user=user)
    with pytest.raises(ApplicationError):
        template_update(template=pending, user=user, name="Changed under review")
    with pytest.raises(ApplicationError):
        template_submit(template=pending, user=user)


def test_published_definition_change_needs_a_newer_version(published, user):
    with pytest.raises(ValidationError) as caught:
        template_update(template=published, user=user, definition=set_definition(2))
    assert "version" in caught.value.message_dict
    with pytest.raises(ValidationError):
        template_update(
            template=published, user=user, definition=set_definition(2), version="0.9.0"
        )
    updated = template_update(
        template=published,
        user=user,
        definition=set_definition(2),
        version="1.1.0",
        changelog="x is 2",
    )
    assert (updated.status, updated.version) == (TemplateStatus.PUBLISHED, "1.0.0")
    versions = {
        row.version: (row.status, row.definition, row.changelog)
        for row in TemplateVersion.objects.filter(template=published)
    }
    assert versions == {
        "1.0.0": ("published", set_definition(1), ""),
        "1.1.0": ("pending_review", set_definition(2), "x is 2"),
    }
    assert ModerationEntry.objects.filter(
        template=published, action=ModerationAction.VERSION_SUBMITTED, version="1.1.0"
    ).exists()


def test_published_text_edit_updates_the_vocabulary_once_approved(published, user, staff_user):
    assert SearchTerm.objects.filter(word="payments").exists()
    name = "Slack alerts for failed invoices"
    template_update(template=published, user=user, name=name, version="1.0.1")
    assert SearchTerm.objects.filter(word="payments").exists()  # not live before review
    template_approve(template=published, user=staff_user)
    assert not SearchTerm.objects.filter(word="payments").exists()
    assert SearchTerm.objects.get(word="invoices").document_count == 1
    published.refresh_from_db()
    assert published.slug == "slack-alerts-for-failed-payments"  # a public address stays


def test_only_never_published_templates_can_be_deleted(make_template, published, user):
    draft = make_template()
    template_delete(template=draft, user=user)
    with pytest.raises(ApplicationError):
        template_delete(template=published, user=user)


def test_a_stranger_cannot_deprecate(published, other_user):
    with pytest.raises(PermissionDenied):
        template_deprecate(template=published, user=other_user)


def test_renaming_a_draft_renames_its_slug(make_template, user):
    draft = make_template(name="Working title")
    assert template_update(template=draft, user=user, name="Final title").slug == "final-title"
    assert template_update(template=draft, user=user, name="Final title").slug == "final-title"


def test_a_staff_author_cannot_feature_their_own_template(make_template, staff_user, user):
    own = make_template(name="Staff's own", author=staff_user, published=True)
    with pytest.raises(PermissionDenied, match="your own template"):
        template_set_featured(template=own, user=staff_user, featured=True)
    with pytest.raises(PermissionDenied):
        template_set_featured(template=own, user=staff_user, featured=False)
    assert Template.objects.get(pk=own.pk).is_featured is False


def test_only_published_templates_can_be_verified(make_template, user, staff_user):
    draft = make_template(name="Just a draft")
    with pytest.raises(ApplicationError) as caught:
        template_set_verified(template=draft, user=staff_user, verified=True)
    assert caught.value.status_code == 409
    pending = template_submit(template=draft, user=user)
    with pytest.raises(ApplicationError):
        template_set_verified(template=pending, user=staff_user, verified=True)
    assert Template.objects.get(pk=draft.pk).is_verified is False


def nested(levels: int, leaf=1):
    for _ in range(levels):
        leaf = [leaf]
    return leaf


def test_a_deep_definition_is_refused_by_the_service_without_recursion(user, workspace, categories):
    # The API's parser refuses 900 levels already; services have other callers (admin, seed).
    with pytest.raises(ValidationError) as caught:
        template_create(
            workspace=workspace,
            user=user,
            name="Deep",
            category="automation",
            definition=set_definition(nested(900)),
        )
    assert list(caught.value.message_dict) == ["definition"]
