"""The V2 code base: domain models with a Meta, views, DTOs, ReadApi/WriteApi (after)."""
