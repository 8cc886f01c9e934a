"""Reads of the analytics app: querysets and computed read models, one module per concern."""
