"""Add job_runs.succeeded_at: the last successful run, kept when a later run fails

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("succeeded_at", sa.DateTime(timezone=True), nullable=True))
    # A last run that succeeded is the last success; a failed one left no trace of it.
    op.execute("UPDATE job_runs SET succeeded_at = finished_at WHERE ok")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_column("succeeded_at")
