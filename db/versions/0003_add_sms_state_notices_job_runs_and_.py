"""Add SMS state, notices, job runs and erasure

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 20:25:52.511133
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "conversations",
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_conversations")),
    )
    op.create_table(
        "declined_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declined_consents")),
    )
    op.create_table(
        "gap_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gap_notices")),
        sa.UniqueConstraint("tier", "start", name=op.f("uq_gap_notices_tier")),
    )
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ran_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.String(length=300), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_runs")),
    )
    op.create_table(
        "opt_outs",
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_opt_outs")),
    )
    op.create_table(
        "shift_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_shift_notices_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_notices")),
        sa.UniqueConstraint("user_id", "tier", "start", name=op.f("uq_shift_notices_user_id")),
    )
    op.create_table(
        "referral_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_notices_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_referral_notices_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_notices")),
        sa.UniqueConstraint("referral_id", "user_id", name=op.f("uq_referral_notices_referral_id")),
    )
    with op.batch_alter_table("referral_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_notices_referral_id"), ["referral_id"], unique=False
        )

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=True))

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_column("erased_at")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("kind")

    with op.batch_alter_table("referral_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_notices_referral_id"))

    op.drop_table("referral_notices")
    op.drop_table("shift_notices")
    op.drop_table("opt_outs")
    op.drop_table("job_runs")
    op.drop_table("gap_notices")
    op.drop_table("declined_consents")
    op.drop_table("conversations")
