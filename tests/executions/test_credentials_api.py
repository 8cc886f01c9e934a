"""/api/v1/credentials/: roles, write-only secrets, filters; workflows naming credentials."""

from __future__ import annotations

import pytest

from executions.models import Credential
from synapscale.choices import Role
from synapscale.encryption import decrypt_text
from tests.api_checks import WorkspaceEndpointChecks, assert_problem
from tests.conftest import client_for, make_user
from tests.executions.factories import make_credential

URL = "/api/v1/credentials/"
SECRET = "ghp_9a8b7c6d5e4f3a2b1c0d"


class TestCredentialEndpoint(WorkspaceEndpointChecks):
    list_url = URL
    update_payload = {"secret": "another-secret-123"}

    def make_object(self, workspace, user):
        return make_credential(workspace, user)

    def create_payload(self, workspace):
        return {"name": "new", "type": "bearer", "secret": SECRET}


@pytest.mark.django_db
def test_owner_creates_and_the_secret_never_comes_back(api_client, workspace):
    payload = {"name": "github", "type": "header", "header_name": "X-Token", "secret": SECRET}

    created = api_client.post(URL, payload, format="json")

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "github" and body["header_name"] == "X-Token"
    assert body["secret_hint"] == "…1c0d" and body["last_used_at"] is None
    assert "secret" not in body
    listed = api_client.get(URL)
    detail = api_client.get(f"{URL}{body['id']}/")
    for response in (created, listed, detail):
        assert SECRET not in response.content.decode()
    credential = Credential.objects.get(pk=body["id"])
    assert credential.workspace_id == workspace.id
    assert decrypt_text(credential.encrypted_secret) == SECRET


@pytest.mark.django_db
def test_patch_with_a_secret_rotates_it(api_client, workspace, user):
    credential = make_credential(workspace, user, secret=SECRET)

    response = api_client.patch(f"{URL}{credential.id}/", {"secret": SECRET + "XYZW"})

    assert response.status_code == 200
    assert response.json()["secret_hint"] == "…XYZW"
    assert SECRET not in response.content.decode()
    credential.refresh_from_db()
    assert decrypt_text(credential.encrypted_secret) == SECRET + "XYZW"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADMIN, Role.OWNER])
def test_admins_and_owners_manage_credentials_of_a_shared_workspace(
    user, other_user, other_workspace, make_member, role
):
    make_member(other_workspace, user, role)
    client, headers = client_for(user), {"HTTP_X_WORKSPACE": other_workspace.slug}
    payload = {"name": "crm", "type": "bearer", "secret": SECRET}

    created = client.post(URL, payload, format="json", **headers)
    credential_url = f"{URL}{created.json()['id']}/"
    patched = client.patch(credential_url, {"secret": SECRET + "-2"}, format="json", **headers)
    deleted = client.delete(credential_url, **headers)

    assert (created.status_code, patched.status_code, deleted.status_code) == (201, 200, 204)
    assert not Credential.objects.exists()


@pytest.mark.django_db
def test_members_list_but_may_not_create_rotate_or_delete(
    user, other_user, other_workspace, make_member
):
    make_member(other_workspace, user, Role.MEMBER)
    credential = make_credential(other_workspace, other_user)
    client, headers = client_for(user), {"HTTP_X_WORKSPACE": other_workspace.slug}

    listed = client.get(URL, **headers)

    assert [c["name"] for c in listed.json()["results"]] == ["crm"]
    payload = {"name": "mine", "type": "bearer", "secret": SECRET}
    assert_problem(client.post(URL, payload, format="json", **headers), 403)
    assert_problem(client.patch(f"{URL}{credential.id}/", {"secret": SECRET}, **headers), 403)
    assert_problem(client.delete(f"{URL}{credential.id}/", **headers), 403)
    assert Credential.objects.get(pk=credential.pk).encrypted_secret == credential.encrypted_secret


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x", "type": "bearer"}, "secret"),
        ({"name": "x", "type": "bearer", "secret": "short"}, "secret"),
        ({"name": "has space", "type": "bearer", "secret": SECRET}, "name"),
        ({"name": "x", "type": "oauth", "secret": SECRET}, "type"),
        ({"name": "x", "type": "header", "secret": SECRET}, "header_name"),
        ({"name": "x", "type": "bearer", "secret": SECRET, "username": "u"}, "username"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, payload, field):
    body = assert_problem(api_client.post(URL, payload, format="json"))

    assert field in body["errors"], body
    assert not Credential.objects.exists()


@pytest.mark.django_db
def test_a_duplicate_name_and_a_type_change_are_400(api_client, workspace, user):
    credential = make_credential(workspace, user)

    duplicate = {"name": "crm", "type": "bearer", "secret": SECRET}
    assert "name" in assert_problem(api_client.post(URL, duplicate, format="json"))["errors"]
    change = api_client.patch(f"{URL}{credential.id}/", {"type": "basic"}, format="json")
    assert "type" in assert_problem(change)["errors"]


@pytest.mark.django_db
def test_list_filters_by_type_name_and_use_and_orders(
    api_client, workspace, user, django_assert_max_num_queries
):
    make_credential(workspace, user, name="b-bearer")
    make_credential(workspace, user, name="a-basic", type="basic")
    used = make_credential(workspace, user, name="c-header", type="header")
    Credential.objects.filter(pk=used.pk).update(last_used_at="2026-01-01T00:00:00Z")

    def names(**params):
        return [c["name"] for c in api_client.get(URL, params).json()["results"]]

    with django_assert_max_num_queries(6):
        assert names() == ["a-basic", "b-bearer", "c-header"]
    assert names(type="basic,header") == ["a-basic", "c-header"]
    assert names(name="BEAR") == ["b-bearer"]
    assert names(used="true") == ["c-header"]
    assert names(ordering="-name")[0] == "c-header"
    assert_problem(api_client.get(URL, {"type": "oauth"}))
    assert_problem(api_client.get(URL, {"colour": "red"}))


