"""Twilio Voice webhooks: route every officer's call to a person, and fail open (SPEC §4)."""

from .views import bp

__all__ = ["bp"]
