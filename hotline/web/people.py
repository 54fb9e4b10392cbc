"""Pages: people (being built)."""
