"""Marketplace reads are cached and dropped when what they show changes."""

import pytest

from templates_app.services.crud import template_submit, template_update
from templates_app.services.moderation import (
    template_approve,
    template_deprecate,
    template_set_featured,
)
from templates_app.services.reviews import review_create, review_set_hidden

pytestmark = pytest.mark.django_db

SEARCH_URL = "/api/v1/marketplace/templates/?sort=newest"


@pytest.fixture
def warm(anon_client):
    """Return ``warm()`` that reads the search page twice and checks the second is cached."""

    def warm():
        assert anon_client.get(SEARCH_URL).json()["is_cached"] is False
        body = anon_client.get(SEARCH_URL).json()
        assert body["is_cached"] is True
        return body

    return warm


def fresh(anon_client):
    body = anon_client.get(SEARCH_URL).json()
    assert body["is_cached"] is False
    return body


def test_publishing_invalidates(
    anon_client, warm, make_template, user, staff_user, django_capture_on_commit_callbacks
):
    warm()
    template = template_submit(template=make_template(name="Fresh arrival"), user=user)
    with django_capture_on_commit_callbacks(execute=True):
        template_approve(template=template, user=staff_user)
    assert [row["name"] for row in fresh(anon_client)["results"]] == ["Fresh arrival"]


def test_changing_a_published_template_invalidates(
    anon_client, warm, published, user, django_capture_on_commit_callbacks
):
    warm()
    with django_capture_on_commit_callbacks(execute=True):
        template_update(template=published, user=user, tags=["retries"])
    assert fresh(anon_client)["results"][0]["tags"] == ["retries"]


def test_featuring_invalidates(
    anon_client, warm, published, staff_user, django_capture_on_commit_callbacks
):
    warm()
    with django_capture_on_commit_callbacks(execute=True):
        template_set_featured(template=published, user=staff_user, featured=True)
    assert fresh(anon_client)["results"][0]["is_featured"] is True


def test_deprecating_invalidates(
    anon_client, warm, published, user, django_capture_on_commit_callbacks
):
    warm()
    with django_capture_on_commit_callbacks(execute=True):
        template_deprecate(template=published, user=user)
    assert fresh(anon_client)["results"] == []


def test_reviewing_and_hiding_a_review_invalidate(
    anon_client, warm, published, other_user, staff_user, django_capture_on_commit_callbacks
):
    warm()
    with django_capture_on_commit_callbacks(execute=True):
        review = review_create(template=published, user=other_user, rating=2)
    assert fresh(anon_client)["results"][0]["rating_count"] == 1
    assert anon_client.get(SEARCH_URL).json()["is_cached"] is True
    with django_capture_on_commit_callbacks(execute=True):
        review_set_hidden(review=review, user=staff_user, hidden=True)
    assert fresh(anon_client)["results"][0]["rating_count"] == 0


def test_detail_and_home_share_the_invalidation(
    anon_client, published, staff_user, django_capture_on_commit_callbacks
):
    detail = f"/api/v1/marketplace/templates/{published.slug}/"
    anon_client.get(detail)
    anon_client.get("/api/v1/marketplace/")
    assert anon_client.get(detail).json()["is_cached"] is True
    assert anon_client.get("/api/v1/marketplace/").json()["is_cached"] is True
    with django_capture_on_commit_callbacks(execute=True):
        template_set_featured(template=published, user=staff_user, featured=True)
    assert anon_client.get(detail).json()["is_featured"] is True
    assert [row["slug"] for row in anon_client.get("/api/v1/marketplace/").json()["featured"]] == [
        published.slug
    ]


def test_the_warmer_recomputes_the_home_page(anon_client, published, workspace):
    from synapscale.cache import run_warmers

    outcomes = [o for o in run_warmers(policy_name="business") if o.warmer.startswith("templates")]
    assert [(o.warmer, o.ok) for o in outcomes] == [("templates.marketplace_home", True)]
    body = anon_client.get("/api/v1/marketplace/").json()
    assert body["is_cached"] is True
    assert [row["slug"] for row in body["newest"]] == [published.slug]


def test_review_edit_delete_and_unhide_through_the_api_invalidate(
    anon_client, warm, published, other_api_client, staff_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = other_api_client.post(
            f"/api/v1/templates/{published.pk}/reviews/", {"rating": 2}, format="json"
        )
    review_url = f"/api/v1/reviews/{created.json()['id']}/"
    assert warm()["results"][0]["rating_avg"] == "2.00"

    with django_capture_on_commit_callbacks(execute=True):
        assert other_api_client.patch(review_url, {"rating": 4}).status_code == 200
    assert fresh(anon_client)["results"][0]["rating_avg"] == "4.00"

    from templates_app.models import Review

    review = Review.objects.get(pk=created.json()["id"])
    with django_capture_on_commit_callbacks(execute=True):
        review_set_hidden(review=review, user=staff_user, hidden=True)
    assert fresh(anon_client)["results"][0]["rating_count"] == 0
    assert anon_client.get(SEARCH_URL).json()["is_cached"] is True
    with django_capture_on_commit_callbacks(execute=True):
        review_set_hidden(review=review, user=staff_user, hidden=False)
    assert fresh(anon_client)["results"][0]["rating_count"] == 1

    assert anon_client.get(SEARCH_URL).json()["is_cached"] is True
    with django_capture_on_commit_callbacks(execute=True):
        assert other_api_client.delete(review_url).status_code == 204
    assert fresh(anon_client)["results"][0]["rating_count"] == 0


def test_verifying_through_the_api_invalidates(
    anon_client, warm, published, staff_api_client, django_capture_on_commit_callbacks
):
    warm()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api_client.post(f"/api/v1/templates/{published.pk}/verify/")
    assert response.status_code == 200
    assert fresh(anon_client)["results"][0]["is_verified"] is True


def test_patching_a_published_template_through_the_api_invalidates(
    anon_client, warm, published, api_client, django_capture_on_commit_callbacks
):
    detail = f"/api/v1/marketplace/templates/{published.slug}/"
    warm()
    anon_client.get(detail)
    assert anon_client.get(detail).json()["is_cached"] is True
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.patch(
            f"/api/v1/templates/{published.pk}/",
            {"tags": ["renamed"], "changelog": "Clearer name"},
            format="json",
        )
    assert response.status_code == 200
    assert fresh(anon_client)["results"][0]["tags"] == ["renamed"]
    page = anon_client.get(detail).json()
    assert (page["is_cached"], page["tags"], page["changelog"]) == (
        False,
        ["renamed"],
        "Clearer name",
    )
