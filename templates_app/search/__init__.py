"""Full-text search with typo tolerance built on core PostgreSQL only (no contrib extension)."""
