"""FilterSets live in each app's `filtersets.py`, never in an API module (docs/foundation.md).

An API module declaring its own FilterSet is how the analytics app came to hold a second
multi-value filter: the filters of an app are reused by its admin and its services, so they
are declared where those find them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
API_MODULES = sorted(path for path in ROOT.glob("*/api/**/*.py") if ".venv" not in path.parts)


def _base_name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _filterset_classes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(_base_name(base).endswith("FilterSet") for base in node.bases)
    ]


def test_api_modules_are_found():
    assert any(path.parts[-3:] == ("analytics", "api", "insights.py") for path in API_MODULES)


@pytest.mark.parametrize("path", API_MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_api_module_declares_no_filterset(path):
    assert _filterset_classes(path) == [], f"move them to {path.parts[-3]}/filtersets.py"
