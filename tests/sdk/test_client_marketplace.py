"""The SDK against a live server: a template from draft to review, install and collections."""

import pytest
from synapscale_sdk import Conflict, SynapScale, Template

from executions.models import Workflow as WorkflowRow
from templates_app.services.categories import categories_ensure
from tests.sdk.conftest import token_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("categories")]

DEFINITION = {"nodes": [{"id": "a", "type": "set", "params": {"fields": {"x": 1}}}], "edges": []}


@pytest.fixture
def categories(transactional_db):
    categories_ensure()  # seeded by a migration; another transactional test may flush them


@pytest.fixture
def staff_sdk(live_server, staff_user):
    with SynapScale(live_server.url, token_of(staff_user)) as client:
        yield client


@pytest.fixture
def buyer_sdk(live_server, other_user):
    with SynapScale(live_server.url, token_of(other_user)) as client:
        yield client


def test_a_template_goes_from_draft_to_an_install_with_a_review(
    sdk, staff_sdk, buyer_sdk, other_workspace
):
    draft = sdk.templates.create(name="Lead router", category="automation", definition=DEFINITION)
    assert isinstance(draft, Template)
    assert draft.status == "draft"
    assert sdk.templates.patch(draft.id, short_description="Routes leads").short_description
    assert sdk.templates.submit(draft.id).status == "pending_review"
    published = staff_sdk.templates.approve(draft.id)
    assert published.status == "published"
    assert staff_sdk.templates.feature(draft.id).raw["is_featured"] is True
    assert staff_sdk.templates.unfeature(draft.id).raw["is_featured"] is False
    assert staff_sdk.templates.verify(draft.id).raw["is_verified"] is True
    actions = [entry["action"] for entry in sdk.templates.history(draft.id)]
    assert actions == ["verified", "unfeatured", "featured", "approved", "submitted"]
    versions = [(v["version"], v["status"]) for v in sdk.templates.versions(draft.id)]
    assert versions == [("1.0.0", "published")]

    found = [template.slug for template in buyer_sdk.marketplace.search("Lead")]
    assert found == [published.slug]
    assert buyer_sdk.marketplace.get(published.slug).id == draft.id
    assert buyer_sdk.marketplace.home()
    assert buyer_sdk.marketplace.categories()

    installed = buyer_sdk.marketplace.install(published.slug, name="My router")
    assert WorkflowRow.objects.get(pk=installed.id).workspace == other_workspace
    assert installed.name == "My router"
    assert installed.raw["install"]
    review = buyer_sdk.templates.review(draft.id, 5, title="Great")
    assert [r["id"] for r in sdk.templates.reviews(draft.id)] == [review["id"]]
    assert buyer_sdk.reviews.patch(review["id"], rating=4)["rating"] == 4
    assert sdk.reviews.helpful(review["id"])
    assert buyer_sdk.reviews.get(review["id"])["rating"] == 4
    buyer_sdk.reviews.delete(review["id"])
    assert list(sdk.templates.reviews(draft.id)) == []

    assert sdk.templates.deprecate(draft.id).status == "deprecated"


def test_favorites_and_collections(sdk, staff_sdk, buyer_sdk):
    ids = []
    for name in ("One", "Two"):
        template = sdk.templates.create(name=name, category="automation", definition=DEFINITION)
        sdk.templates.submit(template.id)
        ids.append(staff_sdk.templates.approve(template.id).id)

    buyer_sdk.favorites.add(ids[0])
    assert [f["template"]["id"] for f in buyer_sdk.favorites.list()] == [ids[0]]
    buyer_sdk.favorites.delete(ids[0])
    assert list(buyer_sdk.favorites.list()) == []

    collection = buyer_sdk.collections.create(name="Picks", is_public=True)
    buyer_sdk.collections.add(collection["id"], ids[0], note="first")
    buyer_sdk.collections.add(collection["id"], ids[1])
    buyer_sdk.collections.reorder(collection["id"], [ids[1], ids[0]])
    mine = buyer_sdk.collections.get(collection["id"])
    assert [item["template"]["id"] for item in mine["items"]] == [ids[1], ids[0]]
    buyer_sdk.collections.remove(collection["id"], ids[1])
    assert [c["id"] for c in sdk.collections.public()] == [collection["id"]]
    assert len(sdk.collections.get_public(collection["id"])["items"]) == 1
    buyer_sdk.collections.patch(collection["id"], name="Best picks")
    buyer_sdk.collections.delete(collection["id"])
    assert list(buyer_sdk.collections.list()) == []


def test_a_template_not_under_review_cannot_be_approved(sdk, staff_sdk):
    draft = sdk.templates.create(name="Draft", category="automation", definition=DEFINITION)
    with pytest.raises(Conflict) as err:
        staff_sdk.templates.approve(draft.id)
    assert err.value.status == 409
    sdk.templates.delete(draft.id)
    assert list(sdk.templates.list()) == []
