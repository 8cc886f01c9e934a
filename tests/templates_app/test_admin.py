"""The staff console: moderation actions call the services and leave a history on the page."""

import pytest
from django.contrib.admin import helpers
from django.test import Client

from templates_app.choices import ModerationAction, TemplateStatus
from templates_app.models import ModerationEntry, Review, Template
from templates_app.services.crud import template_submit
from templates_app.services.reviews import review_create
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/templates_app/template/"


@pytest.fixture
def staff_client(staff_user):
    staff_user.is_superuser = True  # model permissions; is_staff is what the services check
    staff_user.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def pending(make_template, user):
    return [
        template_submit(template=make_template(name=f"Pending {index}"), user=user)
        for index in range(2)
    ]


def act(client, action, objects, url=CHANGELIST, **extra):
    data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **extra}
    return client.post(url, data, follow=True)


def test_changelist_filters_and_searches_without_n_plus_one(
    staff_client, pending, published, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = staff_client.get(CHANGELIST + "?status__exact=pending_review")
    assert response.status_code == 200
    assert b"Pending 0" in response.content and b"Slack alerts" not in response.content
    found = staff_client.get(CHANGELIST + "?q=slack&is_featured__exact=0&license__exact=free")
    assert b"Slack alerts" in found.content


def test_approve_action_publishes_and_records_history_shown_on_the_page(
    staff_client, staff_user, pending
):
    response = act(staff_client, "approve", pending)
    assert b"Approved: 2." in response.content
    assert set(Template.objects.values_list("status", flat=True)) == {TemplateStatus.PUBLISHED}
    page = staff_client.get(f"{CHANGELIST}{pending[0].pk}/change/")
    assert b"moderation history" in page.content.lower()
    assert b"Approved" in page.content and staff_user.username.encode() in page.content


def test_reject_asks_for_a_reason_on_an_intermediate_page(staff_client, pending):
    first = act(staff_client, "reject", pending[:1])
    assert first.status_code == 200
    assert b"Reject templates" in first.content and b'name="reason"' in first.content
    assert Template.objects.get(pk=pending[0].pk).status == TemplateStatus.PENDING_REVIEW
    blank = act(staff_client, "reject", pending[:1], apply="1", reason="")
    assert b"This field is required" in blank.content
    done = act(staff_client, "reject", pending[:1], apply="1", reason="Missing a description")
    assert b"Rejected: 1." in done.content
    template = Template.objects.get(pk=pending[0].pk)
    assert (template.status, template.rejection_reason) == ("rejected", "Missing a description")
    entry = ModerationEntry.objects.get(template=template, action=ModerationAction.REJECTED)
    assert entry.reason == "Missing a description"


def test_refusals_are_reported_per_template(staff_client, staff_user, pending, make_template):
    own = make_template(name="Staff's own", author=staff_user)
    template_submit(template=own, user=staff_user)
    response = act(staff_client, "approve", [own, pending[0]])
    assert b"cannot moderate your own template" in response.content
    assert b"Approved: 1." in response.content
    draft = make_template(name="Still a draft")
    response = act(staff_client, "feature", [draft])
    assert b"can be featured" in response.content


def test_feature_verify_unfeature_deprecate_actions(staff_client, published):
    act(staff_client, "feature", [published])
    act(staff_client, "verify", [published])
    template = Template.objects.get(pk=published.pk)
    assert template.is_featured and template.is_verified
    act(staff_client, "unfeature", [published])
    act(staff_client, "deprecate", [published])
    template = Template.objects.get(pk=published.pk)
    assert not template.is_featured and template.status == TemplateStatus.DEPRECATED
    actions = set(
        ModerationEntry.objects.filter(template=published).values_list("action", flat=True)
    )
    assert {"featured", "verified", "unfeatured", "deprecated"} <= actions


def test_reviews_hide_and_unhide_update_the_rating(staff_client, published, other_user):
    review = review_create(template=published, user=other_user, rating=1)
    act(staff_client, "hide", [review], url="/admin/templates_app/review/")
    assert Review.objects.get(pk=review.pk).is_hidden
    assert Template.objects.get(pk=published.pk).rating_count == 0
    act(staff_client, "unhide", [review], url="/admin/templates_app/review/")
    assert Template.objects.get(pk=published.pk).rating_count == 1


def test_collections_can_be_featured_when_public(staff_client, api_client, published):
    from templates_app.models import Collection

    private = api_client.post("/api/v1/collections/", {"name": "Private"}).json()
    public = api_client.post("/api/v1/collections/", {"name": "Public", "is_public": True}).json()
    objects = list(Collection.objects.filter(pk__in=[private["id"], public["id"]]))
    response = act(staff_client, "feature", objects, url="/admin/templates_app/collection/")
    assert b"Only a public collection can be featured" in response.content
    assert set(Collection.objects.filter(is_featured=True).values_list("name", flat=True)) == {
        "Public"
    }


@pytest.mark.parametrize(
    "path",
    [
        "/admin/templates_app/review/",
        "/admin/templates_app/collection/",
        "/admin/templates_app/category/",
        "/admin/templates_app/templateinstall/",
    ],
)
def test_other_changelists_load(staff_client, published, path):
    assert staff_client.get(path).status_code == 200


def test_non_staff_cannot_open_the_console(user, pending):
    client = Client()
    client.force_login(user)
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_moderation_actions_need_the_change_permission(published):
    from django.contrib.auth.models import Permission

    view = ["templates_app.view_template", "templates_app.view_review"]
    staff_user = make_user("viewing-staff", staff=True, permissions=view)
    staff_user.user_permissions.add(Permission.objects.get(codename="view_collection"))
    client = Client()
    client.force_login(staff_user)  # staff, not a superuser: may only view templates
    for url in (CHANGELIST, "/admin/templates_app/review/", "/admin/templates_app/collection/"):
        page = client.get(url)
        assert page.status_code == 200
        assert page.context["action_form"] is None or not [
            choice
            for choice in page.context["action_form"].fields["action"].choices
            if choice[0] in {"approve", "feature", "verify", "hide", "unfeature"}
        ]
    act(client, "feature", [published])
    assert Template.objects.get(pk=published.pk).is_featured is False
    staff_user.user_permissions.add(Permission.objects.get(codename="change_template"))
    client.force_login(staff_user)
    act(client, "feature", [published])
    assert Template.objects.get(pk=published.pk).is_featured is True
