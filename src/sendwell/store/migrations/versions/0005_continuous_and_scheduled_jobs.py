"""continuous (triggered, transactional) and scheduled send jobs; message keys

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:15:00

A triggered send definition or transactional definition has one long-lived job whose ledger
grows as requests come (``last_seq``); chunks of higher-priority jobs are delivered first. A
SOAP ``Schedule`` creates a job in status Scheduled that starts at ``scheduled_at``.
Recipients say why they were not sent (``reason_code``) and which request added them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("send_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "origin",
                sa.String(length=40),
                nullable=False,
                server_default="EmailSendDefinition",
            )
        )
        batch_op.add_column(
            sa.Column("continuous", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("last_seq", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("scheduled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("schedule", sa.JSON(), nullable=True))
        batch_op.create_index("ix_send_jobs_due", ["status", "scheduled_at"], unique=False)
        batch_op.create_index(
            "ix_send_jobs_definition", ["mid", "definition_id", "id"], unique=False
        )
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason_code", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("created_at", sa.DateTime(), nullable=True))
    # Jobs made before: a REST Send API job has no definition row of the partner API.
    op.execute("UPDATE send_jobs SET origin = 'SendDefinition' WHERE definition_id IS NULL")
    op.create_table(
        "message_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mid", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("message_key", sa.String(length=100), nullable=False),
        sa.Column("definition_key", sa.String(length=200), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["send_jobs.id"], name=op.f("fk_message_keys_job_id_send_jobs")
        ),
        sa.ForeignKeyConstraint(
            ["mid"], ["accounts.mid"], name=op.f("fk_message_keys_mid_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_keys")),
        sa.UniqueConstraint("mid", "kind", "message_key", name="uq_message_keys"),
    )
    with op.batch_alter_table("message_keys", schema=None) as batch_op:
        batch_op.create_index("ix_message_keys_job", ["job_id", "seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("message_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_message_keys_job")
    op.drop_table("message_keys")
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_column("created_at")
        batch_op.drop_column("batch_id")
        batch_op.drop_column("reason_code")
    with op.batch_alter_table("send_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_send_jobs_definition")
        batch_op.drop_index("ix_send_jobs_due")
        for column in ("schedule", "scheduled_at", "revision", "last_seq", "priority"):
            batch_op.drop_column(column)
        batch_op.drop_column("continuous")
        batch_op.drop_column("origin")
