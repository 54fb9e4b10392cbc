"""Add participants.exited_at and erased_at: when they left, and when retention erased them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 03:14:58
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exited_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("exited_at")
