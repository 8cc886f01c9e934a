"""Input the platform refuses for every app (NUL, nesting, out-of-range), at our endpoints.

The parser, the query-string middleware and the exception handler of `synapscale.api` do the
refusing; these tests pin that the marketplace's endpoints answer 4xx for it, write nothing,
and never 500.
"""

import pytest

from templates_app.models import Review, Template, TemplateInstall
from tests.templates_app.factories import set_definition

pytestmark = pytest.mark.django_db

URL = "/api/v1/templates/"
HUGE = 10**20  # beyond bigint
CHANNEL_DEFINITION = {
    "nodes": [{"id": "n", "type": "set", "params": {"fields": {"c": "{{channel}}"}}}],
    "edges": [],
}


def create_body(**overrides):
    return {"name": "Probe", "category": "automation", "definition": set_definition(), **overrides}


def nested(levels: int, leaf="x"):
    for _ in range(levels):
        leaf = [leaf]
    return leaf


@pytest.fixture
def alerts(make_template):
    return make_template(
        name="Alerts",
        definition=CHANNEL_DEFINITION,
        required_variables=[{"name": "channel", "type": "string"}],
        published=True,
    )


def with_nul_key():
    definition = set_definition()
    definition["nodes"][0]["params"]["fields"] = {"a\u0000": 1}
    return definition


@pytest.mark.parametrize(
    "overrides",
    [
        {"definition": set_definition("a\u0000b")},
        {"definition": with_nul_key()},
        {"required_variables": [{"name": "x", "description": "a\u0000"}]},
        {"name": "Pro\u0000be"},
        {"definition": set_definition(nested(900))},
    ],
    ids=["nul-value", "nul-key", "nul-variable", "nul-name", "900-levels"],
)
def test_create_refuses_nul_and_deep_bodies(api_client, categories, overrides):
    response = api_client.post(URL, create_body(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert not Template.objects.exists()


def test_patch_refuses_a_nul_definition(api_client, make_template):
    draft = make_template(name="Draft")
    response = api_client.patch(
        f"{URL}{draft.pk}/", {"definition": set_definition("\u0000")}, format="json"
    )
    assert response.status_code == 400
    assert Template.objects.get(pk=draft.pk).definition == set_definition()


@pytest.mark.parametrize("channel", ["a\u0000b", nested(900)], ids=["nul", "900-levels"])
def test_install_refuses_nul_and_deep_variables(other_api_client, alerts, channel):
    response = other_api_client.post(
        f"{URL}{alerts.pk}/install/", {"variables": {"channel": channel}}, format="json"
    )
    assert response.status_code == 400
    assert not TemplateInstall.objects.exists()


def test_reviews_refuse_nul(other_api_client, published):
    response = other_api_client.post(
        f"{URL}{published.pk}/reviews/", {"rating": 4, "title": "G\u0000od"}, format="json"
    )
    assert response.status_code == 400
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    "query",
    ["q=%00", "author=a%00", "tags=a%00b", "category=auto%00", "page=1%00", "sort=new%00est"],
)
def test_marketplace_refuses_nul_in_query_parameters(anon_client, published, query):
    response = anon_client.get(f"/api/v1/marketplace/templates/?{query}")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    ["price_min=1e1001", "price_min=1e100000", "rating_min=NaN"],
)
def test_marketplace_out_of_range_numbers_are_4xx(anon_client, published, query):
    assert 400 <= anon_client.get(f"/api/v1/marketplace/templates/?{query}").status_code < 500


def test_a_vanishingly_small_price_is_just_a_small_price(anon_client, published):
    body = anon_client.get("/api/v1/marketplace/templates/?price_max=1e-1001").json()
    assert [row["slug"] for row in body["results"]] == [published.slug]  # free: price 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"{URL}{HUGE}/"),
        ("post", f"{URL}{HUGE}/submit/"),
        ("post", f"{URL}{HUGE}/install/"),
        ("get", f"{URL}{HUGE}/reviews/"),
        ("delete", f"/api/v1/favorites/{HUGE}/"),
        ("get", f"/api/v1/reviews/{HUGE}/"),
        ("get", f"/api/v1/collections/public/{HUGE}/"),
    ],
)
def test_ids_beyond_bigint_in_paths_are_4xx(api_client, categories, method, path):
    response = getattr(api_client, method)(path)
    assert 400 <= response.status_code < 500


def test_ids_beyond_bigint_in_bodies_are_4xx(api_client, staff_api_client, categories):
    assert staff_api_client.post(f"{URL}{HUGE}/approve/").status_code in (400, 404)
    assert 400 <= api_client.post("/api/v1/favorites/", {"template": HUGE}).status_code < 500
    collection = api_client.post("/api/v1/collections/", {"name": "x"}).json()
    items = f"/api/v1/collections/{collection['id']}/items/"
    assert 400 <= api_client.post(items, {"template": HUGE}).status_code < 500
    assert 400 <= api_client.delete(f"{items}{HUGE}/").status_code < 500
