"""Add form_posts: each web form's one-time token, so a form sent twice saves once

A phone on a weak connection sends a form again when the answer is slow; the
second post finds the token taken and changes nothing.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 20:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "form_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "token"),
    )
    op.create_index("ix_form_posts_at", "form_posts", ["at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_form_posts_at", table_name="form_posts")
    op.drop_table("form_posts")
