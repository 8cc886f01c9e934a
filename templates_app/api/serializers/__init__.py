"""Serializers of the marketplace API, one module per concern."""
