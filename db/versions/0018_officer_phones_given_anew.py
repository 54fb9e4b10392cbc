"""Officers' phones unique among officers on the roster only: a department hands a phone on

A phone of an officer who left could not be given to a new officer ("phone …
is already used"), so a department that hands its phones on had to change the
former officer's number to something made up.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_officers_phone", type_="unique")
    op.create_index(
        "uq_officers_phone_active",
        "officers",
        ["phone"],
        unique=True,
        sqlite_where=sa.text("active IS 1"),
        postgresql_where=sa.text("active IS true"),
    )


def downgrade() -> None:
    """Revert this revision (fails while two officers, one gone, share a phone)."""
    op.drop_index("uq_officers_phone_active", table_name="officers")
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_officers_phone", ["phone"])
