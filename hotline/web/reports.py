"""Pages: reports (being built)."""
