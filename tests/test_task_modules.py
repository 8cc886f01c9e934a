"""Task modules are thin shells: services imported at the top, one service call per task.

The one direction between services and tasks (docs/architecture.md): a service may
enqueue a task (after commit, by a function-level import import-linter lists); a task
module imports its services at module level and each task only calls one of them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TASK_MODULES = sorted(ROOT.glob("*/tasks.py"))
TASK_DECORATORS = {"durable_task", "periodic_task", "shared_task"}
# What a thin task may do with its service's answer: report a field of it, or count it.
LOGIC = (
    ast.If,
    ast.IfExp,
    ast.For,
    ast.While,
    ast.Try,
    ast.With,
    ast.BoolOp,
    ast.Compare,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.Lambda,
    ast.Import,
    ast.ImportFrom,
)


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")


def _called_name(node: ast.AST) -> str:
    # `work(...)`, or `module.work(...)` of an imported module.
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id
    return getattr(node, "id", "")


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    imported = {
        alias.asname or alias.name.split(".")[0]
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    problems = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the module docstring
        if not isinstance(node, ast.FunctionDef):
            problems.append(f"line {node.lineno}: only imports and tasks at module level")
            continue
        if not {_decorator_name(d) for d in node.decorator_list} & TASK_DECORATORS:
            problems.append(f"{node.name}: a helper function; it belongs in a service")
            continue
        body = node.body[1:] if ast.get_docstring(node) else node.body
        if len(body) != 1 or not isinstance(body[0], ast.Return | ast.Expr):
            problems.append(f"{node.name}: more than one statement")
            continue
        if any(isinstance(inner, LOGIC) for inner in ast.walk(body[0])):
            problems.append(f"{node.name}: logic (a branch, loop or import) in the task")
        called = {
            _called_name(inner.func) for inner in ast.walk(body[0]) if isinstance(inner, ast.Call)
        }
        if not called & imported:
            problems.append(f"{node.name}: calls no function imported at the top")
    return problems


def test_every_app_has_its_task_module_checked():
    assert {path.parent.name for path in TASK_MODULES} >= {
        "analytics",
        "executions",
        "synapscale",
        "templates_app",
    }


@pytest.mark.parametrize("path", TASK_MODULES, ids=lambda path: path.parent.name)
def test_task_module_defines_only_thin_tasks(path):
    assert _problems(path) == []


def test_the_check_refuses_logic_and_late_imports(tmp_path):
    module = tmp_path / "tasks.py"
    module.write_text(
        "from x.services import work\n"
        "from synapscale.task_policy import durable_task\n"
        "LIMIT = 3\n"
        "@durable_task()\n"
        "def branchy(self, n):\n"
        "    return work(n) if n else None\n"
        "@durable_task()\n"
        "def late(self):\n"
        "    from x.services import other\n"
        "    return other()\n"
        "def helper():\n"
        "    return 1\n"
        "@durable_task()\n"
        "def fine(self, n):\n"
        '    """Doc."""\n'
        "    return len(work(n))\n"
    )
    assert _problems(module) == [
        "line 3: only imports and tasks at module level",
        "branchy: logic (a branch, loop or import) in the task",
        "late: more than one statement",
        "helper: a helper function; it belongs in a service",
    ]
