"""Add users.session_epoch; drop the calendar token kept in clear

users.session_epoch ends every web session of a user at once. The calendar
feed's token was kept in clear in program_settings; it is now derived from
SECRET_KEY and a nonce, with only its hash stored, so the clear one goes (the
feed's URL changes: GET /api/v1/calendar or /schedule shows the new one).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 06:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute("DELETE FROM program_settings WHERE key = 'calendar_token'")


def downgrade() -> None:
    """Revert this revision (the old clear token is not brought back: a new one is made)."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
