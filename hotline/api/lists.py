"""The `{"items": [...]}` envelope of every list."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, create_model


@cache
def ItemsOf(item: type[BaseModel]) -> type[BaseModel]:
    """Return the list schema of `item` resources."""
    return create_model(f"{item.__name__.removesuffix('Out')}List", items=(list[item], ...))  # type: ignore[valid-type]
