"""AMPscript: once-only data extension writes of sends, and the accounts' key store

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01 11:00:00

``ampscript_writes`` records each write that content made during a send by its key (recipient,
content, call site, run), so a retried chunk does not write again. ``account_keys`` holds the
keys EncryptSymmetric and DecryptSymmetric name by external key, sealed.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ampscript_writes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("write_key", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["send_jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id", "write_key", name="uq_ampscript_writes"),
    )
    op.create_table(
        "account_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mid", sa.Integer(), nullable=False),
        sa.Column("customer_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sealed_value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["mid"], ["accounts.mid"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mid", "customer_key", name="uq_account_keys"),
    )


def downgrade() -> None:
    op.drop_table("account_keys")
    op.drop_table("ampscript_writes")
