"""the inbox's search index of captured messages; injected faults and their log

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03 09:00:00

``captured_index`` holds what the inbox lists and searches (subject, addresses, the start of
the text part, lower-cased) apart from the message bytes, with the indexes its first page and
its searches by recipient and by send use; messages captured before are indexed here.
``faults`` and ``fault_log`` are the fault injection an operator switches on.
"""

import sqlalchemy as sa
from alembic import op

from sendwell.domain.inbox import index_fields

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "captured_index",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("mid", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("rcpt_to", sa.String(length=254), nullable=False),
        sa.Column("mail_from", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("haystack", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captured_index")),
    )
    op.create_index("ix_captured_index_mid", "captured_index", ["mid", "id"])
    op.create_index("ix_captured_index_job", "captured_index", ["mid", "job_id", "id"])
    op.create_index("ix_captured_index_rcpt", "captured_index", ["mid", "rcpt_to", "id"])
    op.create_table(
        "faults",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mid", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=10), nullable=False),
        sa.Column("match", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("code", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("share", sa.Float(), nullable=True),
        sa.Column("remaining", sa.Integer(), nullable=True),
        sa.Column("delay_ms", sa.Integer(), nullable=True),
        sa.Column("retry_after", sa.Integer(), nullable=True),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("last_hit_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faults")),
    )
    op.create_index("ix_faults_mid", "faults", ["mid", "target"])
    op.create_table(
        "fault_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fault_id", sa.Integer(), nullable=False),
        sa.Column("mid", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fault_log")),
    )
    op.create_index("ix_fault_log_mid", "fault_log", ["mid", "id"])
    _index_captured()


def _index_captured() -> None:
    """Index the messages captured before this revision, a batch at a time."""
    conn = op.get_bind()
    messages = sa.table(
        "captured_messages",
        sa.column("id"),
        sa.column("mid"),
        sa.column("job_id"),
        sa.column("seq"),
        sa.column("mail_from"),
        sa.column("rcpt_to"),
        sa.column("data"),
        sa.column("created_at"),
    )
    index = sa.table(
        "captured_index",
        *(sa.column(c) for c in ("id", "mid", "job_id", "seq", "rcpt_to", "mail_from")),
        *(sa.column(c) for c in ("subject", "haystack", "size", "created_at")),
    )
    after = 0
    while True:
        rows = conn.execute(
            sa.select(messages).where(messages.c.id > after).order_by(messages.c.id).limit(500)
        ).all()
        if not rows:
            return
        conn.execute(
            sa.insert(index),
            [
                {
                    "id": r.id,
                    "mid": r.mid,
                    "job_id": r.job_id,
                    "seq": r.seq,
                    "mail_from": r.mail_from,
                    "created_at": r.created_at,
                    **index_fields(r.rcpt_to, r.mail_from, bytes(r.data)),
                }
                for r in rows
            ],
        )
        after = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_fault_log_mid", table_name="fault_log")
    op.drop_table("fault_log")
    op.drop_index("ix_faults_mid", table_name="faults")
    op.drop_table("faults")
    op.drop_index("ix_captured_index_rcpt", table_name="captured_index")
    op.drop_index("ix_captured_index_job", table_name="captured_index")
    op.drop_index("ix_captured_index_mid", table_name="captured_index")
    op.drop_table("captured_index")
