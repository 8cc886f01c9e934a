"""The workflow engine: definition validation, the graph model, node types and the runner."""
