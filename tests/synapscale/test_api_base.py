"""The synapscale.api base classes: workspace scoping, roles, the error shape, pagination.

Input refused before a view runs (size, gzip, NUL, nesting) is in test_api_input_limits.py.
"""

import pytest

from synapscale.api.viewsets import WorkspaceModelViewSet
from synapscale.choices import Role
from synapscale.models import Membership
from tests.api_checks import assert_problem
from tests.conftest import client_for, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.synapscale.scoped_views")]


def test_list_shows_only_the_request_workspace(api_client, workspace, other_workspace):
    response = api_client.get("/api/v1/scoped/")
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == list(Membership.objects.filter(workspace=workspace).values_list("id", flat=True))


def test_object_of_another_workspace_is_404(api_client, other_workspace):
    foreign = Membership.objects.get(workspace=other_workspace)
    body = assert_problem(api_client.get(f"/api/v1/scoped/{foreign.id}/"), 404)
    assert body["type"].endswith("not-found")


def test_x_workspace_header_selects_a_workspace_the_user_belongs_to(
    api_client, user, other_user, other_workspace, make_member
):
    make_member(other_workspace, user, Role.MEMBER)
    response = api_client.get("/api/v1/scoped/", HTTP_X_WORKSPACE=other_workspace.slug)
    assert response.status_code == 200
    assert {row["user"] for row in response.json()["results"]} == {user.id, other_user.id}


def test_x_workspace_of_a_workspace_the_user_is_not_in_is_404(api_client, other_workspace):
    assert_problem(api_client.get("/api/v1/scoped/", HTTP_X_WORKSPACE=other_workspace.slug), 404)


def test_unknown_workspace_slug_is_404(api_client):
    assert_problem(api_client.get("/api/v1/scoped/", HTTP_X_WORKSPACE="no-such-thing"), 404)


def test_viewer_may_read_but_not_write(user, other_workspace, make_member):
    make_member(other_workspace, user, Role.VIEWER)
    client = client_for(user)
    headers = {"HTTP_X_WORKSPACE": other_workspace.slug}
    assert client.get("/api/v1/scoped/", **headers).status_code == 200
    target = Membership.objects.get(workspace=other_workspace, role=Role.OWNER)
    body = assert_problem(
        client.patch(f"/api/v1/scoped/{target.id}/", {"role": "viewer"}, format="json", **headers),
        403,
    )
    assert "role" in body["detail"].lower()
    assert_problem(client.delete(f"/api/v1/scoped/{target.id}/", **headers), 403)
    target.refresh_from_db()
    assert target.role == Role.OWNER


def test_member_may_write(user, other_workspace, make_member):
    membership = make_member(other_workspace, user, Role.MEMBER)
    client = client_for(user)
    response = client.patch(
        f"/api/v1/scoped/{membership.id}/",
        {"role": "admin"},
        format="json",
        HTTP_X_WORKSPACE=other_workspace.slug,
    )
    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.role == "admin"


def test_anonymous_gets_401_problem(anon_client):
    assert_problem(anon_client.get("/api/v1/scoped/"), 401)


def test_unknown_query_parameter_on_a_list_is_400_problem(api_client):
    body = assert_problem(api_client.get("/api/v1/scoped/?rol=owner&colour=red"), 400)
    assert set(body["errors"]) == {"rol", "colour"}


def test_invalid_filter_value_is_400_problem(api_client):
    body = assert_problem(api_client.get("/api/v1/scoped/?role=emperor"), 400)
    assert "role" in body["errors"]


def test_known_filter_narrows_the_list(api_client, workspace, other_user, make_member):
    make_member(workspace, other_user, Role.VIEWER)
    response = api_client.get("/api/v1/scoped/?role=viewer")
    assert [row["user"] for row in response.json()["results"]] == [other_user.id]


def test_field_errors_are_mapped_by_path(api_client):
    body = assert_problem(
        api_client.post("/api/v1/scoped/", {"role": "emperor"}, format="json"), 400
    )
    assert set(body["errors"]) == {"role", "user"}
    assert body["detail"] == "The request has invalid fields."


def test_page_size_is_capped(api_client, workspace, django_assert_max_num_queries):
    for index in range(5):
        Membership.objects.create(workspace=workspace, user=make_user(f"member{index}"))
    with django_assert_max_num_queries(6):
        response = api_client.get("/api/v1/scoped/?page_size=2")
    body = response.json()
    assert body["count"] == 6
    assert len(body["results"]) == 2
    assert body["next"]


