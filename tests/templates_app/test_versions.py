"""New versions of a published template wait for staff review; the approved one stays live."""

import pytest
from django.core.exceptions import PermissionDenied

from synapscale.api.exceptions import ApplicationError
from templates_app.choices import ModerationAction, TemplateStatus, VersionStatus
from templates_app.models import ModerationEntry, Template, TemplateVersion
from templates_app.services.crud import template_update
from templates_app.services.moderation import (
    template_approve,
    template_deprecate,
    template_reject,
    template_set_verified,
)
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/templates/"


def definition(marker: str) -> dict:
    return {
        "nodes": [{"id": "a", "type": "set", "params": {"fields": {"x": marker}}}],
        "edges": [],
    }


@pytest.fixture
def innocent(make_template, staff_user):
    template = make_template(name="Innocent", definition=definition("SAFE"), published=True)
    return template_set_verified(template=template, user=staff_user, verified=True)


def install(client, template):
    response = client.post(f"{URL}{template.pk}/install/", {}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_bait_and_switch_serves_the_approved_definition_until_staff_approve(
    innocent,
    api_client,
    other_api_client,
    anon_client,
    staff_api_client,
    django_capture_on_commit_callbacks,
):
    swapped = api_client.patch(
        f"{URL}{innocent.pk}/",
        {"definition": definition("EVIL"), "version": "1.0.1"},
        format="json",
    )
    assert swapped.status_code == 200
    assert swapped.json()["pending_version"]["status"] == "pending_review"

    installed = install(other_api_client, innocent)
    assert "EVIL" not in str(installed["definition"]) and "SAFE" in str(installed["definition"])
    assert installed["install"]["version"] == "1.0.0"
    page = anon_client.get(f"/api/v1/marketplace/templates/{innocent.slug}/").json()
    assert (page["version"], page["definition"]) == ("1.0.0", definition("SAFE"))
    # The verified badge vouched for the approved definition, not for the new one.
    assert page["is_verified"] is False

    with django_capture_on_commit_callbacks(execute=True):  # the cache is dropped on commit
        assert staff_api_client.post(f"{URL}{innocent.pk}/approve/").status_code == 200
    assert "EVIL" in str(install(other_api_client, innocent)["definition"])
    page = anon_client.get(f"/api/v1/marketplace/templates/{innocent.slug}/").json()
    assert page["version"] == "1.0.1"


def test_a_rejected_version_never_goes_live_and_can_be_revised(innocent, user, staff_user):
    template_update(template=innocent, user=user, definition=definition("V2"), version="2.0.0")
    template = template_reject(template=innocent, user=staff_user, reason="Calls a shady URL")
    assert (template.status, template.version) == (TemplateStatus.PUBLISHED, "1.0.0")
    rejected = TemplateVersion.objects.get(template=innocent, version="2.0.0")
    assert (rejected.status, rejected.rejection_reason) == ("rejected", "Calls a shady URL")
    entry = ModerationEntry.objects.filter(template=innocent).first()
    assert (entry.action, entry.version, entry.reason) == ("rejected", "2.0.0", "Calls a shady URL")
    assert Template.objects.get(pk=innocent.pk).definition == definition("SAFE")
    with pytest.raises(ApplicationError) as caught:  # nothing waits for review any more
        template_approve(template=innocent, user=staff_user)
    assert caught.value.status_code == 409

    template_update(template=innocent, user=user, definition=definition("V2b"), version="2.0.0")
    revised = TemplateVersion.objects.get(template=innocent, version="2.0.0")
    assert (revised.status, revised.definition) == ("pending_review", definition("V2b"))
    assert revised.rejection_reason == ""
    approved = template_approve(template=innocent, user=staff_user)
    assert (approved.version, approved.definition) == ("2.0.0", definition("V2b"))


def test_a_newer_proposal_replaces_the_one_waiting(innocent, user, staff_user):
    template_update(template=innocent, user=user, definition=definition("A"), version="1.1.0")
    template_update(template=innocent, user=user, definition=definition("B"), version="1.2.0")
    pending = TemplateVersion.objects.filter(template=innocent, status=VersionStatus.PENDING_REVIEW)
    assert [(row.version, row.definition) for row in pending] == [("1.2.0", definition("B"))]
    assert template_approve(template=innocent, user=staff_user).version == "1.2.0"
    versions = TemplateVersion.objects.filter(template=innocent).values_list("version", "status")
    assert sorted(versions) == [("1.0.0", "published"), ("1.2.0", "published")]


def test_the_author_cannot_approve_their_own_new_version(make_template, staff_user):
    own = make_template(name="Staff's own", author=staff_user, published=True)
    template_update(template=own, user=staff_user, definition=definition("X"), version="1.0.1")
    with pytest.raises(PermissionDenied):
        template_approve(template=own, user=staff_user)
    with pytest.raises(PermissionDenied):
        template_reject(template=own, user=staff_user, reason="Mine")
    assert Template.objects.get(pk=own.pk).version == "1.0.0"


def test_approve_or_reject_without_a_pending_version_conflicts(published, staff_api_client):
    assert staff_api_client.post(f"{URL}{published.pk}/approve/").status_code == 409
    response = staff_api_client.post(f"{URL}{published.pk}/reject/", {"reason": "x"})
    assert response.status_code == 409


def test_text_and_definition_edits_wait_together_for_review(innocent, api_client):
    response = api_client.patch(
        f"{URL}{innocent.pk}/",
        {"name": "Innocent v2", "definition": definition("NEW"), "version": "1.1.0"},
        format="json",
    )
    body = response.json()
    assert body["name"] != "Innocent v2" and body["definition"] == definition("SAFE")
    assert body["pending_version"]["listing"] == {"name": "Innocent v2"}
    assert ModerationEntry.objects.filter(
        template=innocent, action=ModerationAction.VERSION_SUBMITTED, version="1.1.0"
    ).exists()


def test_a_changelog_only_edit_corrects_the_live_versions_notes(published, api_client):
    response = api_client.patch(
        f"{URL}{published.pk}/", {"changelog": "Fixed the retry delay"}, format="json"
    )
    assert response.status_code == 200 and response.json()["changelog"] == "Fixed the retry delay"
    live = TemplateVersion.objects.get(template=published, version=published.version)
    assert live.changelog == "Fixed the retry delay"
    versions = api_client.get(f"{URL}{published.pk}/versions/").json()["results"]
    assert versions[0]["changelog"] == "Fixed the retry delay"


def test_staff_find_templates_with_a_version_awaiting_review_in_the_admin(
    innocent, published, user, staff_user
):
    from django.test import Client

    template_update(template=innocent, user=user, definition=definition("N"), version="1.0.1")
    # A withdrawn template's proposal cannot be approved any more: not on the review list.
    template_update(template=published, user=user, definition=definition("W"), version="1.0.1")
    template_deprecate(template=published, user=user)
    staff_user.is_superuser = True
    staff_user.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(staff_user)
    page = client.get("/admin/templates_app/template/?new_version=pending")
    assert [row.pk for row in page.context["cl"].result_list] == [innocent.pk]
    change = client.get(f"/admin/templates_app/template/{innocent.pk}/change/")
    assert change.status_code == 200 and b"Pending review" in change.content
    approved = client.post(
        "/admin/templates_app/template/",
        {"action": "approve", "_selected_action": [innocent.pk]},
        follow=True,
    )
    assert b"Approved: 1." in approved.content
    assert Template.objects.get(pk=innocent.pk).version == "1.0.1"


def test_another_workspace_cannot_propose_a_version(innocent):
    stranger = client_for(make_user("stranger"))
    response = stranger.patch(
        f"{URL}{innocent.pk}/",
        {"definition": definition("EVIL"), "version": "9.0.0"},
        format="json",
    )
    assert response.status_code == 404
    assert not TemplateVersion.objects.filter(template=innocent, version="9.0.0").exists()
