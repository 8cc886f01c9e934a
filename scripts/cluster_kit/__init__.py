"""scripts/cluster.py's parts: topology (pure), hosts (namespaces, processes), services,
load and chaos. See docs/scaling.md."""
