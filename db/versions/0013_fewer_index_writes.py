"""Index participant_id and messages.referral_id only where set; drop ix_call_legs_call_id

A new referral is linked to no participant, and an intake's texts to no referral until
SEND: partial indexes leave those rows out (a lookup by value implies IS NOT NULL, so
the index still serves it). A leg is found through the unique (call_id, step) index,
so ix_call_legs_call_id only cost every leg one more page to write.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTIAL = (
    ("ix_referrals_participant_id", "referrals", "participant_id"),
    ("ix_messages_referral_id", "messages", "referral_id"),
)


def upgrade() -> None:
    """Apply this revision."""
    for name, table, column in PARTIAL:
        op.drop_index(name, table_name=table)
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, table, [column], sqlite_where=where, postgresql_where=where)
    op.drop_index("ix_call_legs_call_id", table_name="call_legs")


def downgrade() -> None:
    """Revert this revision."""
    op.create_index("ix_call_legs_call_id", "call_legs", ["call_id"])
    for name, table, column in PARTIAL:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [column])
