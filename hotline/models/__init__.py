"""Database models."""

from .audit import AuditEvent, ProgramSetting
from .base import Base, UTCDateTime
from .oncall import Override, Rotation, RotationParticipant
from .people import ROLES, ApiToken, Officer, User

__all__ = [
    "ROLES",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Officer",
    "Override",
    "ProgramSetting",
    "Rotation",
    "RotationParticipant",
    "UTCDateTime",
    "User",
]
