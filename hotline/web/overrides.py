"""Pages: overrides (being built)."""
