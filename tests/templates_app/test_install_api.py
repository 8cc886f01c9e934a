"""Installing a template creates a workflow in the caller's workspace, and that workflow runs."""

import pytest

from executions.models import Workflow
from executions.services.executions import execution_start
from synapscale import product_events
from synapscale.choices import Role
from templates_app.models import Template, TemplateInstall
from templates_app.services.crud import template_update
from templates_app.services.moderation import template_approve
from tests.executions.helpers import wait_for_finish

VARIABLE_DEFINITION = {
    "nodes": [
        {
            "id": "notify",
            "type": "set",
            "params": {"fields": {"channel": "{{channel}}", "limit": "{{limit}}"}},
        }
    ],
    "edges": [],
}
VARIABLES = [
    {"name": "channel", "type": "string", "description": "Where to post"},
    {"name": "limit", "type": "integer", "required": False, "default": 10},
]


@pytest.fixture
def recorded_events(monkeypatch):
    """Capture product events at the synapscale port (analytics' recorder is swapped out)."""
    events = []
    monkeypatch.setattr(product_events, "_recorder", lambda **event: events.append(event))
    return events


@pytest.fixture
def alerts(make_template):
    return make_template(
        name="Channel alerts",
        definition=VARIABLE_DEFINITION,
        required_variables=VARIABLES,
        published=True,
    )


