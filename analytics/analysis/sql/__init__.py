"""The analyses computed in PostgreSQL: one module per kind, raw SQL with bound parameters."""
