"""Pages: audit (being built)."""