def test_request_id_is_generated_and_echoed(api_client):
    generated = api_client.get("/api/v1/scoped/")
    assert len(generated["X-Request-ID"]) == 32
    echoed = api_client.get("/api/v1/scoped/", HTTP_X_REQUEST_ID="client-req-12345")
    assert echoed["X-Request-ID"] == "client-req-12345"
    forged = api_client.get("/api/v1/scoped/", HTTP_X_REQUEST_ID="bad id\nINFO fake line")
    assert forged["X-Request-ID"] != "bad id\nINFO fake line"


def test_a_subclass_cannot_override_get_queryset():
    with pytest.raises(TypeError, match="must not override get_queryset"):

        class Leaky(WorkspaceModelViewSet):
            def get_queryset(self):
                return Membership.objects.all()


def test_cursor_pagination_walks_newest_first_without_repeats(api_client, workspace):
    for index in range(5):
        Membership.objects.create(workspace=workspace, user=make_user(f"c{index}"))
    seen, url = [], "/api/v1/cursor/?page_size=2"
    while url:
        body = api_client.get(url).json()
        assert "count" not in body  # a cursor page never counts the whole table
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    expected = Membership.objects.filter(workspace=workspace).order_by("-created_at", "-id")
    assert seen == list(expected.values_list("id", flat=True))


def test_search_and_ordering_backends_are_on(api_client, workspace, other_user, make_member):
    make_member(workspace, other_user, Role.VIEWER)
    found = api_client.get("/api/v1/scoped/?search=bo").json()["results"]
    assert [row["user"] for row in found] == [other_user.id]
    ordered = api_client.get("/api/v1/scoped/?ordering=-role").json()["results"]
    assert [row["role"] for row in ordered] == ["viewer", "owner"]


def test_session_authentication_works_for_the_browsable_api(client, user):
    client.force_login(user)
    response = client.get("/api/v1/scoped/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200


def test_a_mixin_listed_first_cannot_bring_its_own_get_queryset():
    class UnscopedMixin:
        def get_queryset(self):
            return Membership.objects.all()

    with pytest.raises(TypeError, match="must not override get_queryset"):

        class Sneaky(UnscopedMixin, WorkspaceModelViewSet):
            pass


def test_scope_queryset_returning_everything_is_still_scoped(rf, user, workspace, other_workspace):
    class Widening(WorkspaceModelViewSet):
        queryset = Membership.objects.all()

        def scope_queryset(self, queryset):
            return Membership.objects.all()  # a bug in a subclass: the scope is applied again

    view = Widening()
    view.request = rf.get("/")
    view.request.workspace = workspace
    assert set(view.get_queryset()) == set(Membership.objects.filter(workspace=workspace))


def test_a_body_naming_another_workspace_is_ignored_on_create(
    api_client, workspace, other_workspace
):
    from tests.synapscale.scoped_views import MembershipSerializer

    newcomer = make_user("carla")
    MembershipSerializer.Meta.fields = ["id", "role", "user", "workspace"]
    try:
        response = api_client.post(
            "/api/v1/scoped/",
            {"user": newcomer.id, "role": "member", "workspace": other_workspace.id},
            format="json",
        )
    finally:
        MembershipSerializer.Meta.fields = ["id", "role", "user"]
    assert response.status_code == 201, response.content
    assert Membership.objects.get(pk=response.json()["id"]).workspace == workspace


def test_anonymous_on_a_view_that_allows_them_sees_nothing_instead_of_a_500(anon_client, workspace):
    response = anon_client.get("/api/v1/public/")
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("header", ["a\x00b", "x" * 81, "../etc", "space here"])
def test_malformed_workspace_header_is_404_not_500(api_client, header):
    assert_problem(api_client.get("/api/v1/scoped/", HTTP_X_WORKSPACE=header), 404)


def test_page_size_above_the_maximum_is_capped_at_200(api_client, workspace, settings):
    users = [make_user(f"bulk{index}") for index in range(205)]
    Membership.objects.bulk_create(
        [Membership(workspace=workspace, user=u, role=Role.VIEWER) for u in users]
    )
    body = api_client.get("/api/v1/scoped/?page_size=1000").json()
    assert body["count"] == 206
    assert len(body["results"]) == 200


def test_workspace_related_field_refuses_another_workspaces_object(
    api_client, workspace, other_workspace
):
    mine = Membership.objects.get(workspace=workspace)
    theirs = Membership.objects.get(workspace=other_workspace)
    ok = api_client.post("/api/v1/refs/", {"membership": mine.id}, format="json")
    assert ok.status_code == 200 and ok.json() == {"membership": mine.id}
    body = assert_problem(
        api_client.post("/api/v1/refs/", {"membership": theirs.id}, format="json"), 400
    )
    assert "does not exist" in body["errors"]["membership"][0]
