"""Reads of the marketplace: scoped querysets and computed read models, one module per concern."""
