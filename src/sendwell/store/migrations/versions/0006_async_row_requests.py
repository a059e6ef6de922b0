"""asynchronous data extension row requests

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00

REST ``/data/v1/async/dataextensions/.../rows`` and ``/hub/v1/dataeventsasync/...`` requests are
stored as sent and done by a worker; their status and per-row results are read back by
requestId.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "row_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("mid", sa.Integer(), nullable=False),
        sa.Column("de_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("has_errors", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("picked_up_at", sa.DateTime(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mid"], ["accounts.mid"], name=op.f("fk_row_requests_mid_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_row_requests")),
        sa.UniqueConstraint("request_id", name=op.f("uq_row_requests_request_id")),
    )
    with op.batch_alter_table("row_requests", schema=None) as batch_op:
        batch_op.create_index("ix_row_requests_due", ["status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("row_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_row_requests_due")
    op.drop_table("row_requests")
