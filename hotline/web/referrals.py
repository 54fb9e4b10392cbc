"""Pages: referrals (being built)."""
