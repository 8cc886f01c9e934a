"""Writes of the marketplace: one module per concern, functions named `<entity>_<action>`."""