def http_node(**params):
    return {"id": "call", "type": "http_request", "params": {"url": "http://x.test/", **params}}


@pytest.mark.django_db
def test_a_workflow_naming_an_unknown_credential_is_refused_at_save(api_client, workspace, user):
    make_credential(workspace, user, name="known")
    definition = {"nodes": [http_node(credential="unknown")]}

    body = assert_problem(
        api_client.post("/api/v1/workflows/", {"name": "w", "definition": definition})
    )
    checked = assert_problem(
        api_client.post("/api/v1/workflows/validate/", {"definition": definition})
    )

    assert "definition.nodes.0.params.credential" in body["errors"]
    assert "definition.nodes.0.params.credential" in checked["errors"]
    ok = {"name": "w", "definition": {"nodes": [http_node(credential="known")]}}
    assert api_client.post("/api/v1/workflows/", ok, format="json").status_code == 201


@pytest.mark.django_db
def test_another_workspaces_credential_cannot_be_named(api_client, other_workspace):
    make_credential(other_workspace, None, name="theirs")
    definition = {"nodes": [http_node(credential="theirs")]}

    assert_problem(api_client.post("/api/v1/workflows/", {"name": "w", "definition": definition}))


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Authorization", "proxy-authorization"])
def test_a_literal_authorization_header_is_refused_in_a_new_definition(api_client, header):
    definition = {"nodes": [http_node(headers={header: "Bearer abc", "X-Trace": "ok"})]}

    body = assert_problem(
        api_client.post("/api/v1/workflows/", {"name": "w", "definition": definition})
    )

    assert list(body["errors"]) == [f"definition.nodes.0.params.headers.{header}"]
    assert "credential" in body["errors"][f"definition.nodes.0.params.headers.{header}"][0]


@pytest.mark.django_db
def test_a_viewer_sees_names_but_never_a_secret(user, other_user, other_workspace, make_member):
    make_member(other_workspace, user, Role.VIEWER)
    make_credential(other_workspace, other_user, secret=SECRET)

    response = client_for(user).get(URL, HTTP_X_WORKSPACE=other_workspace.slug)

    assert response.status_code == 200
    assert SECRET not in response.content.decode()


@pytest.mark.django_db
def test_staff_see_the_admin_without_the_secret_and_create_through_the_service(
    admin_client_, workspace, user
):
    credential = make_credential(workspace, user, secret=SECRET)
    page_url = f"/admin/executions/credential/{credential.pk}/change/"

    page = admin_client_.get(page_url).content.decode()
    listing = admin_client_.get("/admin/executions/credential/").content.decode()
    added = admin_client_.post(
        "/admin/executions/credential/add/",
        {
            "workspace": workspace.pk,
            "name": "via-admin",
            "type": "basic",
            "username": "robot",
            "secret": SECRET + "-admin",
        },
    )
    refused = admin_client_.post(
        "/admin/executions/credential/add/",
        {"workspace": workspace.pk, "name": "bad", "type": "basic", "secret": SECRET},
    )
    kept = admin_client_.post(page_url, {"secret": ""})

    assert SECRET not in page and SECRET not in listing
    assert 'type="password"' in page and credential.encrypted_secret not in page
    assert added.status_code == 302
    created = Credential.objects.get(name="via-admin")
    assert decrypt_text(created.encrypted_secret) == SECRET + "-admin"
    assert created.username == "robot" and created.created_by is not None
    assert refused.status_code == 200 and "username" in refused.content.decode()
    assert not Credential.objects.filter(name="bad").exists()
    assert kept.status_code == 302
    assert Credential.objects.get(pk=credential.pk).encrypted_secret == credential.encrypted_secret


@pytest.mark.django_db
def test_a_viewer_only_staff_user_cannot_add_credentials_in_the_admin(workspace):
    from django.contrib.auth.models import Permission
    from django.test import Client

    staff = make_user("viewstaff", staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_credential"))
    client = Client()
    client.force_login(staff)

    response = client.post(
        "/admin/executions/credential/add/",
        {"workspace": workspace.pk, "name": "x", "type": "bearer", "secret": SECRET},
    )

    assert response.status_code == 403
    assert not Credential.objects.exists()


@pytest.mark.django_db
def test_staff_delete_through_the_service_and_a_new_credential_needs_its_secret(
    admin_client_, workspace, user
):
    first = make_credential(workspace, user, name="one")
    second = make_credential(workspace, user, name="two")
    third = make_credential(workspace, user, name="three")

    no_secret = admin_client_.post(
        "/admin/executions/credential/add/",
        {"workspace": workspace.pk, "name": "x", "type": "bearer", "secret": ""},
    )
    admin_client_.post(f"/admin/executions/credential/{first.pk}/delete/", {"post": "yes"})
    admin_client_.post(
        "/admin/executions/credential/",
        {"action": "delete_selected", "_selected_action": [second.pk], "post": "yes"},
    )

    assert no_secret.status_code == 200 and "needs its secret" in no_secret.content.decode()
    assert list(Credential.objects.values_list("pk", flat=True)) == [third.pk]
