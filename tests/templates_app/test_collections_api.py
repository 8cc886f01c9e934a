"""Collections (workspace CRUD, items, order, public reading) and favorites."""

import pytest

from templates_app.models import CollectionItem, Favorite
from templates_app.services.moderation import template_deprecate

pytestmark = pytest.mark.django_db

URL = "/api/v1/collections/"


@pytest.fixture
def three(make_template):
    return [make_template(name=f"Pick {index}", published=True) for index in range(3)]


@pytest.fixture
def collection(api_client):
    response = api_client.post(URL, {"name": "Ops toolkit", "description": "For on-call"})
    assert response.status_code == 201, response.json()
    return response.json()


def items_url(collection):
    return f"{URL}{collection['id']}/items/"


def test_create_add_reorder_and_remove_items(api_client, collection, three):
    assert collection["slug"] == "ops-toolkit" and collection["is_public"] is False
    for template in three:
        response = api_client.post(items_url(collection), {"template": template.pk, "note": "!"})
        assert response.status_code == 201, response.json()
    duplicate = api_client.post(items_url(collection), {"template": three[0].pk})
    assert duplicate.status_code == 409
    order = [three[2].pk, three[0].pk, three[1].pk]
    reordered = api_client.post(f"{URL}{collection['id']}/reorder/", {"templates": order})
    assert reordered.status_code == 200
    assert [item["template"]["id"] for item in reordered.json()["items"]] == order
    partial = api_client.post(f"{URL}{collection['id']}/reorder/", {"templates": order[:2]})
    assert partial.status_code == 400
    assert api_client.delete(f"{items_url(collection)}{three[0].pk}/").status_code == 204
    assert api_client.delete(f"{items_url(collection)}{three[0].pk}/").status_code == 404
    body = api_client.get(f"{URL}{collection['id']}/").json()
    assert [item["template"]["id"] for item in body["items"]] == [three[2].pk, three[1].pk]


def test_only_published_templates_can_be_collected(api_client, collection, make_template):
    draft = make_template(name="Draft")
    assert api_client.post(items_url(collection), {"template": draft.pk}).status_code == 404
    assert api_client.post(items_url(collection), {"template": "x"}).status_code == 400


def test_collections_are_private_to_their_workspace_until_public(
    api_client, other_api_client, anon_client, collection, three, user
):
    api_client.post(items_url(collection), {"template": three[0].pk})
    assert other_api_client.get(f"{URL}{collection['id']}/").status_code == 404
    assert anon_client.get(f"{URL}public/{collection['id']}/").status_code == 404
    assert other_api_client.patch(f"{URL}{collection['id']}/", {"name": "Mine"}).status_code == 404

    api_client.patch(f"{URL}{collection['id']}/", {"is_public": True})
    public = anon_client.get(f"{URL}public/").json()
    assert [row["name"] for row in public["results"]] == ["Ops toolkit"]
    body = anon_client.get(f"{URL}public/{collection['id']}/").json()
    assert [item["template"]["name"] for item in body["items"]] == ["Pick 0"]
    # A deprecated template disappears from what outsiders see of the collection.
    template_deprecate(template=three[0], user=user)
    assert anon_client.get(f"{URL}public/{collection['id']}/").json()["items"] == []
    assert CollectionItem.objects.count() == 1


def test_collection_lists_do_a_bounded_number_of_queries(
    api_client, anon_client, three, django_assert_max_num_queries
):
    for index in range(4):
        created = api_client.post(URL, {"name": f"List {index}", "is_public": True}).json()
        for template in three:
            api_client.post(items_url(created), {"template": template.pk})
    with django_assert_max_num_queries(8):
        assert api_client.get(URL).json()["count"] == 4
    with django_assert_max_num_queries(6):
        assert anon_client.get(f"{URL}public/").json()["count"] == 4


def test_bad_collection_input(api_client, collection):
    assert api_client.post(URL, {"name": ""}).status_code == 400
    assert api_client.post(URL, {"name": "x", "is_public": "maybe"}).status_code == 400
    assert api_client.get(URL + "?colour=red").status_code == 400


def test_delete_a_collection(api_client, collection):
    assert api_client.delete(f"{URL}{collection['id']}/").status_code == 204
    assert api_client.get(URL).json()["count"] == 0


def test_favorites_are_personal_and_idempotent(api_client, other_api_client, three, anon_client):
    first = api_client.post("/api/v1/favorites/", {"template": three[0].pk})
    assert first.status_code == 201
    assert api_client.post("/api/v1/favorites/", {"template": three[0].pk}).status_code == 200
    api_client.post("/api/v1/favorites/", {"template": three[1].pk})
    listed = api_client.get("/api/v1/favorites/").json()
    assert [row["template"]["id"] for row in listed["results"]] == [three[1].pk, three[0].pk]
    assert other_api_client.get("/api/v1/favorites/").json()["count"] == 0
    assert other_api_client.delete(f"/api/v1/favorites/{three[0].pk}/").status_code == 404
    assert api_client.delete(f"/api/v1/favorites/{three[0].pk}/").status_code == 204
    assert Favorite.objects.count() == 1
    assert api_client.post("/api/v1/favorites/", {"template": 999999}).status_code == 404
    assert anon_client.get("/api/v1/favorites/").status_code == 401


def test_favorites_list_does_a_bounded_number_of_queries(
    api_client, make_template, django_assert_max_num_queries
):
    for index in range(8):
        template = make_template(name=f"Fav {index}", published=True)
        api_client.post("/api/v1/favorites/", {"template": template.pk})
    with django_assert_max_num_queries(5):
        assert api_client.get("/api/v1/favorites/").json()["count"] == 8


def test_another_workspaces_draft_can_be_neither_collected_nor_favorited(
    other_api_client, make_template
):
    # alice's draft, seen from bob's workspace: answered like an unknown id, nothing written.
    draft = make_template(name="Alice's unreleased idea")
    bobs = other_api_client.post(URL, {"name": "Bob's picks"}).json()
    collected = other_api_client.post(items_url(bobs), {"template": draft.pk})
    assert collected.status_code == 404
    favorited = other_api_client.post("/api/v1/favorites/", {"template": draft.pk})
    assert favorited.status_code == 404
    assert not CollectionItem.objects.exists() and not Favorite.objects.exists()
    assert "unreleased" not in str(collected.json()) + str(favorited.json())
