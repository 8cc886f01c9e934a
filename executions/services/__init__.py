"""Writes of the executions app: workflows, executions, running them, retention."""
