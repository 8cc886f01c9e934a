"""Reads of the executions app: scoped querysets and computed read models."""
