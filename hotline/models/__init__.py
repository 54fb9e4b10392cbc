"""Database models."""

from .audit import AuditEvent, FormPost, JobRun, ProgramSetting
from .base import Base, UTCDateTime
from .callbacks import CALLBACK_OUTCOMES, Callback
from .calls import LEG_OUTCOMES, Call, CallLeg
from .messages import MESSAGE_STATUSES, Message
from .oncall import Override, Rotation, RotationParticipant
from .participants import (
    CONSENT_SCOPES,
    PARTICIPANT_STATUSES,
    PLAN_STATUSES,
    Charge,
    Consent,
    Contact,
    Participant,
    PlanEntry,
    Provider,
)
from .people import ApiToken, LoginAttempt, Officer, User
from .referrals import (
    CLOSED_STATUSES,
    OPEN_FOR_ACK,
    STATUSES,
    Assessment,
    Referral,
    ReferralEvent,
)
from .sms import Conversation, DeclinedConsent, GapNotice, OptOut, ReferralNotice, ShiftNotice

__all__ = [
    "CALLBACK_OUTCOMES",
    "CLOSED_STATUSES",
    "CONSENT_SCOPES",
    "LEG_OUTCOMES",
    "MESSAGE_STATUSES",
    "OPEN_FOR_ACK",
    "PARTICIPANT_STATUSES",
    "PLAN_STATUSES",
    "STATUSES",
    "ApiToken",
    "Assessment",
    "AuditEvent",
    "Base",
    "Call",
    "CallLeg",
    "Callback",
    "Charge",
    "Consent",
    "Contact",
    "Conversation",
    "DeclinedConsent",
    "FormPost",
    "GapNotice",
    "JobRun",
    "LoginAttempt",
    "Message",
    "Officer",
    "OptOut",
    "Override",
    "Participant",
    "PlanEntry",
    "ProgramSetting",
    "Provider",
    "Referral",
    "ReferralEvent",
    "ReferralNotice",
    "Rotation",
    "RotationParticipant",
    "ShiftNotice",
    "UTCDateTime",
    "User",
]
