"""Pages: schedule (being built)."""
