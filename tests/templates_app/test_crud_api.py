"""The workspace's templates over the API: CRUD, lifecycle and staff moderation."""

import pytest

from synapscale.choices import Role
from templates_app.choices import TemplateStatus
from templates_app.models import Template
from tests.templates_app.factories import set_definition

pytestmark = pytest.mark.django_db

URL = "/api/v1/templates/"


def create_body(**overrides):
    body = {
        "name": "Lead enrichment",
        "category": "sales",
        "definition": set_definition(),
        "short_description": "Enrich new leads",
        "tags": ["CRM", "Leads"],
        "version": "1.0.0",
        "license": "premium",
        "price": "9.99",
        "complexity": 2,
    }
    body.update(overrides)
    return body


@pytest.fixture
def draft(api_client, categories):
    response = api_client.post(URL, create_body(), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_create_returns_the_draft(draft, user):
    assert draft["status"] == "draft"
    assert draft["slug"] == "lead-enrichment"
    assert draft["tags"] == ["crm", "leads"]
    assert draft["category"] == {"slug": "sales", "name": "Sales"}
    assert draft["author"]["username"] == user.username


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"version": "one"}, "version"),
        ({"version": "1.0.0\n"}, "version"),
        ({"version": "1.0.1\u0663"}, "version"),
        ({"category": "astrology"}, "category"),
        ({"definition": {"nodes": [], "edges": []}}, "definition.nodes"),
        ({"definition": {"nodes": [{"id": "a", "type": "nope"}], "edges": []}}, "definition"),
        ({"complexity": 0}, "complexity"),
        ({"price": "-1"}, "price"),
        ({"license": "free", "price": "3"}, "price"),
        ({"required_variables": [{"name": "9lives"}]}, "required_variables.0.name"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, categories, overrides, field):
    response = api_client.post(URL, create_body(**overrides), format="json")
    assert response.status_code == 400, response.json()
    assert any(key.startswith(field) for key in response.json()["errors"]), response.json()
    assert not Template.objects.exists()


def test_list_is_scoped_to_the_workspace_and_filterable(
    api_client, other_api_client, draft, django_assert_max_num_queries
):
    other_api_client.post(URL, create_body(name="Bob's own"), format="json")
    with django_assert_max_num_queries(6):
        body = api_client.get(URL + "?status=draft&category=sales").json()
    assert [row["name"] for row in body["results"]] == ["Lead enrichment"]
    assert api_client.get(URL + "?status=published").json()["count"] == 0
    assert api_client.get(URL + "?category=astrology").status_code == 400
    assert other_api_client.get(f"{URL}{draft['id']}/").status_code == 404


