"""Pydantic schemas: the one validation of input for API, CLI and web."""
