"""Node types. Every module in this package registers one type; importing it loads them all."""

import importlib
import pkgutil

from executions.engine.nodes.base import REGISTRY, NodeContext, NodeType, register

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")


def get_node_type(type_name: str) -> NodeType | None:
    """Return the registered node type called type_name, or None."""
    return REGISTRY.get(type_name)


def node_type_names() -> list[str]:
    """Return the registered type names, sorted."""
    return sorted(REGISTRY)


__all__ = ["REGISTRY", "NodeContext", "NodeType", "get_node_type", "node_type_names", "register"]
