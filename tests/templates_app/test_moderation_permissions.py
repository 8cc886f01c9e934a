"""Moderation through the API takes the model permission, not only is_staff."""

import pytest

from templates_app.models import Template
from templates_app.services.crud import template_submit
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def view_only_staff(db):
    return make_user("viewing-staff", staff=True, permissions=["templates_app.view_template"])


def test_staff_without_change_template_cannot_approve_or_feature(
    view_only_staff, make_template, published
):
    client = client_for(view_only_staff)
    pending = template_submit(template=make_template(name="Pending"), user=published.author)
    for template, verb in ((pending, "approve"), (published, "feature"), (published, "verify")):
        response = client.post(f"/api/v1/templates/{template.pk}/{verb}/")
        assert response.status_code == 403, (verb, response.content)
        assert response["Content-Type"] == "application/problem+json"
        assert "templates_app.change_template" in response.json()["detail"]
    published.refresh_from_db()
    assert (published.is_featured, published.is_verified) == (False, False)
    assert Template.objects.get(pk=pending.pk).status == "pending_review"


def test_staff_with_change_template_may(staff_api_client, published):
    response = staff_api_client.post(f"/api/v1/templates/{published.pk}/feature/")
    assert response.status_code == 200 and response.json()["is_featured"] is True
