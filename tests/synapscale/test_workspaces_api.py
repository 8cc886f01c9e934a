import pytest

from synapscale.choices import Role
from synapscale.models import Membership, Workspace
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db


def test_list_shows_only_my_workspaces_with_my_role(api_client, workspace, other_workspace):
    response = api_client.get("/api/v1/workspaces/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["slug"], row["role"]) for row in rows] == [(workspace.slug, "owner")]


def test_create_workspace_makes_me_owner(api_client, user):
    response = api_client.post("/api/v1/workspaces/", {"name": "Growth Team"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "growth-team"
    assert body["role"] == "owner"
    assert body["ingestion_key"].startswith("phc_")
    assert Membership.objects.get(workspace__slug="growth-team", user=user).role == Role.OWNER


def test_create_workspace_with_taken_slug_is_400(api_client, other_workspace):
    response = api_client.post(
        "/api/v1/workspaces/", {"name": "X", "slug": other_workspace.slug}, format="json"
    )
    assert response.status_code == 400
    assert "slug" in response.json()["errors"]


def test_slug_is_made_unique_when_not_given(api_client):
    first = api_client.post("/api/v1/workspaces/", {"name": "Ops"}, format="json").json()
    second = api_client.post("/api/v1/workspaces/", {"name": "Ops"}, format="json").json()
    assert (first["slug"], second["slug"]) == ("ops", "ops-2")


def test_workspace_of_others_is_404(api_client, other_workspace):
    assert api_client.get(f"/api/v1/workspaces/{other_workspace.slug}/").status_code == 404


def test_owner_rotates_ingestion_key(api_client, workspace):
    old_key = workspace.ingestion_key
    response = api_client.post(f"/api/v1/workspaces/{workspace.slug}/rotate-ingestion-key/")
    assert response.status_code == 200
    workspace.refresh_from_db()
    assert workspace.ingestion_key != old_key
    assert response.json()["ingestion_key"] == workspace.ingestion_key


def test_member_cannot_rotate_ingestion_key(user, other_workspace, make_member):
    make_member(other_workspace, user, Role.MEMBER)
    old_key = other_workspace.ingestion_key
    response = client_for(user).post(
        f"/api/v1/workspaces/{other_workspace.slug}/rotate-ingestion-key/"
    )
    assert response.status_code == 403
    other_workspace.refresh_from_db()
    assert other_workspace.ingestion_key == old_key


def test_owner_adds_lists_and_removes_a_member(api_client, workspace, other_user):
    added = api_client.post(
        f"/api/v1/workspaces/{workspace.slug}/members/",
        {"username": other_user.username, "role": "viewer"},
        format="json",
    )
    assert added.status_code == 200, added.content
    assert added.json()["role"] == "viewer"
    listed = api_client.get(f"/api/v1/workspaces/{workspace.slug}/members/").json()
    assert {row["user"]["username"]: row["role"] for row in listed} == {
        "alice": "owner",
        "bob": "viewer",
    }
    removed = api_client.delete(f"/api/v1/workspaces/{workspace.slug}/members/bob/")
    assert removed.status_code == 204
    assert not Membership.objects.filter(workspace=workspace, user=other_user).exists()


def test_adding_an_unknown_user_is_404(api_client, workspace):
    response = api_client.post(
        f"/api/v1/workspaces/{workspace.slug}/members/",
        {"username": "ghost", "role": "member"},
        format="json",
    )
    assert response.status_code == 404


def test_last_owner_cannot_be_demoted_or_removed(api_client, workspace, user):
    demote = api_client.post(
        f"/api/v1/workspaces/{workspace.slug}/members/",
        {"username": user.username, "role": "member"},
        format="json",
    )
    assert demote.status_code == 400
    assert "owner" in demote.json()["errors"]["role"][0]
    remove = api_client.delete(f"/api/v1/workspaces/{workspace.slug}/members/{user.username}/")
    assert remove.status_code == 400
    assert Membership.objects.get(workspace=workspace, user=user).role == Role.OWNER


def test_unknown_role_is_400(api_client, workspace, other_user):
    response = api_client.post(
        f"/api/v1/workspaces/{workspace.slug}/members/",
        {"username": other_user.username, "role": "emperor"},
        format="json",
    )
    assert response.status_code == 400
    assert "role" in response.json()["errors"]


def test_user_without_personal_workspace_acts_in_their_oldest(db):
    from synapscale.selectors.workspaces import membership_for
    from tests.factories import UserFactory

    lonely = UserFactory(username="lonely")
    assert membership_for(user=lonely, slug=None) is None
    team = Workspace.objects.create(name="Team", slug="team")
    Membership.objects.create(workspace=team, user=lonely, role=Role.MEMBER)
    assert membership_for(user=lonely, slug=None).workspace == team


def test_admin_manages_members_but_cannot_make_or_touch_owners(
    user, other_user, other_workspace, make_member
):
    make_member(other_workspace, user, Role.ADMIN)
    admin = client_for(user)
    members = f"/api/v1/workspaces/{other_workspace.slug}/members/"
    carol = make_user("carol")
    added = admin.post(members, {"username": "carol", "role": "member"}, format="json")
    assert added.status_code == 200
    self_promotion = admin.post(
        members, {"username": user.username, "role": "owner"}, format="json"
    )
    assert self_promotion.status_code == 403
    demote_owner = admin.post(
        members, {"username": other_user.username, "role": "viewer"}, format="json"
    )
    assert demote_owner.status_code == 403
    remove_owner = admin.delete(f"{members}{other_user.username}/")
    assert remove_owner.status_code == 403
    roles = dict(other_workspace.memberships.values_list("user__username", "role"))
    assert roles == {"bob": "owner", "alice": "admin", carol.username: "member"}


def test_owner_may_hand_over_ownership(api_client, workspace, other_user, user):
    members = f"/api/v1/workspaces/{workspace.slug}/members/"
    assert (
        api_client.post(members, {"username": "bob", "role": "owner"}, format="json").status_code
        == 200
    )
    assert (
        api_client.post(members, {"username": "alice", "role": "member"}, format="json").status_code
        == 200
    )
    assert dict(workspace.memberships.values_list("user__username", "role")) == {
        "bob": "owner",
        "alice": "member",
    }


def test_members_list_shows_no_email_or_staff_flag(api_client, workspace):
    row = api_client.get(f"/api/v1/workspaces/{workspace.slug}/members/").json()[0]
    assert set(row["user"]) == {"id", "username", "first_name", "last_name"}


def test_workspace_of_others_is_a_404_problem(api_client, other_workspace):
    response = api_client.get(f"/api/v1/workspaces/{other_workspace.slug}/")
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404