def install_url(template):
    return f"/api/v1/templates/{template.pk}/install/"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_install_creates_a_workflow_that_runs(
    other_api_client, other_user, alerts, recorded_events
):
    response = other_api_client.post(
        install_url(alerts), {"name": "Ops alerts", "variables": {"channel": "#ops"}}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    workflow = Workflow.objects.get(pk=body["id"])
    assert workflow.name == "Ops alerts"
    assert workflow.workspace.memberships.filter(user=other_user).exists()
    assert workflow.definition["nodes"][0]["params"]["fields"] == {"channel": "#ops", "limit": 10}
    assert body["install"]["template"] == alerts.pk and body["install"]["version"] == "1.0.0"

    execution = execution_start(workflow=workflow, user=other_user)
    finished = wait_for_finish(execution.pk)
    assert finished.status == "succeeded", finished.error
    assert finished.output == {"notify": {"channel": "#ops", "limit": 10}}

    assert Template.objects.get(pk=alerts.pk).install_count == 1
    install = TemplateInstall.objects.get()
    assert (install.workflow_id, install.user_id) == (workflow.pk, other_user.pk)
    installs = [event for event in recorded_events if event["event_type"] == "template_installed"]
    assert installs == [
        {
            "workspace_id": workflow.workspace_id,
            "event_type": "template_installed",
            "distinct_id": str(other_user.pk),
            "properties": {
                "template_id": alerts.pk,
                "template_slug": alerts.slug,
                "version": "1.0.0",
                "price": "0.00",
            },
            "user_id": other_user.pk,
        }
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variables", "errors"),
    [
        ({}, {"variables.channel": ["This variable is required."]}),
        ({"channel": 5}, {"variables.channel": ["Must be a string."]}),
        ({"channel": "#a", "limit": "ten"}, {"variables.limit": ["Must be a integer."]}),
        ({"channel": "#a", "colour": "red"}, {"variables.colour": ["Unknown variable."]}),
    ],
)
def test_install_checks_the_variables_and_writes_nothing_on_error(
    other_api_client, alerts, variables, errors
):
    response = other_api_client.post(install_url(alerts), {"variables": variables}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert not Workflow.objects.exists()
    assert not TemplateInstall.objects.exists()
    assert Template.objects.get(pk=alerts.pk).install_count == 0


@pytest.mark.django_db
def test_install_uses_the_published_snapshot_and_defaults_the_name(
    other_api_client, alerts, user, staff_user
):
    definition = {
        "nodes": [{"id": "v2", "type": "set", "params": {"fields": {"c": "{{channel}}"}}}],
        "edges": [],
    }
    template_update(template=alerts, user=user, definition=definition, version="2.0.0")
    template_approve(template=alerts, user=staff_user)
    response = other_api_client.post(install_url(alerts), {"variables": {"channel": "#x"}})
    assert response.status_code == 201
    assert response.json()["name"] == "Channel alerts"
    assert response.json()["definition"]["nodes"][0]["id"] == "v2"
    assert response.json()["install"]["version"] == "2.0.0"


@pytest.mark.django_db
def test_only_published_templates_install_and_viewers_cannot(
    other_api_client, other_user, make_template, alerts, make_member, user
):
    draft = make_template(name="Not yet")
    assert other_api_client.post(install_url(draft), {}).status_code == 404
    # bob as a viewer of alice's workspace may not create workflows in it
    workspace = alerts.workspace
    make_member(workspace, other_user, Role.VIEWER)
    response = other_api_client.post(
        install_url(alerts),
        {"variables": {"channel": "#a"}},
        format="json",
        HTTP_X_WORKSPACE=workspace.slug,
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_anonymous_install_is_401(anon_client, alerts):
    assert anon_client.post(install_url(alerts), {}).status_code == 401


@pytest.mark.django_db
def test_installing_a_paid_template_is_its_purchase_at_its_price(
    other_api_client,
    make_template,
    recorded_events,
    anon_client,
    django_capture_on_commit_callbacks,
):
    from decimal import Decimal

    secret = {
        "nodes": [{"id": "a", "type": "set", "params": {"fields": {"recipe": "PAID-IP"}}}],
        "edges": [],
    }
    paid = make_template(
        name="Paid one",
        license="premium",
        price=Decimal("49.00"),
        definition=secret,
        published=True,
    )
    page = anon_client.get(f"/api/v1/marketplace/templates/{paid.slug}/").json()
    assert "PAID-IP" not in str(page)  # before buying: the outline only
    with django_capture_on_commit_callbacks(execute=True):
        response = other_api_client.post(install_url(paid), {}, format="json")
    assert response.status_code == 201
    assert response.json()["definition"] == secret  # bought: the full definition
    assert [event["properties"]["price"] for event in recorded_events] == ["49.00"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_installs_count_every_one(make_template):
    import threading

    from django.db import connection

    from tests.conftest import client_for, make_user

    template = make_template(name="Rush hour", published=True)
    installers = [make_user(f"installer{index}") for index in range(8)]
    barrier = threading.Barrier(len(installers))
    statuses, errors = [], []

    def install(installer):
        try:
            barrier.wait()
            statuses.append(client_for(installer).post(install_url(template), {}).status_code)
        except Exception as exc:  # pragma: no cover - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=install, args=(installer,)) for installer in installers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and statuses == [201] * len(installers)
    template = Template.objects.get(pk=template.pk)
    assert template.install_count == len(installers) == TemplateInstall.objects.count()
    assert template.trending_score == len(installers)


def test_install_count_counts_each_workspace_once(published, api_client, other_api_client):
    from templates_app.services.marketplace import trending_scores_refresh

    url = f"/api/v1/templates/{published.pk}/install/"
    for _ in range(3):
        assert api_client.post(url, {}, format="json").status_code == 201
    assert other_api_client.post(url, {}, format="json").status_code == 201
    template = Template.objects.get(pk=published.pk)
    assert (template.install_count, template.installs.count()) == (2, 4)
    assert template.installs.filter(counted=True).count() == 2
    assert template.trending_score == pytest.approx(2.0)
    trending_scores_refresh()
    # The refresh agrees: repeated installs of one workspace weigh nothing.
    assert Template.objects.get(pk=published.pk).trending_score == pytest.approx(2.0, rel=0.02)


def test_the_database_refuses_a_second_counted_install_of_a_workspace(published, workspace):
    from django.db import IntegrityError, transaction

    fields = {"template": published, "version": "1.0.0", "workspace": workspace, "counted": True}
    TemplateInstall.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        TemplateInstall.objects.create(**fields)
