"""Add messages.participant_id: the texts about a participant, erased with them

An officer's CONTACT text and the case manager's notice name the participant but
belong to no referral; retention erases them when it erases the participant.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = sa.text("participant_id IS NOT NULL")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("participant_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_messages_participant_id_participants", "participants", ["participant_id"], ["id"]
        )
    op.create_index(
        "ix_messages_participant_id",
        "messages",
        ["participant_id"],
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_messages_participant_id", table_name="messages")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint("fk_messages_participant_id_participants", type_="foreignkey")
        batch_op.drop_column("participant_id")
