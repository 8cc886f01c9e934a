"""What `make lint` checks in every migration: it can be reversed, and it does not lock a big table.

Read from the migration files only (no database). A migration answers a finding by saying
why, in a class attribute the check reads:

- `irreversible_reason = "..."`: why an operation has no reverse (a data migration that
  cannot be undone, say);
- `big_table_locks_reviewed = "..."`: why an operation that locks one of the big tables is
  safe here (the table was empty then, the lock is brief). docs/migrations.md gives the safe
  way to do each.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations
from django.db.migrations.loader import MigrationLoader
from django.db.models import NOT_PROVIDED

OUR_APPS = ("synapscale", "executions", "templates_app", "analytics")
# Tables that grow with traffic: millions of rows, written all day.
BIG_TABLES = frozenset(
    {
        ("analytics", "event"),
        ("executions", "execution"),
        ("executions", "executionlog"),
        ("executions", "noderun"),
    }
)


@dataclass(frozen=True)
class Finding:
    migration: str
    operation: str
    problem: str

    def __str__(self) -> str:
        return f"{self.migration}: {self.operation}: {self.problem}"


def _lock_problem(operation) -> str | None:
    """Return why operation would lock its (big) table, or None."""
    if isinstance(operation, migrations.AddIndex) and not isinstance(
        operation, AddIndexConcurrently
    ):
        return "builds an index under a write lock: use AddIndexConcurrently (atomic = False)"
    if isinstance(operation, migrations.AddConstraint):
        return (
            "validates every row under a lock: add a check constraint NOT VALID and VALIDATE "
            "it later, a unique one from an index built concurrently"
        )
    if isinstance(operation, migrations.AddField):
        field = operation.field
        if not field.null and field.default is NOT_PROVIDED and field.db_default is NOT_PROVIDED:
            return "a NOT NULL column without a default fails on existing rows"
        if not field.null:
            return (
                "a NOT NULL column with a default: add it nullable, backfill in batches, then "
                "set NOT NULL"
            )
    if isinstance(operation, migrations.AlterField):
        return "may rewrite the table or rebuild its indexes under a lock: check `sqlmigrate`"
    if isinstance(operation, migrations.RunSQL | migrations.RunPython):
        return "runs arbitrary SQL or Python over the table: batch it, outside one transaction"
    return None


def _target(app_label: str, operation) -> tuple[str, str] | None:
    model = getattr(operation, "model_name", None)
    return (app_label, model.lower()) if model else None


def migration_findings(app_label: str, name: str, migration) -> list[Finding]:
    """Return what is wrong with one migration (empty when it is fine or says why)."""
    label = f"{app_label}.{name}"
    findings: list[Finding] = []
    created_here = {
        (app_label, op.name.lower())
        for op in migration.operations
        if isinstance(op, migrations.CreateModel)
    }
    big_tables_touched = False
    for operation in migration.operations:
        described = operation.describe()
        if not operation.reversible and not getattr(migration, "irreversible_reason", ""):
            findings.append(Finding(label, described, "has no reverse and does not say why"))
        target = _target(app_label, operation)
        if isinstance(operation, migrations.RunSQL | migrations.RunPython):
            # Without a model name, data migrations are judged by what the migration touches.
            target = next(iter(BIG_TABLES & _models_altered(app_label, migration)), None)
        if target in BIG_TABLES and target not in created_here:
            problem = _lock_problem(operation)
            if problem:
                big_tables_touched = True
                if not getattr(migration, "big_table_locks_reviewed", ""):
                    findings.append(Finding(label, described, f"on {target[1]}: {problem}"))
    if getattr(migration, "big_table_locks_reviewed", "") and not big_tables_touched:
        findings.append(Finding(label, "-", "says big_table_locks_reviewed but locks no big table"))
    return findings


def _models_altered(app_label: str, migration) -> set[tuple[str, str]]:
    return {
        target
        for operation in migration.operations
        if (target := _target(app_label, operation)) is not None
    }


def project_findings() -> list[Finding]:
    """Check every migration of the project's apps, as they are on disk."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    findings = []
    for (app_label, name), migration in sorted(loader.disk_migrations.items()):
        if app_label in OUR_APPS:
            findings.extend(migration_findings(app_label, name, migration))
    return findings
