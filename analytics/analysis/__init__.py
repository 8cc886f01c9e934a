"""Analyses over product events: query specs, the PostgreSQL implementation, a reference."""
