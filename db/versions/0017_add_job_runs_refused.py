"""Add job_runs.refused: the carrier's answer that keeps texts from going out

/healthz and the banner read it from its own column, no longer out of the
result's words; a refusal standing at the upgrade is copied from them.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# How a refused dispatch-outbox run worded its result: "<this><refusal>; <counts>".
NOT_GOING_OUT = "texts are not going out: "


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refused", sa.String(length=300), nullable=True))
    job_runs = sa.table(
        "job_runs",
        sa.column("name", sa.String),
        sa.column("result", sa.String),
        sa.column("ok", sa.Boolean),
        sa.column("refused", sa.String),
    )
    bind = op.get_bind()
    standing = bind.execute(
        sa.select(job_runs.c.name, job_runs.c.result).where(
            job_runs.c.ok.is_(False), job_runs.c.result.startswith(NOT_GOING_OUT, autoescape=True)
        )
    ).all()
    for name, result in standing:
        refused = result.removeprefix(NOT_GOING_OUT).split("; ")[0]
        bind.execute(sa.update(job_runs).where(job_runs.c.name == name).values(refused=refused))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_column("refused")
