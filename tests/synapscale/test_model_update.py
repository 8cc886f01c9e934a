"""model_update: only the given fields that changed are written, cleaned first."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from executions.models import Workflow
from synapscale.services.updates import model_update
from tests.executions.factories import WorkflowFactory

pytestmark = pytest.mark.django_db

FIELDS = ("name", "description", "is_active", "created_by")


def test_saves_only_the_changed_fields_and_updated_at(workspace):
    workflow = WorkflowFactory(workspace=workspace, name="Old", description="Same")
    stamp = workflow.updated_at
    Workflow.objects.filter(pk=workflow.pk).update(is_active=False)  # another writer's change
    with CaptureQueriesContext(connection) as captured:
        _, has_updated = model_update(
            instance=workflow, fields=FIELDS, data={"name": "New", "description": "Same"}
        )
    assert has_updated
    (sql,) = [
        query["sql"] for query in captured.captured_queries if query["sql"].startswith("UPDATE")
    ]
    set_clause = sql.split(" SET ")[1].split(" WHERE ")[0]
    assert '"name"' in set_clause and '"updated_at"' in set_clause
    assert '"is_active"' not in set_clause and '"description"' not in set_clause
    workflow.refresh_from_db()
    assert (workflow.name, workflow.is_active) == ("New", False)  # the other write survived
    assert workflow.updated_at > stamp


def test_nothing_changed_writes_nothing(workspace, user, django_assert_num_queries):
    workflow = WorkflowFactory(workspace=workspace, name="Same", created_by=user)
    with django_assert_num_queries(0):
        _, has_updated = model_update(
            instance=workflow, fields=FIELDS, data={"name": "Same", "created_by": user}
        )
    assert not has_updated


def test_a_field_outside_the_given_ones_is_refused(workspace):
    workflow = WorkflowFactory(workspace=workspace)
    with pytest.raises(ValidationError) as caught:
        model_update(instance=workflow, fields=FIELDS, data={"version": 9})
    assert caught.value.message_dict == {"version": ["This field cannot be changed."]}


def test_an_invalid_value_is_refused_before_saving(workspace):
    workflow = WorkflowFactory(workspace=workspace, name="Kept")
    with pytest.raises(ValidationError) as caught:
        model_update(instance=workflow, fields=FIELDS, data={"name": "x" * 201})
    assert "name" in caught.value.message_dict
    workflow.refresh_from_db()
    assert workflow.name == "Kept"


def test_custom_clean_and_values_set_with_a_change(workspace):
    workflow = WorkflowFactory(workspace=workspace, name="Old")
    cleaned = []
    _, has_updated = model_update(
        instance=workflow,
        fields=FIELDS,
        data={"name": "New"},
        clean=cleaned.append,
        when_changed={"version": 7},
    )
    assert has_updated and cleaned == [workflow]
    workflow.refresh_from_db()
    assert (workflow.name, workflow.version) == ("New", 7)
