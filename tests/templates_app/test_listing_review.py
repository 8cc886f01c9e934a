"""A published template's text, license and price change only through staff review."""

from decimal import Decimal

import pytest

from templates_app.models import ModerationEntry, Template, TemplateVersion
from templates_app.services.moderation import template_set_verified

pytestmark = pytest.mark.django_db

URL = "/api/v1/templates/"


@pytest.fixture
def verified(published, staff_user):
    return template_set_verified(template=published, user=staff_user, verified=True)


def marketplace_page(anon_client, template):
    return anon_client.get(f"/api/v1/marketplace/templates/{template.slug}/").json()


@pytest.mark.parametrize(
    "change",
    [
        {"description": "Now also wires money to me."},
        {"name": "Totally different"},
        {"license": "premium", "price": "49.00"},
    ],
)
def test_text_license_or_price_wait_for_review_and_clear_the_badge(
    verified, api_client, anon_client, staff_api_client, change, django_capture_on_commit_callbacks
):
    before = marketplace_page(anon_client, verified)
    without_version = api_client.patch(f"{URL}{verified.pk}/", change, format="json")
    assert without_version.status_code == 400
    assert "version" in without_version.json()["errors"]

    with django_capture_on_commit_callbacks(execute=True):  # the cache is dropped on commit
        response = api_client.patch(
            f"{URL}{verified.pk}/", {**change, "version": "1.1.0"}, format="json"
        )
    assert response.status_code == 200, response.content
    assert response.json()["pending_version"]["listing"] == change
    page = marketplace_page(anon_client, verified)
    assert {key: page[key] for key in change if key in page} == {
        key: before[key] for key in change if key in before
    }
    assert page["is_verified"] is False

    with django_capture_on_commit_callbacks(execute=True):
        assert staff_api_client.post(f"{URL}{verified.pk}/approve/").status_code == 200
    assert marketplace_page(anon_client, verified)["is_verified"] is True
    approved = Template.objects.get(pk=verified.pk)
    for key, value in change.items():
        expected = Decimal(value) if key == "price" else value
        assert getattr(approved, key) == expected
    assert (approved.version, approved.is_verified) == ("1.1.0", True)
    assert TemplateVersion.objects.get(template=verified, version="1.1.0").status == "published"
    actions = list(
        ModerationEntry.objects.filter(template=verified).values_list("action", flat=True)
    )
    assert actions[:3] == ["verified", "version_published", "version_submitted"]


def test_a_rejected_listing_change_never_goes_live(verified, api_client, staff_api_client):
    api_client.patch(
        f"{URL}{verified.pk}/",
        {"price": "99.00", "license": "premium", "version": "1.0.1"},
        format="json",
    )
    response = staff_api_client.post(f"{URL}{verified.pk}/reject/", {"reason": "No"}, format="json")
    assert response.status_code == 200
    template = Template.objects.get(pk=verified.pk)
    assert (template.license, template.price, template.version) == ("free", 0, "1.0.0")


def test_category_and_tags_still_change_in_place(published, api_client):
    response = api_client.patch(f"{URL}{published.pk}/", {"tags": ["ops"]}, format="json")
    assert response.status_code == 200 and response.json()["tags"] == ["ops"]
    assert response.json()["pending_version"] is None
