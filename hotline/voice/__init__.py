"""Twilio Voice webhooks: route every officer's call to a person, and fail open (SPEC §4)."""

from . import callback  # noqa: F401 -- its routes register on the blueprint
from .views import bp

__all__ = ["bp"]
