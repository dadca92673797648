"""The V1 code base: v1-style models, repositories and handlers (before the migration)."""
