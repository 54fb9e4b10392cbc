"""Twilio Messaging webhooks: the referral intake and the coordinators' commands (SPEC §5)."""

from .views import bp

__all__ = ["bp"]
