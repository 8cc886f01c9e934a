"""Writes of the analytics app, one module per concern."""