def test_lifecycle_over_the_api(api_client, staff_api_client, other_api_client, draft):
    detail = f"{URL}{draft['id']}/"
    assert api_client.patch(detail, {"description": "Longer text"}).status_code == 200
    assert api_client.post(detail + "submit/").json()["status"] == "pending_review"
    assert api_client.patch(detail, {"name": "Sneaky"}).status_code == 409

    assert api_client.post(f"{URL}{draft['id']}/approve/").status_code == 403
    assert other_api_client.post(f"{URL}{draft['id']}/approve/").status_code == 403
    approved = staff_api_client.post(f"{URL}{draft['id']}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "published"

    assert staff_api_client.post(f"{URL}{draft['id']}/feature/").json()["is_featured"] is True
    assert staff_api_client.post(f"{URL}{draft['id']}/verify/").json()["is_verified"] is True
    assert api_client.post(f"{URL}{draft['id']}/feature/").status_code == 403

    bump = api_client.patch(
        detail, {"definition": set_definition(3), "version": "1.1.0"}, format="json"
    )
    # The new version waits for staff; the approved one stays live, the badge goes.
    assert bump.status_code == 200
    assert (bump.json()["version"], bump.json()["status"]) == ("1.0.0", "published")
    assert bump.json()["is_verified"] is False
    assert bump.json()["definition"] == set_definition()
    assert bump.json()["pending_version"]["version"] == "1.1.0"
    assert bump.json()["pending_version"]["definition"] == set_definition(3)
    stale = api_client.patch(detail, {"definition": set_definition(4)}, format="json")
    assert stale.status_code == 400 and "version" in stale.json()["errors"]
    assert api_client.post(f"{URL}{draft['id']}/approve/").status_code == 403
    approved = staff_api_client.post(f"{URL}{draft['id']}/approve/")
    assert approved.status_code == 200 and approved.json()["version"] == "1.1.0"
    assert approved.json()["definition"] == set_definition(3)
    assert approved.json()["pending_version"] is None
    assert approved.json()["is_verified"] is True  # staff reviewed what went live

    versions = api_client.get(detail + "versions/").json()
    assert [(row["version"], row["status"]) for row in versions["results"]] == [
        ("1.1.0", "published"),
        ("1.0.0", "published"),
    ]
    history = api_client.get(detail + "history/").json()["results"]
    assert [row["action"] for row in history] == [
        "verified",
        "version_published",
        "version_submitted",
        "unverified",
        "verified",
        "featured",
        "approved",
        "submitted",
    ]
    assert api_client.delete(detail).status_code == 409

    deprecated = api_client.post(detail + "deprecate/", {"reason": "Replaced"})
    assert deprecated.status_code == 200
    assert deprecated.json()["status"] == "deprecated" and deprecated.json()["is_featured"] is False
    assert staff_api_client.post(f"{URL}{draft['id']}/unfeature/").status_code == 200


def test_reject_needs_a_reason(api_client, staff_api_client, draft):
    api_client.post(f"{URL}{draft['id']}/submit/")
    missing = staff_api_client.post(f"{URL}{draft['id']}/reject/", {})
    assert missing.status_code == 400 and "reason" in missing.json()["errors"]
    rejected = staff_api_client.post(f"{URL}{draft['id']}/reject/", {"reason": "No docs"})
    assert rejected.json()["status"] == TemplateStatus.REJECTED
    assert rejected.json()["rejection_reason"] == "No docs"
    assert staff_api_client.post(f"{URL}{draft['id']}/approve/").status_code == 409


def test_moderating_an_unknown_template_is_a_404(staff_api_client):
    assert staff_api_client.post(f"{URL}999999/approve/").status_code == 404


def test_viewers_read_but_cannot_write(other_api_client, other_user, make_member, workspace, draft):
    make_member(workspace, other_user, Role.VIEWER)
    headers = {"HTTP_X_WORKSPACE": workspace.slug}
    assert other_api_client.get(URL, **headers).json()["count"] == 1
    response = other_api_client.post(URL, create_body(name="x"), format="json", **headers)
    assert response.status_code == 403
    assert other_api_client.post(f"{URL}{draft['id']}/submit/", **headers).status_code == 403


def test_drafts_can_be_deleted(api_client, draft):
    assert api_client.delete(f"{URL}{draft['id']}/").status_code == 204
    assert not Template.objects.exists()


def test_anonymous_is_401(anon_client):
    assert anon_client.get(URL).status_code == 401


def nested(levels: int, leaf=1):
    for _ in range(levels):
        leaf = [leaf]
    return leaf


def test_a_definition_nested_deeper_than_32_levels_is_a_400(api_client, categories):
    # definition, nodes, node, params, fields: 5 levels; x's own lists make the rest.
    ok = api_client.post(URL, create_body(definition=set_definition(nested(27))), format="json")
    assert ok.status_code == 201, ok.json()
    deep = api_client.post(URL, create_body(definition=set_definition(nested(28))), format="json")
    assert deep.status_code == 400
    assert "32 levels" in deep.json()["errors"]["definition"][0]


def test_the_definition_size_limit_counts_bytes_not_characters(api_client, categories):
    # 90,000 "€" are 270,000 bytes of UTF-8: over the 256 KiB limit with 90,000 characters.
    body = create_body(definition=set_definition("€" * 90_000))
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert "too large" in response.json()["errors"]["definition"][0]
