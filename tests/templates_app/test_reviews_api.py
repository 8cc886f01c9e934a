"""Reviews: who may write them, one per user, helpful votes, and exact rating aggregates."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from templates_app.models import Review, Template
from templates_app.ranking import bayesian_rating
from templates_app.services.reviews import review_create, review_set_hidden
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db


def reviews_url(template):
    return f"/api/v1/templates/{template.pk}/reviews/"


def test_a_user_reviews_a_published_template_once(other_api_client, published):
    response = other_api_client.post(
        reviews_url(published), {"rating": 4, "title": "Solid", "body": "Saved me an hour."}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["user"]["username"] == "bob"
    again = other_api_client.post(reviews_url(published), {"rating": 5})
    assert again.status_code == 409
    assert "template" in again.json()["errors"]
    published.refresh_from_db()
    assert (published.rating_avg, published.rating_count) == (Decimal("4.00"), 1)
    assert published.rating_score == pytest.approx(bayesian_rating(rating_sum=4, rating_count=1))


@pytest.mark.parametrize("rating", [0, 6, "five", None])
def test_a_rating_outside_1_to_5_is_a_400(other_api_client, published, rating):
    response = other_api_client.post(reviews_url(published), {"rating": rating}, format="json")
    assert response.status_code == 400
    assert "rating" in response.json()["errors"]


def test_authors_cannot_review_their_own_template(api_client, published):
    assert api_client.post(reviews_url(published), {"rating": 5}).status_code == 403


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
def test_members_of_the_templates_workspace_cannot_review_it(
    published, workspace, make_member, role
):
    teammate = make_user(f"teammate-{role}")
    make_member(workspace, teammate, role)
    response = client_for(teammate).post(reviews_url(published), {"rating": 5})
    assert response.status_code == 403
    assert "workspace you belong to" in response.json()["detail"]
    assert not Review.objects.filter(template=published).exists()


def test_drafts_and_unknown_templates_cannot_be_reviewed(other_api_client, make_template):
    draft = make_template()
    assert other_api_client.post(reviews_url(draft), {"rating": 3}).status_code == 404
    assert (
        other_api_client.post("/api/v1/templates/999999/reviews/", {"rating": 3}).status_code == 404
    )


def test_anyone_reads_reviews_but_hidden_ones_only_their_writer(
    anon_client, other_api_client, published, other_user, staff_user
):
    review = review_create(template=published, user=other_user, rating=1, body="spam")
    review_set_hidden(review=review, user=staff_user, hidden=True)
    assert anon_client.get(reviews_url(published)).json()["count"] == 0
    assert other_api_client.get(reviews_url(published)).json()["count"] == 1
    assert anon_client.post(reviews_url(published), {"rating": 5}).status_code == 401
    published.refresh_from_db()
    assert published.rating_count == 0


def test_review_list_filters_and_orders(anon_client, published):
    for index, rating in enumerate([5, 3, 5]):
        review_create(template=published, user=make_user(f"critic{index}"), rating=rating)
    assert anon_client.get(reviews_url(published) + "?rating=5").json()["count"] == 2
    ordered = anon_client.get(reviews_url(published) + "?ordering=rating").json()["results"]
    assert [row["rating"] for row in ordered] == [3, 5, 5]
    assert anon_client.get(reviews_url(published) + "?stars=5").status_code == 400


def test_writers_edit_and_delete_only_their_own_review(
    other_api_client, api_client, published, other_user
):
    review = review_create(template=published, user=other_user, rating=2)
    url = f"/api/v1/reviews/{review.pk}/"
    assert api_client.patch(url, {"rating": 5}).status_code == 403
    response = other_api_client.patch(url, {"rating": 5, "title": "Better now"})
    assert response.status_code == 200 and response.json()["rating"] == 5
    published.refresh_from_db()
    assert published.rating_avg == Decimal("5.00")
    assert other_api_client.patch(url, {"rating": 9}).status_code == 400
    assert api_client.delete(url).status_code == 403
    assert other_api_client.delete(url).status_code == 204
    published.refresh_from_db()
    assert (published.rating_avg, published.rating_count) == (Decimal("0.00"), 0)


def test_helpful_votes_count_once_per_user_and_not_ones_own(
    api_client, other_api_client, published, other_user
):
    review = review_create(template=published, user=other_user, rating=4)
    url = f"/api/v1/reviews/{review.pk}/helpful/"
    response = api_client.post(url)
    assert response.status_code == 200 and response.json()["helpful_count"] == 1
    assert api_client.post(url).status_code == 409
    assert other_api_client.post(url).status_code == 403
    assert Review.objects.get(pk=review.pk).helpful_count == 1


def test_review_list_does_a_bounded_number_of_queries(
    anon_client, published, django_assert_max_num_queries
):
    for index in range(10):
        review_create(template=published, user=make_user(f"fan{index}"), rating=4)
    with django_assert_max_num_queries(4):
        assert anon_client.get(reviews_url(published)).json()["count"] == 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_reviews_leave_exact_aggregates(make_template):
    template = make_template(published=True, name="Popular template")
    ratings = [5, 4, 3, 5, 2, 5, 1, 4, 5, 3]
    reviewers = [make_user(f"concurrent{index}") for index in range(len(ratings))]
    barrier = threading.Barrier(len(ratings))
    errors = []

    def write(reviewer, rating):
        try:
            barrier.wait()
            client_for(reviewer).post(reviews_url(template), {"rating": rating})
        except Exception as exc:  # pragma: no cover - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=(reviewer, rating))
        for reviewer, rating in zip(reviewers, ratings, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    template = Template.objects.get(pk=template.pk)
    assert template.rating_count == len(ratings) == Review.objects.count()
    assert template.rating_avg == Decimal(sum(ratings)) / len(ratings)
    assert template.rating_score == pytest.approx(
        bayesian_rating(rating_sum=sum(ratings), rating_count=len(ratings))
    )


@pytest.mark.django_db(transaction=True)
def test_review_edit_hide_and_delete_racing_new_reviews_leave_exact_aggregates(
    make_template, staff_user
):
    template = make_template(published=True, name="Contested template")
    editor, hidden, deleter = (make_user(name) for name in ("editor", "hidden", "deleter"))
    edited = review_create(template=template, user=editor, rating=1)
    to_hide = review_create(template=template, user=hidden, rating=1)
    to_delete = review_create(template=template, user=deleter, rating=1)
    newcomers = [make_user(f"newcomer{index}") for index in range(6)]
    barrier = threading.Barrier(len(newcomers) + 3)
    results, errors = [], []

    def run(label, call):
        try:
            barrier.wait()
            results.append((label, call()))
        except Exception as exc:  # pragma: no cover - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def create(user):
        return client_for(user).post(reviews_url(template), {"rating": 5}).status_code

    def edit():
        return client_for(editor).patch(f"/api/v1/reviews/{edited.pk}/", {"rating": 3}).status_code

    def delete():
        return client_for(deleter).delete(f"/api/v1/reviews/{to_delete.pk}/").status_code

    def hide():  # staff hide in the admin, which calls the service
        return review_set_hidden(review=to_hide, user=staff_user, hidden=True).is_hidden

    calls = [
        (f"create-{index}", lambda user=user: create(user)) for index, user in enumerate(newcomers)
    ]
    calls += [("edit", edit), ("delete", delete), ("hide", hide)]
    threads = [threading.Thread(target=run, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    statuses = dict(results)
    assert [statuses[f"create-{index}"] for index in range(len(newcomers))] == [201] * 6
    assert (statuses["edit"], statuses["delete"], statuses["hide"]) == (200, 204, True)
    template = Template.objects.get(pk=template.pk)
    visible = [5] * len(newcomers) + [3]  # the edit; the hidden and the deleted count for nothing
    assert template.rating_count == len(visible)
    assert template.rating_avg == (Decimal(sum(visible)) / len(visible)).quantize(Decimal("0.01"))
    assert template.rating_score == pytest.approx(
        bayesian_rating(rating_sum=sum(visible), rating_count=len(visible))
    )
