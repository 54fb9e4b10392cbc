"""Database models."""

from .audit import AuditEvent, JobRun, ProgramSetting
from .base import Base, UTCDateTime
from .callbacks import CALLBACK_OUTCOMES, Callback
from .calls import LEG_OUTCOMES, Call, CallLeg
from .messages import MESSAGE_STATUSES, Message
from .oncall import Override, Rotation, RotationParticipant
from .people import ApiToken, LoginAttempt, Officer, User
from .referrals import CLOSED_STATUSES, STATUSES, Assessment, Referral, ReferralEvent
from .sms import Conversation, DeclinedConsent, GapNotice, OptOut, ReferralNotice, ShiftNotice

__all__ = [
    "CALLBACK_OUTCOMES",
    "CLOSED_STATUSES",
    "LEG_OUTCOMES",
    "MESSAGE_STATUSES",
    "STATUSES",
    "ApiToken",
    "Assessment",
    "AuditEvent",
    "Base",
    "Call",
    "CallLeg",
    "Callback",
    "Conversation",
    "DeclinedConsent",
    "GapNotice",
    "JobRun",
    "LoginAttempt",
    "Message",
    "Officer",
    "OptOut",
    "Override",
    "ProgramSetting",
    "Referral",
    "ReferralEvent",
    "ReferralNotice",
    "Rotation",
    "RotationParticipant",
    "ShiftNotice",
    "UTCDateTime",
    "User",
]
