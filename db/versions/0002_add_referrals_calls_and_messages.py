"""Add referrals, calls and messages

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 20:10:07.768609
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=True),
        sa.Column("offense", sa.String(length=30), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("badge", sa.String(length=40), nullable=True),
        sa.Column("officer_phone", sa.String(length=20), nullable=True),
        sa.Column("participant_name", sa.String(length=200), nullable=True),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("call_outcome", sa.String(length=20), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("recording_url", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"], ["users.id"], name=op.f("fk_referrals_acknowledged_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["users.id"], name=op.f("fk_referrals_answered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_referrals_officer_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_status"), ["status"], unique=False)

    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("from_number", sa.String(length=40), nullable=False),
        sa.Column("to_number", sa.String(length=40), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("call_outcome", sa.String(length=20), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("recording_url", sa.String(length=500), nullable=True),
        sa.Column("recording_duration", sa.Integer(), nullable=True),
        sa.Column("chain", sa.JSON(), nullable=False),
        sa.Column("voicemail_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["users.id"], name=op.f("fk_calls_answered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_calls_officer_id_officers")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_calls_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_calls_call_sid")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_started_at"), ["started_at"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("from_number", sa.String(length=40), nullable=False),
        sa.Column("to_number", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("message_sid", sa.String(length=64), nullable=True),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_messages_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("message_sid", name=op.f("uq_messages_message_sid")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_from_number"), ["from_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_referral_id"), ["referral_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_to_number"), ["to_number"], unique=False)

    op.create_table(
        "referral_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_referral_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_events_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_events")),
    )
    with op.batch_alter_table("referral_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_events_referral_id"), ["referral_id"], unique=False
        )

    op.create_table(
        "call_legs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_legs_call_id_calls"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_call_legs_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_legs")),
        sa.UniqueConstraint("call_id", "step", name=op.f("uq_call_legs_call_id")),
    )
    with op.batch_alter_table("call_legs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_legs_call_id"), ["call_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""

    with op.batch_alter_table("call_legs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_legs_call_id"))

    op.drop_table("call_legs")
    with op.batch_alter_table("referral_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_events_referral_id"))

    op.drop_table("referral_events")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_to_number"))
        batch_op.drop_index(batch_op.f("ix_messages_status"))
        batch_op.drop_index(batch_op.f("ix_messages_referral_id"))
        batch_op.drop_index(batch_op.f("ix_messages_from_number"))
        batch_op.drop_index(batch_op.f("ix_messages_created_at"))

    op.drop_table("messages")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_started_at"))

    op.drop_table("calls")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_status"))
        batch_op.drop_index(batch_op.f("ix_referrals_created_at"))

    op.drop_table("referrals")
