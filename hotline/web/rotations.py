"""Pages: rotations (being built)."""
