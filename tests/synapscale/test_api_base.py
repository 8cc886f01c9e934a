"""The synapscale.api base classes: workspace scoping, roles, the error shape, pagination."""

import gzip

import pytest
from django.test import override_settings

from synapscale.api.viewsets import WorkspaceModelViewSet
from synapscale.choices import Role
from synapscale.models import Membership
from tests.conftest import client_for, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.synapscale.scoped_views")]

PROBLEM = "application/problem+json"


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"].startswith("https://")
    return body


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


def test_malformed_json_is_400_problem(api_client, workspace):
    body = assert_problem(
        api_client.post("/api/v1/scoped/", data=b'{"role": ', content_type="application/json"),
        400,
    )
    assert "Malformed JSON" in body["detail"]


def test_wrong_content_type_is_415_problem(api_client):
    assert_problem(
        api_client.post("/api/v1/scoped/", data=b"role=x", content_type="text/plain"), 415
    )


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_body_over_the_limit_is_413_problem(api_client):
    payload = b'{"role": "' + b"x" * 2000 + b'"}'
    assert_problem(
        api_client.post("/api/v1/scoped/", data=payload, content_type="application/json"), 413
    )


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_gzip_bomb_is_413_problem(api_client):
    payload = gzip.compress(b'{"role": "' + b"x" * 100_000 + b'"}')
    assert len(payload) < 1000
    assert_problem(
        api_client.post(
            "/api/v1/scoped/",
            data=payload,
            content_type="application/json",
            HTTP_CONTENT_ENCODING="gzip",
        ),
        413,
    )


def test_gzip_body_is_accepted(api_client, user, other_user, workspace):
    payload = gzip.compress(b'{"role": "viewer", "user": %d}' % other_user.id)
    response = api_client.post(
        "/api/v1/scoped/",
        data=payload,
        content_type="application/json",
        HTTP_CONTENT_ENCODING="gzip",
    )
    assert response.status_code == 201, response.content
    assert Membership.objects.get(workspace=workspace, user=other_user).role == "viewer"


def test_corrupt_gzip_is_400_problem(api_client):
    assert_problem(
        api_client.post(
            "/api/v1/scoped/",
            data=b"not gzip at all",
            content_type="application/json",
            HTTP_CONTENT_ENCODING="gzip",
        ),
        400,
    )


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


def test_nul_character_in_a_json_body_is_400_naming_the_path(api_client):
    body = assert_problem(
        api_client.post(
            "/api/v1/scoped/",
            data=b'{"role": "member", "meta": {"notes": ["ok", "bad\\u0000"]}}',
            content_type="application/json",
        ),
        400,
    )
    assert body["errors"] == {"meta.notes.1": ["The NUL character is not allowed."]}


def test_nul_character_in_a_json_key_is_400(api_client):
    body = assert_problem(
        api_client.post(
            "/api/v1/scoped/", data=b'{"ro\\u0000le": 1}', content_type="application/json"
        ),
        400,
    )
    assert list(body["errors"]) == ["ro\x00le"]


def test_an_escaped_backslash_before_u0000_is_not_a_nul(api_client, other_user):
    response = api_client.post(
        "/api/v1/scoped/",
        data=b'{"role": "member", "user": %d, "note": "C:\\\\u0000"}' % other_user.id,
        content_type="application/json",
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("query", ["role=a%00b", "role=x&role=%00", "ro%00le=x"])
def test_nul_character_in_the_query_string_is_400(api_client, query):
    body = assert_problem(api_client.get(f"/api/v1/scoped/?{query}"), 400)
    assert body["errors"]


def test_json_nested_too_deeply_for_python_is_400_not_500(api_client):
    deep = b'{"role": "member", "meta": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = api_client.post("/api/v1/scoped/", data=deep, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def test_json_deeper_than_the_limit_is_refused_and_at_the_limit_accepted(api_client, other_user):
    from synapscale.api.parsers import MAX_JSON_DEPTH

    def nested(levels):
        return b"[" * (levels - 1) + b"1" + b"]" * (levels - 1)

    too_deep = b'{"role": "member", "meta": ' + nested(MAX_JSON_DEPTH + 1) + b"}"
    body = assert_problem(
        api_client.post("/api/v1/scoped/", data=too_deep, content_type="application/json"), 400
    )
    assert "nested more than 128" in body["detail"]
    fits = b'{"role": "member", "user": %d, "meta": %s}' % (
        other_user.id,
        nested(MAX_JSON_DEPTH - 1),
    )
    response = api_client.post("/api/v1/scoped/", data=fits, content_type="application/json")
    assert response.status_code == 201, response.content


def test_a_view_validating_each_item_itself_receives_nul_characters(api_client):
    from tests.synapscale.scoped_views import RefViewSet

    RefViewSet.validates_nul_per_item = True
    try:
        response = api_client.post(
            "/api/v1/refs/", data=b'{"membership": "x\\u0000"}', content_type="application/json"
        )
    finally:
        del RefViewSet.validates_nul_per_item
    # The view's own validation answers (the id is not a number), not the parser's NUL check.
    assert response.status_code == 400
    assert "NUL" not in str(response.json()["errors"])


@pytest.mark.parametrize(
    ("text", "real"),
    [("a\x00b", True), ("\\u0000", False), ("\\\x00", True), ("\\\\u0000", False), ("ok", False)],
)
def test_has_nul_tells_a_real_nul_from_the_text_backslash_u0000(text, real):
    import orjson

    from synapscale.api.parsers import has_nul

    assert has_nul(orjson.dumps({"k": text})) is real


def test_a_deep_and_wide_body_is_checked_in_memory_proportional_to_its_size():
    import tracemalloc

    from synapscale.api.parsers import nul_path

    body: dict = {"tail": [0] * 20_000 + ["x\x00"]}
    for level in range(100):
        body = {("k" * 10_000) + str(level): body}
    tracemalloc.start()
    try:
        path = nul_path(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert path.endswith(".tail.20000") and path.count(".") == 101
    # Copying the 1 MB path into each of the 20,001 list items needed about 20 GB.
    assert peak < 20 * 1024 * 1024
