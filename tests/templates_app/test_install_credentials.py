"""Templates carry credential names, never secrets; installing maps each to the installer's."""

from __future__ import annotations

import pytest

from executions.models import Workflow
from tests.api_checks import assert_problem
from tests.executions.factories import make_credential
from tests.templates_app.factories import set_definition

SLACK_SECRET = "xoxb-author-slack-secret-0001"
DEFINITION = {
    "nodes": [
        {
            "id": "post",
            "type": "http_request",
            "params": {"url": "https://slack.example/api", "credential": "slack"},
        },
        {"id": "after", "type": "set", "params": {"fields": {"ok": True}}},
    ],
    "edges": [{"from": "post", "to": "after"}],
}


@pytest.fixture
def slack_template(make_template, workspace, user):
    make_credential(workspace, user, name="slack", secret=SLACK_SECRET)  # the author's own
    return make_template(name="Slack notifier", definition=DEFINITION, published=True)


def install(client, template, **body):
    return client.post(f"/api/v1/templates/{template.pk}/install/", body, format="json")


def installed_credential(response) -> str:
    workflow = Workflow.objects.get(pk=response.json()["id"])
    return workflow.definition["nodes"][0]["params"]["credential"]


@pytest.mark.django_db
def test_a_template_lists_its_credentials_and_holds_no_secret(api_client, slack_template):
    authored = api_client.get(f"/api/v1/templates/{slack_template.pk}/")
    public = api_client.get(f"/api/v1/marketplace/templates/{slack_template.slug}/")

    for response in (authored, public):
        assert response.status_code == 200
        assert response.json()["required_credentials"] == ["slack"]
        assert SLACK_SECRET not in response.content.decode()


@pytest.mark.django_db
def test_install_without_a_credential_for_each_name_is_a_400_and_installs_nothing(
    other_api_client, slack_template
):
    body = assert_problem(install(other_api_client, slack_template))

    assert list(body["errors"]) == ["credentials.slack"]
    assert not Workflow.objects.filter(workspace__memberships__user__username="bob").exists()


@pytest.mark.django_db
def test_install_uses_the_installers_credential_of_the_same_name(
    other_api_client, other_workspace, other_user, slack_template
):
    make_credential(other_workspace, other_user, name="slack")

    response = install(other_api_client, slack_template)

    assert response.status_code == 201, response.content
    assert installed_credential(response) == "slack"
    assert Workflow.objects.get(pk=response.json()["id"]).workspace_id == other_workspace.id


@pytest.mark.django_db
def test_install_maps_a_name_to_another_credential_of_the_installer(
    other_api_client, other_workspace, other_user, slack_template
):
    make_credential(other_workspace, other_user, name="team-slack")

    response = install(other_api_client, slack_template, credentials={"slack": "team-slack"})

    assert response.status_code == 201, response.content
    assert installed_credential(response) == "team-slack"


@pytest.mark.django_db
def test_install_refuses_a_mapping_to_nothing_or_for_a_name_the_template_lacks(
    other_api_client, other_workspace, other_user, slack_template
):
    make_credential(other_workspace, other_user, name="slack")

    missing = install(other_api_client, slack_template, credentials={"slack": "nope"})
    unknown = install(other_api_client, slack_template, credentials={"github": "slack"})

    assert list(assert_problem(missing)["errors"]) == ["credentials.slack"]
    assert list(assert_problem(unknown)["errors"]) == ["credentials.github"]


@pytest.mark.django_db
def test_a_template_with_a_literal_authorization_header_is_refused(api_client, categories):
    definition = set_definition()
    definition["nodes"].append(
        {
            "id": "call",
            "type": "http_request",
            "params": {"url": "https://x.example/", "headers": {"Authorization": "Bearer s3cr3t"}},
        }
    )
    body = {"name": "Leaky", "category": "sales", "definition": definition}

    problem = assert_problem(api_client.post("/api/v1/templates/", body, format="json"))

    assert "definition.nodes.1.params.headers.Authorization" in problem["errors"]
