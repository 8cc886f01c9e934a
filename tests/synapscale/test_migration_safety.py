"""`manage.py check_migrations`: irreversible operations and locks on big tables must say why."""

from __future__ import annotations

import pytest
from django.contrib.postgres.operations import AddIndexConcurrently
from django.core.management import call_command
from django.db import migrations, models

from synapscale.migration_safety import migration_findings, project_findings

INDEX = models.Index(fields=["created_at"], name="exec_created_idx")


def migration(*operations, **attributes):
    cls = type("Migration", (migrations.Migration,), {"operations": list(operations), **attributes})
    return cls("0099_test", "executions")


def problems(*operations, **attributes) -> list[str]:
    found = migration_findings("executions", "0099_test", migration(*operations, **attributes))
    return [finding.problem for finding in found]


def forwards(apps, schema_editor):
    """A data migration step (never run here)."""


@pytest.mark.parametrize(
    ("operation", "problem"),
    [
        (migrations.AddIndex("execution", INDEX), "AddIndexConcurrently"),
        (
            migrations.AddField("execution", "flag", models.BooleanField(default=False)),
            "add it nullable",
        ),
        (migrations.AddField("noderun", "n", models.IntegerField()), "fails on existing rows"),
        (
            migrations.AddConstraint(
                "executionlog", models.CheckConstraint(condition=models.Q(id__gt=0), name="c")
            ),
            "NOT VALID",
        ),
        (migrations.AlterField("execution", "priority", models.IntegerField()), "sqlmigrate"),
    ],
)
def test_a_lock_on_a_big_table_is_a_finding(operation, problem):
    found = problems(operation)
    assert len(found) == 1 and problem in found[0]


def test_what_does_not_lock_a_big_table_passes():
    assert problems(AddIndexConcurrently("execution", INDEX), atomic=False) == []
    assert problems(migrations.AddField("execution", "note", models.TextField(null=True))) == []
    assert problems(migrations.AddIndex("workflow", models.Index(fields=["name"], name="w"))) == []


def test_a_reviewed_lock_passes_and_a_review_without_a_lock_is_a_finding():
    reason = "the table was empty then"
    assert problems(migrations.AddIndex("execution", INDEX), big_table_locks_reviewed=reason) == []
    assert (
        "locks no big table"
        in problems(
            migrations.AddIndex("workflow", models.Index(fields=["name"], name="w")),
            big_table_locks_reviewed=reason,
        )[0]
    )


def test_an_irreversible_operation_must_say_why():
    no_reverse = migrations.RunPython(forwards)
    assert problems(no_reverse) == ["has no reverse and does not say why"]
    assert problems(no_reverse, irreversible_reason="the old values are gone") == []
    assert problems(migrations.RunPython(forwards, migrations.RunPython.noop)) == []


def test_the_projects_migrations_pass(capsys):
    assert project_findings() == []
    call_command("check_migrations")
    assert "all reversible" in capsys.readouterr().out
